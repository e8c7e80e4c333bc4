# difflens: the desktop GUI (included by app/CMakeLists.txt when DIFFLENS_WITH_QT).
#
# difflens_gui_lib holds everything but main(), so tests and the benchmark link the same code the app runs.
# Only the files marked [torch] include LibTorch headers (each costs ~16 s to compile); the rest see the core
# through torch-free headers (model.h, frames.h) and opaque pointers.
add_library(difflens_gui_lib STATIC
  gui/app_paths.h gui/app_paths.cpp
  gui/settings.h gui/settings.cpp
  gui/model.h
  gui/model_runtime.h gui/model_runtime.cpp             # [torch] loading, references, the probe
  gui/model_catalog.h gui/model_catalog.cpp
  gui/model_loader.h gui/model_loader.cpp
  gui/frames.h
  gui/schedule_series.h gui/schedule_series.cpp
  gui/sampling_controller.h gui/sampling_controller.cpp # [torch] the sampling worker thread
  gui/frame_builder.h gui/frame_builder.cpp             # [torch] trajectory step -> plain frames
  gui/training_controller.h gui/training_controller.cpp # [torch] Trainer on a worker thread
  gui/training_dialog.h gui/training_dialog.cpp
  gui/draw_dialog.h gui/draw_dialog.cpp
  gui/central_view.h gui/central_view.cpp
  gui/side_panels.h gui/side_panels.cpp
  gui/exact_panel.h gui/exact_panel.cpp
  gui/vlb_controller.h gui/vlb_controller.cpp           # [torch] the variational bound on a worker thread
  gui/help.h gui/help.cpp
  gui/tour.h gui/tour.cpp
  gui/main_window.h gui/main_window.cpp
  gui/main_window_runs.cpp                              # File > Save run / Open run, drag and drop
  gui/run_files.h gui/run_files.cpp                     # [torch] a run <-> a run file
  gui/exporter.h gui/exporter.cpp
  gui/compare.h gui/compare.cpp                         # [torch] two runs: timeline, difference, export
  gui/compare_window.h gui/compare_window.cpp           # Compare > Compare with…
  gui/sampling_params.cpp
  gui/export_dialog.h gui/export_dialog.cpp
  ${PROJECT_SOURCE_DIR}/resources/difflens.qrc
)
target_link_libraries(difflens_gui_lib PUBLIC difflens_models difflens_widgets Qt6::Widgets)
# The source tree's models/pretrained is the last place the catalogue looks (a build run from the tree).
target_compile_definitions(difflens_gui_lib PRIVATE DIFFLENS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

add_executable(difflens gui/main.cpp)
target_link_libraries(difflens PRIVATE difflens_gui_lib)
