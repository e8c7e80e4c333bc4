// libFuzzer harness: a `.pt` file (torch.save's zip archive) -> loadTensor and loadTensorDict
// (core/tensor_io), the reader of initial noise, references and saved samples.
#include "core/tensor_io.h"
#include "tests/fuzz/fuzz_common.h"

DIFFLENS_FUZZ_TARGET(fuzz_tensor_file)
{
    using namespace difflens;
    const std::string path = fuzz::writeScratch("tensor.pt", data, size);
    fuzz::expectTypedErrors([&] { (void)loadTensor(path).sum(); });
    fuzz::expectTypedErrors([&] { (void)loadTensorDict(path); });
    return 0;
}
