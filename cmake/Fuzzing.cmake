# MIMIC_FUZZ=ON configures a build directory of its own for the libFuzzer
# targets (tests/fuzz): clang, ASan, UBSan and coverage for everything the
# targets link. Build them with `ninja fuzzers`, which compiles only what
# they need; tests/fuzz/README.md says how to run them.
option(MIMIC_FUZZ "Build the libFuzzer targets (needs clang; use a separate build directory)" OFF)
if(NOT MIMIC_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MIMIC_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14")
endif()
add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                    -fsanitize=fuzzer-no-link -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
