# Reliability tests (included by tests/CMakeLists.txt with the desktop build): the memory estimates and limits,
# the inputs the fuzzers found, crash-safe writes under SIGKILL, and the corrupt-package corpus.
# Memory estimates against real nets and allocations, the limit's messages, the GUI's recording cap.
difflens_add_test(test_resources SOURCES test_resources.cpp LIBS difflens_gui_lib ${OpenCV_LIBS} TIMEOUT 120)
# The harness bodies of tests/fuzz compiled as functions, fed the saved crash inputs and the seed corpora.
file(GLOB _difflens_harnesses ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_*.cpp)
difflens_add_test(test_fuzz_regressions SOURCES test_fuzz_regressions.cpp ${_difflens_harnesses}
                  LIBS difflens_gui_lib difflens_cli_lib TIMEOUT 300)
target_compile_definitions(test_fuzz_regressions PRIVATE DIFFLENS_FUZZ_REGRESSION)
# SIGKILL at seeded moments: train --resume, export and the atomic tensor writer.
difflens_add_test(test_crash_safety SOURCES test_crash_safety.cpp LIBS Qt6::Core TIMEOUT 300)
add_dependencies(test_crash_safety difflens-cli)
# Every file of every shipped package damaged 22 ways, opened by the GUI and the CLI.
difflens_add_test(test_corrupt_packages SOURCES test_corrupt_packages.cpp LIBS difflens_gui_lib TIMEOUT 600)
add_dependencies(test_corrupt_packages difflens-cli)
# One data row per package: more than Qt Test's default 5-minute watchdog on a loaded machine.
set_property(TEST test_corrupt_packages APPEND PROPERTY ENVIRONMENT QTEST_FUNCTION_TIMEOUT=900000)
add_dependencies(test_resources difflens-cli)
foreach(_t test_resources test_fuzz_regressions test_crash_safety test_corrupt_packages)
  target_compile_definitions(${_t} PRIVATE DIFFLENS_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                           DIFFLENS_TEST_BINARY_DIR="${PROJECT_BINARY_DIR}")
endforeach()
