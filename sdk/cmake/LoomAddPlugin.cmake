# loom_add_plugin(NAME SOURCES src... [LIBRARIES lib...])
# Builds libloom-NAME.so as a MODULE against the SDK only (never the core
# library): C++17, hidden visibility, no undefined symbols. In-tree plugins
# and third-party plugins use this same function.
function(loom_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target loom-plugin-${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME loom-${name}
    PREFIX lib
    CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(TARGET loom::sdk)
    target_link_libraries(${target} PRIVATE loom::sdk)
  endif()
  if(ARG_LIBRARIES)
    target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES})
  endif()
  if(NOT LOOM_SANITIZE)
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  if(COMMAND loom_set_warnings)
    loom_set_warnings(${target})
  endif()
  if(DEFINED LOOM_BUILD_PLUGIN_DIR)
    # In-tree: collect every plugin in one folder so the build tree runs as is.
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${LOOM_BUILD_PLUGIN_DIR}")
  endif()
  if(TARGET loom-all-plugins)
    add_dependencies(loom-all-plugins ${target})
  endif()
  if(DEFINED LOOM_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION "${LOOM_PLUGIN_INSTALL_DIR}")
  endif()
endfunction()
