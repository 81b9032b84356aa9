# `cmake --install build [--prefix P]` (./dev install): the binary, the regime files and the
# documentation in the standard places. The binary finds its rules relative to its own
# location (bin/../share/fristvagt/regimes), so an installed tree can be moved or staged
# (DESTDIR); tests/install/ runs it that way with the source tree out of reach.
include(GNUInstallDirs)
install(TARGETS fristvagt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/rules/regimes/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fristvagt/regimes
        FILES_MATCHING PATTERN "*.toml")
install(FILES ${PROJECT_SOURCE_DIR}/README.md
              ${PROJECT_SOURCE_DIR}/docs/configuration.md
              ${PROJECT_SOURCE_DIR}/docs/operations.md
              ${PROJECT_SOURCE_DIR}/docs/metrics.md
              ${PROJECT_SOURCE_DIR}/docs/integration.md
              ${PROJECT_SOURCE_DIR}/docs/rules.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/fristvagt.toml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
