# One helper declares every library target, so warnings, include paths and the
# C++ standard are the same for all of them (conventions.md: "Layout and build").
function(fristvagt_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

function(fristvagt_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  # Tests that run the real binary or read fixtures find them here (env vars override).
  target_compile_definitions(${name} PRIVATE
    FRISTVAGT_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    FRISTVAGT_TEST_BINARY="$<TARGET_FILE:fristvagt>")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "FRISTVAGT_SOURCE_DIR=${PROJECT_SOURCE_DIR};FRISTVAGT_BINARY=$<TARGET_FILE:fristvagt>")
endfunction()
