# notibus_add_channel_module(<name> SOURCES <file>... [LIBRARIES <lib>...])
#
# Builds a channel module, lib<prefix>notibus-channel-<name>.so, from sources
# that end in NOTIBUS_DEFINE_CHANNEL(<name>, ...): the entry symbol exported,
# everything else hidden, only the plugin SDK (two headers) as a dependency.
# The host finds it through plugin_dirs, NOTIBUS_PLUGIN_PATH or its own module
# folder (notibus_PLUGIN_DIR). Installed with the notibus package, so an
# out-of-tree channel is:
#
#   find_package(notibus CONFIG REQUIRED)
#   notibus_add_channel_module(dropdir SOURCES dropdir_channel.cpp)
#
# The target is notibus_channel_<name>; install it where you like, e.g.
#   install(TARGETS notibus_channel_dropdir LIBRARY DESTINATION ${notibus_PLUGIN_DIR})
function(notibus_add_channel_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT name MATCHES "^[a-z][a-z0-9_]*$")
    # The host matches the file name against the name inside the module.
    message(FATAL_ERROR "notibus_add_channel_module: '${name}' is not a channel name "
                        "(lower-case letters, digits and _, starting with a letter)")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "notibus_add_channel_module(${name}): give SOURCES")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "notibus_add_channel_module(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  set(target notibus_channel_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_compile_definitions(${target} PRIVATE NOTIBUS_BUILD_AS_MODULE)
  target_link_libraries(${target} PRIVATE notibus::plugin_sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME notibus-channel-${name}
    PREFIX lib
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
