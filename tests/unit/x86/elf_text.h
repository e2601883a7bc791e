// Real x86-64 code for the decoder's tests and benchmark: the .text section
// of a host ELF file (by default the C library every Debian host has).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mimic::x86::test {

// Empty if the file is missing or not a 64-bit ELF with a .text section.
std::vector<uint8_t> load_elf_text(const std::string& path);

// $MIMIC_BENCH_ELF, else the host's libc.
std::string default_code_file();

}  // namespace mimic::x86::test
