#pragma once
// A check of the pickle records inside a PyTorch zip archive (torch.save, TorchScript) before LibTorch reads
// them. LibTorch's unpickler allocates and zero-fills a string of whatever length a BINUNICODE / BINBYTES
// opcode claims before it reads a byte of it: a damaged 1 kB file claiming 1.7 GB held fuzz_tensor_file's
// run for 30 s under ASan (and costs a few GB in a release build) before the read failed. The scan walks each
// *.pkl record's opcodes and refuses a length that runs past the end of the file, which no valid file has
// (PyTorch stores its records uncompressed). It stops quietly at an opcode it does not know: LibTorch then
// decides, as before.
#include <cstddef>
#include <string>

namespace difflens {

/** DataError naming `path` when a pickle record of the archive in [data, data + size) claims more bytes than
    the file holds after it. Anything that is not such an archive passes unchecked. */
void checkPickleLengths(const char* data, size_t size, const std::string& path);

/** The same for a file on disk (read whole; a file that cannot be read passes: the loader says why). */
void checkPickleLengthsOfFile(const std::string& path);

} // namespace difflens
