// libFuzzer harness: difflens.json of a model package -> ModelPackage::read (with DataSpec::fromJson), the
// package's description, its metadata written back, and the built-in net its architecture names.
#include "core/model_package.h"
#include "models/nets.h"
#include "tests/fuzz/fuzz_common.h"

#include <torch/nn/module.h>

DIFFLENS_FUZZ_TARGET(fuzz_package_json)
{
    using namespace difflens;
    static const std::string dir = [] {
        const std::string d = fuzz::scratchDir() + "/package";
        std::filesystem::create_directories(d);
        std::ofstream(d + "/model.pt") << "weights are not read by ModelPackage::read";
        return d;
    }();
    fuzz::writeScratch("package/difflens.json", data, size);
    fuzz::expectTypedErrors([&] {
        const auto package = ModelPackage::read(dir);
        (void)package.data.describe();
        (void)package.data.numel();
        const auto again = DataSpec::fromJson(package.data.toJson(), "round trip");
        if (again.shape != package.data.shape || again.kind != package.data.kind) {
            std::fprintf(stderr, "DataSpec round trip changed the data spec\n");
            std::abort();
        }
        (void)package.metadataJson().dump();
        if (package.format == "builtin") (void)makeNet(package.architecture);
    });
    return 0;
}
