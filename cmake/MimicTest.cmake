# mimic_unit_test(NAME SOURCES a.cpp b.cpp LIBS lib1 lib2)
# A GoogleTest executable in build/ whose cases each become a ctest test,
# labelled "unit" so fast tests can run first (ctest -L unit).
function(mimic_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()

# Device, machine and bus types register themselves from static initialisers
# that nothing else references; a linker would drop them from a static
# library, so executables that need the types link those libraries whole.
function(mimic_link_whole_type_libraries target)
  set_target_properties(${target} PROPERTIES
    LINK_LIBRARY_OVERRIDE_mimic_hw WHOLE_ARCHIVE
    LINK_LIBRARY_OVERRIDE_mimic_qom WHOLE_ARCHIVE)
endfunction()
