#include "elf_text.h"

#include <elf.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace mimic::x86::test {

std::vector<uint8_t> load_elf_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Elf64_Ehdr eh;
    if (file.size() < sizeof eh) return {};
    std::memcpy(&eh, file.data(), sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) return {};
    auto section = [&](unsigned i) {
        Elf64_Shdr sh{};
        size_t off = eh.e_shoff + size_t{i} * eh.e_shentsize;
        if (off + sizeof sh <= file.size()) std::memcpy(&sh, file.data() + off, sizeof sh);
        return sh;
    };
    if (eh.e_shstrndx >= eh.e_shnum) return {};
    Elf64_Shdr names = section(eh.e_shstrndx);
    for (unsigned i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh = section(i);
        size_t name = names.sh_offset + sh.sh_name;
        if (name + 6 > file.size() || std::strcmp(reinterpret_cast<const char*>(file.data() + name), ".text") != 0) continue;
        if (sh.sh_offset + sh.sh_size > file.size()) return {};
        return {file.begin() + static_cast<long>(sh.sh_offset), file.begin() + static_cast<long>(sh.sh_offset + sh.sh_size)};
    }
    return {};
}

std::string default_code_file() {
    if (const char* env = std::getenv("MIMIC_BENCH_ELF")) return env;
    return "/usr/lib/x86_64-linux-gnu/libc.so.6";
}

}  // namespace mimic::x86::test
