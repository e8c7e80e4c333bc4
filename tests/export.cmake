# Export of recorded runs through the GUI library (needs the desktop build).
difflens_add_test(test_app_export SOURCES test_app_export.cpp LIBS difflens_gui_lib GIF::GIF ${OpenCV_LIBS} TIMEOUT 300)
add_dependencies(test_app_export difflens-cli)
