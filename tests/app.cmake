# Tests of the desktop app (included by tests/CMakeLists.txt when DIFFLENS_WITH_QT). Each links
# difflens_app_logic (the jobs, frames, export: what the sanitizer builds compile) or difflens_gui_lib (the
# windows), runs offscreen, and uses only models that need no download: exact denoisers of built-in
# datasets and of a few images the test writes itself.
difflens_add_test(test_app_support SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_support.cpp LIBS difflens_gui_lib TIMEOUT 60)
difflens_add_test(test_app_sampling SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_sampling.cpp LIBS difflens_app_logic TIMEOUT 180)
difflens_add_test(test_app_frames SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_frames.cpp LIBS difflens_gui_lib TIMEOUT 120)
difflens_add_test(test_app_training SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_training.cpp LIBS difflens_app_logic TIMEOUT 180)
difflens_add_test(test_app_main_window SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_main_window.cpp LIBS difflens_gui_lib TIMEOUT 240)
# The executable itself: `difflens --smoke-test` opens its default model, samples, draws, exits 0.
difflens_add_test(test_app_smoke SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_smoke.cpp LIBS Qt6::Core TIMEOUT 180)
add_dependencies(test_app_smoke difflens)

# A TorchScript model that returns NaN (scripts/make_test_models.py, the core tests' fixture) must be refused
# when it is opened; the test skips that row when the fixture is not there.
if(TEST core_testdata)
  set_tests_properties(test_app_sampling PROPERTIES FIXTURES_REQUIRED difflens_testdata)
endif()
# The first screen (a dataset reference denoised from t0, the hint) and Help > Tour.
difflens_add_test(test_app_first_screen SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_first_screen.cpp LIBS difflens_gui_lib TIMEOUT 240)
# Run files in the window: same pixels as the live run, without the model, within 1 s, bad files, drops.
difflens_add_test(test_app_runs SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_runs.cpp LIBS difflens_gui_lib TIMEOUT 240)
# Compare: two runs from one x_T on one timeline, the difference row, export of both, presentation mode.
difflens_add_test(test_app_compare SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_compare.cpp LIBS difflens_gui_lib TIMEOUT 240)
# Steps versus quality: the NFE sweep (calls spent, solver ranking on the exact mixture, exact rows beside a
# network's, bad input) and its dialog on a worker (curves, table, stop).
difflens_add_test(test_app_sweep SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_sweep.cpp LIBS difflens_gui_lib TIMEOUT 300)
# The one job shape (job_runner) and the jobs on it together: cancel, supersede, the bound beside sampling,
# a superseded model load, 50 rounds of start / cancel / model switch (also run under ThreadSanitizer).
difflens_add_test(test_app_jobs SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app_jobs.cpp LIBS difflens_app_logic TIMEOUT 300)
