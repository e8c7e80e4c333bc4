# The diffusers solvers (issue 12): plans and seeded runs against scripts/reference_solvers.py, which needs a
# Python with PyTorch and numpy (DIFFLENS_TEST_PYTHON, set in core.cmake); the tests skip without one.
difflens_add_test(test_core_solvers SOURCES test_core_solvers.cpp LIBS difflens_models TIMEOUT 300)
set_tests_properties(test_core_solvers PROPERTIES FIXTURES_REQUIRED difflens_testdata)
target_compile_definitions(test_core_solvers PRIVATE DIFFLENS_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                     DIFFLENS_TEST_BINARY_DIR="${PROJECT_BINARY_DIR}")
set_property(TEST test_core_solvers APPEND PROPERTY ENVIRONMENT "DIFFLENS_PYTHON=${DIFFLENS_TEST_PYTHON}")
