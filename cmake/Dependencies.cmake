# All external dependencies, as imported targets. Everything comes from
# Debian's packages (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(GTest REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(xbyak REQUIRED)
find_package(zydis REQUIRED)
find_package(benchmark QUIET)

pkg_check_modules(GLIB REQUIRED IMPORTED_TARGET glib-2.0)
pkg_check_modules(SLIRP REQUIRED IMPORTED_TARGET slirp)
pkg_check_modules(CAPSTONE REQUIRED IMPORTED_TARGET capstone)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(PIXMAN REQUIRED IMPORTED_TARGET pixman-1)
# AES for encrypted secrets (-object secret,keyid=...), as QEMU uses it.
pkg_check_modules(NETTLE REQUIRED IMPORTED_TARGET nettle)
pkg_check_modules(NCURSES REQUIRED IMPORTED_TARGET ncursesw)
pkg_check_modules(SDL2 IMPORTED_TARGET sdl2)

find_library(AIO_LIBRARY aio REQUIRED)
add_library(mimic::aio UNKNOWN IMPORTED)
set_target_properties(mimic::aio PROPERTIES IMPORTED_LOCATION ${AIO_LIBRARY})
