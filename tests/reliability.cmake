# Reliability tests (included by tests/CMakeLists.txt with the desktop build).
# The harness bodies of tests/fuzz compiled as functions, fed the saved crash inputs and the seed corpora.
file(GLOB _difflens_harnesses ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_*.cpp)
difflens_add_test(test_fuzz_regressions SOURCES test_fuzz_regressions.cpp ${_difflens_harnesses}
                  LIBS difflens_gui_lib difflens_cli_lib TIMEOUT 300)
target_compile_definitions(test_fuzz_regressions PRIVATE DIFFLENS_FUZZ_REGRESSION
                           DIFFLENS_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
