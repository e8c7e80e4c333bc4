# Widget tests: one Qt Test executable per file, each linking only difflens_widgets, run offscreen.
# Included from tests/CMakeLists.txt; paths are relative to this file so other superprojects can include it.
foreach(name
    test_w_format
    test_w_image_utils
    test_w_image_panel_grid
    test_w_point_view
    test_w_density_time_view
    test_w_schedule_plot
    test_w_loss_plot
    test_w_step_metrics_plot
    test_w_explanation_panel
    test_w_timeline_bar
    test_w_control_panel
    test_w_draw_canvas
    test_w_step_density_view
    test_w_image_gallery
    test_w_vlb_plot
    test_w_plot_fit)
  difflens_add_test(${name} SOURCES ${CMAKE_CURRENT_LIST_DIR}/${name}.cpp LIBS difflens_widgets TIMEOUT 60)
endforeach()
