#include "perf_map.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace mimic::tcg::x64 {

PerfMap::PerfMap() {
    const char* on = std::getenv("MIMIC_PERF_MAP");
    if (!on || !*on || std::strcmp(on, "0") == 0) return;
    char path[64];
    std::snprintf(path, sizeof path, "/tmp/perf-%d.map", static_cast<int>(getpid()));
    file_ = std::fopen(path, "w");
}

PerfMap::~PerfMap() {
    if (file_) std::fclose(file_);
}

void PerfMap::add(const void* code, size_t size, uint64_t guest_pc, uint32_t flags) {
    if (!file_) return;
    // Blocks are retranslated at the same address after a flush; perf
    // takes the last entry for an address, which is the live one.
    std::fprintf(file_, "%lx %zx tb_%lx_%x\n", static_cast<unsigned long>(reinterpret_cast<uintptr_t>(code)), size,
                 static_cast<unsigned long>(guest_pc), flags);
    std::fflush(file_);
}

}  // namespace mimic::tcg::x64
