# difflens_app_logic: the app without widgets (included by app/CMakeLists.txt when DIFFLENS_WITH_QT):
# model loading, run settings, the jobs (job_runner: sampling, training, the bound, the sweep, export), frames built from a
# recorded run, run files, export and comparison. QtCore/QtGui only: difflens-cli links it to export
# without QtWidgets; the desktop app (gui.cmake) adds the windows on top.
# Only the files marked [torch] include LibTorch headers (each costs ~16 s to compile); the rest see the core
# through torch-free headers (model.h, frames.h) and opaque pointers.
add_library(difflens_app_logic STATIC
  logic/app_paths.h logic/app_paths.cpp
  logic/settings.h logic/settings.cpp
  logic/model.h
  logic/model_runtime.h logic/model_runtime.cpp             # [torch] loading, references, the probe
  logic/model_catalog.h logic/model_catalog.cpp
  logic/model_loader.h logic/model_loader.cpp
  logic/model_state.h logic/model_state.cpp                 # the window's current model: catalogue, loading
  logic/reference_selection.h logic/reference_selection.cpp # the window's reference x_0
  logic/frames.h
  logic/schedule_series.h logic/schedule_series.cpp
  logic/job_runner.h logic/job_runner.cpp                   # [torch] the one job shape: worker, cancel, finished
  logic/sampling_controller.h logic/sampling_controller.cpp # [torch] the sampling worker thread
  logic/sampling_params.cpp
  logic/frame_builder.h logic/frame_builder.cpp             # [torch] trajectory step -> plain frames
  logic/frame_builder_impl.h
  logic/frame_builder_reverse.cpp                           # [torch] frames of a recorded reverse run
  logic/frame_builder_forward.cpp                           # [torch] frames of the forward process
  logic/frame_builder_exact.cpp                             # [torch] the Exact q tab's parts of a frame
  logic/training_controller.h logic/training_controller.cpp # [torch] Trainer on a worker thread
  logic/vlb_controller.h logic/vlb_controller.cpp           # [torch] the variational bound on a worker thread
  logic/run_files.h logic/run_files.cpp                     # [torch] a run <-> a run file
  logic/exporter.h logic/exporter.cpp
  logic/compare.h logic/compare.cpp                         # [torch] two runs: plan, timeline, difference
  logic/compare_export.cpp                                  # the comparison painted and written
  logic/sweep_job.h logic/sweep_job.cpp                     # [torch] steps versus quality on a worker
)
target_link_libraries(difflens_app_logic PUBLIC difflens_models difflens_paint Qt6::Gui)
# The source tree's models/pretrained is the last place the catalogue looks (a build run from the tree).
target_compile_definitions(difflens_app_logic PRIVATE DIFFLENS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
