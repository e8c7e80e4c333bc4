// Linked into every test that uses the core: the process starts as the app and the CLI start (initRuntime in
// their main()), so the tests see the same allocator settings and thread count as the users do. Without them
// glibc gives a worker thread's freed heap back to the system after every large tensor, and a job such as the
// variational bound spends 15x longer in page faults than it does in the app.
#include "core/runtime.h"

namespace {
const bool kRuntimeReady = (difflens::initRuntime(), true);
} // namespace
