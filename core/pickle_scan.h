#pragma once
// A check of the pickle records inside a PyTorch zip archive (torch.save, TorchScript) before LibTorch reads
// them. LibTorch's unpickler allocates and zero-fills a string of whatever length a BINUNICODE / BINBYTES
// opcode claims before it reads a byte of it: a damaged 1 kB file claiming 1.7 GB held fuzz_tensor_file's
// run for 30 s under ASan (and costs a few GB in a release build) before the read failed. The scan walks each
// *.pkl record's opcodes and refuses a length that runs past the end of the file, which no valid file has
// (PyTorch stores its records uncompressed). It stops quietly at an opcode it does not know: LibTorch then
// decides, as before. Before that it checks the zip's own structure (the end record, every central directory
// entry and the local header it points to lie inside the file): LibTorch's zip reader trusts those offsets.
#include <cstddef>
#include <string>

namespace difflens {

/** DataError naming `path` when the zip archive in [data, data + size) is structurally damaged, or a pickle
    record of it claims more bytes than the file holds after it. Anything that does not start like a zip archive
    passes unchecked (the loader says what it is not). */
void checkPickleLengths(const char* data, size_t size, const std::string& path);

/** The same for a file on disk (read whole; a file that cannot be read passes: the loader says why). */
void checkPickleLengthsOfFile(const std::string& path);

} // namespace difflens
