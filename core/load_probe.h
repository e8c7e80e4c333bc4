#pragma once
// A guard for LibTorch's own readers. torch::jit::load (TorchScript and built-in net weights) and
// torch::pickle_load (.pt tensors) crash, not throw, on some malformed files: segmentation faults and heap
// overflows in the unpickler, the source importer and the source-range reader, reported by fuzzing for the
// 1.x and 2.x releases alike (pytorch/pytorch#77573, #77575, #84343, #94815, #179581). No try/catch can turn
// those into a message, so a file from outside is read once in a forked child process first: if the child
// dies, the caller gets a ModelError naming the file instead of the app or CLI dying.
#include <functional>
#include <string>

namespace difflens {

/**
 * Runs `read` in a forked child before the caller runs it for real. Returns when the child finished, whether
 * `read` returned or threw (the caller's own run then gives the value or the message). Throws ModelError
 * naming `file` and the signal when the child was killed (or died with a sanitizer report). When the child
 * gives no answer within `timeoutMs` it is killed and the call returns: a child can stall on a lock another
 * thread held at fork time, which says nothing about the file. DIFFLENS_LOAD_PROBE=0 turns the probe off.
 */
void probeInChildProcess(const std::string& file, const std::string& what, const std::function<void()>& read,
                         int timeoutMs = 20000);

} // namespace difflens
