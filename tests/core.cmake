# Core, TorchScript-interop and CLI tests (included by tests/CMakeLists.txt, which defines difflens_add_test).
#
# The TorchScript models and fixed tensors the tests use are not committed: the ctest fixture test
# `core_testdata` writes them with scripts/make_test_models.py into ${PROJECT_BINARY_DIR}/testdata (a stamp
# file makes later runs no-ops). ctest runs it first whenever a test that requires the fixture is selected.
# The reference scripts need a Python with PyTorch: Debian's /usr/bin/python3 (not a venv's python3).

set(DIFFLENS_TEST_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with PyTorch that runs the tests' reference scripts")
set(_difflens_testdata ${PROJECT_BINARY_DIR}/testdata)

# Pure schedule math: no torch include, fast to build.
difflens_add_test(test_core_schedule SOURCES test_core_schedule.cpp LIBS difflens_core TIMEOUT 60)
# Closed forms of the forward process, posterior, prediction types, KL and likelihoods (Monte Carlo, seeded).
difflens_add_test(test_core_diffusion SOURCES test_core_diffusion.cpp LIBS difflens_core TIMEOUT 120)
# Timestep plans, samplers against exact Gaussian data, seeding, cancellation, model errors, trajectories.
difflens_add_test(test_core_sampler SOURCES test_core_sampler.cpp LIBS difflens_core TIMEOUT 180)
# The C++ sampler against scripts/reference_sampler.py on the same TorchScript models.
difflens_add_test(test_core_torchscript SOURCES test_core_torchscript.cpp LIBS difflens_models TIMEOUT 180)
# Gaussian paths: conversions, exact denoisers on any path, Euler/Heun orders, SDE marginals, flow training,
# a TorchScript flow model against scripts/reference_flow.py.
difflens_add_test(test_core_paths SOURCES test_core_paths.cpp LIBS difflens_models TIMEOUT 300)
# The difflens-cli executable: outputs and one-line errors.
difflens_add_test(test_cli SOURCES test_cli.cpp LIBS Qt6::Core TIMEOUT 180)
add_dependencies(test_cli difflens-cli)

# Fallbacks for running the test executables by hand (ctest sets DIFFLENS_SOURCE_DIR / DIFFLENS_BINARY_DIR).
foreach(_t test_core_torchscript test_core_paths test_cli)
  target_compile_definitions(${_t} PRIVATE DIFFLENS_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                           DIFFLENS_TEST_BINARY_DIR="${PROJECT_BINARY_DIR}")
endforeach()

set(_difflens_python_tests test_core_torchscript test_core_paths test_cli)
foreach(_t ${_difflens_python_tests})
  set_property(TEST ${_t} APPEND PROPERTY ENVIRONMENT "DIFFLENS_PYTHON=${DIFFLENS_TEST_PYTHON}")
endforeach()

if(EXISTS ${DIFFLENS_TEST_PYTHON})
  # Exits 0 without writing anything when that Python lacks torch; the tests then skip with the reason.
  add_test(NAME core_testdata
           COMMAND ${DIFFLENS_TEST_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/make_test_models.py ${_difflens_testdata})
  set_tests_properties(core_testdata PROPERTIES FIXTURES_SETUP difflens_testdata TIMEOUT 120)
  set_tests_properties(${_difflens_python_tests} PROPERTIES FIXTURES_REQUIRED difflens_testdata)
endif()
