# loom_add_plugin(NAME SOURCES src... [LIBRARIES lib...] [INSTALL_DIR dir | NO_INSTALL])
#
# Builds libloom-NAME.so as a MODULE against the SDK only (never the core
# library): C++17, hidden visibility, no undefined symbols. In-tree plugins
# and third-party plugins use this same function; a third party gets it from
# find_package(Loom).
#
# `cmake --install` puts the plugin in INSTALL_DIR, by default
# LOOM_PLUGIN_INSTALL_DIR (lib/loom/plugins) under the install prefix: the
# folder Loom searches next to libloom-core. Installed with Loom's own prefix,
# the plugin sits beside the in-tree ones and needs no setting; installed
# under another prefix P, Loom finds it with LOOM_PLUGIN_PATH=P/lib/loom/plugins
# (or --plugin-dir).
function(loom_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "INSTALL_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT TARGET loom::sdk)
    message(FATAL_ERROR "loom_add_plugin(${name}): the target loom::sdk does not exist; call find_package(Loom) first")
  endif()
  if(NOT name MATCHES "^[a-z0-9][a-z0-9_-]*$")
    message(FATAL_ERROR "loom_add_plugin(${name}): the name must be lower-case letters, digits, '-' or '_'")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "loom_add_plugin(${name}): no SOURCES")
  endif()
  foreach(lib IN LISTS ARG_LIBRARIES)
    if(lib STREQUAL "loom::core" OR lib STREQUAL "loom-core")
      message(FATAL_ERROR "loom_add_plugin(${name}): a plugin never links the core library; the SDK (loom::sdk) "
                          "is all it may use of Loom, so it loads into any host of the same ABI")
    endif()
  endforeach()

  set(target loom-plugin-${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME loom-${name}
    PREFIX lib
    SUFFIX .so
    CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE loom::sdk ${ARG_LIBRARIES})
  # Every symbol must resolve at link time: a plugin that needs one from the
  # host would fail to load (sanitizer runtimes are the host's, hence the exception).
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
  if(NOT ARG_NO_INSTALL)
    set(dest "${ARG_INSTALL_DIR}")
    if(NOT dest)
      set(dest "${LOOM_PLUGIN_INSTALL_DIR}")
    endif()
    if(NOT dest)
      message(FATAL_ERROR "loom_add_plugin(${name}): LOOM_PLUGIN_INSTALL_DIR is not set; find_package(Loom) sets it")
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION "${dest}")
  endif()
endfunction()
