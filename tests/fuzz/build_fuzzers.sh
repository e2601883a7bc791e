#!/bin/sh
# Configures (once) and builds the libFuzzer targets in their own build
# directory: clang, ASan, UBSan; only what the targets link is compiled.
# usage: build_fuzzers.sh SOURCE_DIR BUILD_DIR CLANG CLANGXX
set -e
src=$1 dir=$2 cc=$3 cxx=$4
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIMIC_FUZZ=ON -DMIMIC_HARDENING=OFF \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
fi
exec cmake --build "$dir" --target fuzzers -j 2
