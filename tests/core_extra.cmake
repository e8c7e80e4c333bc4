# Tests of core pieces beyond the foundation: export, training, exact denoisers, metrics.
difflens_add_test(test_core_export SOURCES test_core_export.cpp LIBS difflens_core GIF::GIF ${OpenCV_LIBS})
difflens_add_test(test_core_exact SOURCES test_core_exact.cpp LIBS difflens_core)
difflens_add_test(test_core_training SOURCES test_core_training.cpp LIBS difflens_models ${OpenCV_LIBS})
