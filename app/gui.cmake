# difflens: the desktop GUI (included by app/CMakeLists.txt when DIFFLENS_WITH_QT and DIFFLENS_BUILD_GUI).
#
# difflens_gui_lib holds the windows, dialogs and panels (QtWidgets) over difflens_app_logic; everything but
# main(), so tests and the benchmark link the same code the app runs. No file here includes LibTorch.
add_library(difflens_gui_lib STATIC
  gui/training_dialog.h gui/training_dialog.cpp
  gui/draw_dialog.h gui/draw_dialog.cpp
  gui/central_view.h gui/central_view.cpp
  gui/side_panels.h gui/side_panels.cpp
  gui/exact_panel.h gui/exact_panel.cpp
  gui/help.h gui/help.cpp
  gui/tour.h gui/tour.cpp
  gui/presentation_mode.h gui/presentation_mode.cpp     # full screen, chrome hidden, large text (both windows)
  gui/run_state.h gui/run_state.cpp                     # the window's run: sampling job, frames, timeline
  gui/main_window.h gui/main_window.cpp                 # assembles the parts (app/logic/model_state, ...)
  gui/main_window_models.cpp                            # the model and reference parts meet the panel
  gui/main_window_frames.cpp                            # the run part meets the panel and the views
  gui/main_window_chrome.cpp                            # presentation, tour, errors, status, export
  gui/main_window_runs.cpp                              # File > Save run / Open run, drag and drop, Compare
  gui/compare_window.h gui/compare_window.cpp           # Compare > Compare with…
  gui/compare_window_ui.cpp                             # its toolbar, columns, curve and timeline
  gui/export_dialog.h gui/export_dialog.cpp
  gui/sweep_dialog.h gui/sweep_dialog.cpp               # View > Steps versus quality…
  ${PROJECT_SOURCE_DIR}/resources/difflens.qrc
)
target_link_libraries(difflens_gui_lib PUBLIC difflens_app_logic difflens_widgets Qt6::Widgets)

add_executable(difflens gui/main.cpp)
target_link_libraries(difflens PRIVATE difflens_gui_lib)
