# PtTest.cmake: pt_add_test(name SOURCES files... LABELS labels...) builds one cmocka test
# program, links it with portrait and cmocka, gives it engine/ on the include path and
# PT_TEST_DATA (tests/data) and PT_SHARED_DATA (../shared/data) as defines, and registers it.
# A test whose first source does not exist yet is skipped at configure time with a message.
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
function(pt_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LABELS;LIBS" ${ARGN})
  list(GET T_SOURCES 0 _first)
  if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_first})
    message(STATUS "test ${name}: ${_first} not written yet, skipped")
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE portrait PkgConfig::CMOCKA ${T_LIBS} m)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/engine ${PROJECT_SOURCE_DIR}/tests
    ${PROJECT_SOURCE_DIR}/importers ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${PT_WARNINGS})
  target_compile_definitions(${name} PRIVATE _GNU_SOURCE
    PT_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    PT_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data"
    PT_BUILD_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
