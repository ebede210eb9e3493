# cmake --install: headers, the library, the plugin SDK target, channel modules,
# notibusConfig.cmake (targets notibus::notibus, notibus::server,
# notibus::plugin_sdk; the function notibus_add_channel_module), notibus.pc and
# notibus-server.pc.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/notibus DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/generated/include/notibus/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/notibus)
if(NOTIBUS_STATIC)
  # The static build ships one binary (examples/daemon installs it); the
  # library package comes from the default build.
  return()
endif()

install(TARGETS notibus notibus_server notibus_plugin_sdk
  EXPORT notibusTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT notibusTargets NAMESPACE notibus:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/notibus)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/notibusConfig.cmake.in
  ${CMAKE_BINARY_DIR}/notibusConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/notibus)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/notibusConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/notibusConfig.cmake ${CMAKE_BINARY_DIR}/notibusConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/notibusChannelModule.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/notibus)

file(RELATIVE_PATH NOTIBUS_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${PROJECT_SOURCE_DIR}/cmake/notibus.pc.in ${CMAKE_BINARY_DIR}/notibus.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/notibus-server.pc.in ${CMAKE_BINARY_DIR}/notibus-server.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/notibus.pc ${CMAKE_BINARY_DIR}/notibus-server.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
