# Tests of core pieces beyond the foundation: export, training, exact denoisers, metrics.
difflens_add_test(test_core_export SOURCES test_core_export.cpp LIBS difflens_core GIF::GIF ${OpenCV_LIBS})
difflens_add_test(test_core_exact SOURCES test_core_exact.cpp LIBS difflens_core)
difflens_add_test(test_core_training SOURCES test_core_training.cpp LIBS difflens_models ${OpenCV_LIBS})
# Labels, class-conditional nets, classifier-free guidance and the exact conditional/guided denoisers.
difflens_add_test(test_core_guidance SOURCES test_core_guidance.cpp LIBS difflens_models)
if(TEST core_testdata)
  set_tests_properties(test_core_guidance PROPERTIES FIXTURES_REQUIRED difflens_testdata)
endif()
# Built-in nets exported to PyTorch, checked against Debian's Python torch (skips that part without it).
difflens_add_test(test_models_export SOURCES test_models_export.cpp LIBS difflens_models TIMEOUT 180)
target_compile_definitions(test_models_export PRIVATE DIFFLENS_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_property(TEST test_models_export APPEND PROPERTY ENVIRONMENT "DIFFLENS_PYTHON=${DIFFLENS_TEST_PYTHON}")
# Run files: round trips that scrub bitwise like the live run, a large run opened within 1 s, bad files.
difflens_add_test(test_core_run_file SOURCES test_core_run_file.cpp LIBS difflens_models TIMEOUT 180)
