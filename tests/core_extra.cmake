# Tests of core pieces beyond the foundation: export, training, exact denoisers, metrics.
difflens_add_test(test_core_export SOURCES test_core_export.cpp LIBS difflens_core GIF::GIF ${OpenCV_LIBS})
difflens_add_test(test_core_exact SOURCES test_core_exact.cpp LIBS difflens_core)
difflens_add_test(test_core_training SOURCES test_core_training.cpp LIBS difflens_models ${OpenCV_LIBS})
# Labels, class-conditional nets, classifier-free guidance and the exact conditional/guided denoisers.
difflens_add_test(test_core_guidance SOURCES test_core_guidance.cpp LIBS difflens_models)
if(TEST core_testdata)
  set_tests_properties(test_core_guidance PROPERTIES FIXTURES_REQUIRED difflens_testdata)
endif()
