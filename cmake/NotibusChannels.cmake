# Channels are built either into the notibus library (listed in a generated
# table of entry functions) or as loadable modules libnotibus-channel-<name>.so.
#
#   notibus_add_channel(<name> SOURCES ... [LIBRARIES ...] [MODULE_LIBRARIES ...])
#
# MODULE_LIBRARIES are linked into the module only: object libraries the
# notibus library already holds, which a built-in channel shares.
#
# NOTIBUS_CHANNEL_<NAME> = builtin | module | off picks the mode per channel.
# NOTIBUS_STATIC forces builtin: a static binary loads no modules.

include(${CMAKE_CURRENT_LIST_DIR}/notibusChannelModule.cmake)

define_property(GLOBAL PROPERTY NOTIBUS_BUILTIN_CHANNELS
  BRIEF_DOCS "channels compiled into the notibus library"
  FULL_DOCS "names whose entry functions go into the generated built-in table")

function(notibus_register_builtin name)
  set_property(GLOBAL APPEND PROPERTY NOTIBUS_BUILTIN_CHANNELS ${name})
endfunction()

function(notibus_add_channel name)
  cmake_parse_arguments(ARG "" "DEFAULT" "SOURCES;LIBRARIES;MODULE_LIBRARIES" ${ARGN})
  string(TOUPPER ${name} upper)
  if(NOT ARG_DEFAULT)
    set(ARG_DEFAULT module)
  endif()
  set(NOTIBUS_CHANNEL_${upper} ${ARG_DEFAULT} CACHE STRING "How to build the ${name} channel: builtin, module or off")
  set_property(CACHE NOTIBUS_CHANNEL_${upper} PROPERTY STRINGS builtin module off)
  set(mode ${NOTIBUS_CHANNEL_${upper}})
  if(NOTIBUS_STATIC AND mode STREQUAL "module")
    set(mode builtin)  # a static binary loads no modules
  endif()
  if(mode STREQUAL "off")
    return()
  elseif(mode STREQUAL "builtin")
    add_library(notibus_channel_${name} OBJECT ${ARG_SOURCES})
    target_link_libraries(notibus_channel_${name} PRIVATE notibus_plugin_sdk ${ARG_LIBRARIES}
      ${ARG_MODULE_LIBRARIES})  # for their headers; their objects are in notibus
    target_link_libraries(notibus PRIVATE notibus_channel_${name} ${ARG_LIBRARIES})
    notibus_register_builtin(${name})
  elseif(mode STREQUAL "module")
    # The same function third-party channels get from the installed package.
    notibus_add_channel_module(${name} SOURCES ${ARG_SOURCES}
      LIBRARIES ${ARG_LIBRARIES} ${ARG_MODULE_LIBRARIES})
    set_target_properties(notibus_channel_${name} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${NOTIBUS_PLUGIN_OUTPUT_DIR})
    install(TARGETS notibus_channel_${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/notibus)
  else()
    message(FATAL_ERROR "NOTIBUS_CHANNEL_${upper} must be builtin, module or off (got '${mode}')")
  endif()
  message(STATUS "notibus channel ${name}: ${mode}")
endfunction()

function(notibus_generate_builtin_table)
  get_property(names GLOBAL PROPERTY NOTIBUS_BUILTIN_CHANNELS)
  set(NOTIBUS_BUILTIN_DECLARATIONS "")
  set(NOTIBUS_BUILTIN_ENTRIES "")
  foreach(name IN LISTS names)
    string(APPEND NOTIBUS_BUILTIN_DECLARATIONS
      "extern \"C\" const notibus_plugin_v1* notibus_channel_entry_${name}(uint32_t);\n")
    string(APPEND NOTIBUS_BUILTIN_ENTRIES "    {\"${name}\", &notibus_channel_entry_${name}},\n")
  endforeach()
  list(LENGTH names NOTIBUS_BUILTIN_COUNT)
  set(out ${CMAKE_BINARY_DIR}/generated/builtin_channels.cpp)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/builtin_channels.cpp.in ${out} @ONLY)
  target_sources(notibus PRIVATE ${out})
endfunction()
