#include "shared_coverage.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" uint8_t mimic_fuzz_shared_coverage_begin[], mimic_fuzz_shared_coverage_end[];

namespace mimic::fuzz {

void share_coverage_with_children() {
    uint8_t* begin = mimic_fuzz_shared_coverage_begin;
    const size_t length = static_cast<size_t>(mimic_fuzz_shared_coverage_end - begin);
    if (length == 0 || reinterpret_cast<uintptr_t>(begin) % 4096 != 0) {
        std::fprintf(stderr, "shared_coverage: the counters are not page-aligned (link with shared_coverage.ld)\n");
        std::exit(2);
    }
    // A shared copy, moved over the original: the counters keep their
    // addresses and their values, and children now write into the copy.
    void* shared = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        std::fprintf(stderr, "shared_coverage: mmap: %s\n", std::strerror(errno));
        std::exit(2);
    }
    std::memcpy(shared, begin, length);
    if (mremap(shared, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, begin) == MAP_FAILED) {
        std::fprintf(stderr, "shared_coverage: mremap: %s\n", std::strerror(errno));
        std::exit(2);
    }
}

}  // namespace mimic::fuzz
