# Hardened code generation for every binary the project builds, as
# distributions build QEMU: stack canaries, checked libc calls, a
# position-independent executable and a read-only GOT after start-up.
# tests/hardening checks the result on the built binaries with readelf.
option(MIMIC_HARDENING "Build with stack protector, _FORTIFY_SOURCE, PIE and full RELRO" ON)
if(NOT MIMIC_HARDENING)
  return()
endif()

add_compile_options(-fstack-protector-strong)
# _FORTIFY_SOURCE only works with the optimizer (glibc warns without it), so
# it is left out of unoptimized Debug builds; -U first in case the compiler
# already defines a level of its own.
add_compile_options("$<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-U_FORTIFY_SOURCE;-D_FORTIFY_SOURCE=2>")

set(CMAKE_POSITION_INDEPENDENT_CODE ON)
include(CheckPIESupported)
check_pie_supported(LANGUAGES C CXX)

# Full RELRO: relocations resolved at load time (BIND_NOW), then read-only.
add_link_options(-Wl,-z,relro,-z,now)
