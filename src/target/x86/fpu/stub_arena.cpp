// The arena behind assemble_stub (see stub_arena.h).
#include "stub_arena.h"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>

#include "mimic/util/error.h"

namespace mimic::x86 {

void* assemble_stub(size_t max_size, const std::function<void(Xbyak::CodeGenerator&)>& emit) {
    constexpr size_t kChunk = 1u << 20;
    static std::mutex mu;
    static uint8_t* chunk = nullptr;
    static size_t used = 0;
    std::lock_guard<std::mutex> lock(mu);
    if (!chunk || used + max_size > kChunk) {
        void* p = mmap(nullptr, kChunk, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw Error("cannot allocate memory for FPU stubs");
        chunk = static_cast<uint8_t*>(p);
        used = 0;
    }
    uint8_t* at = chunk + used;
    Xbyak::CodeGenerator g(max_size, at);
    emit(g);
    used += (g.getSize() + 15) & ~size_t{15};
    return at;
}

}  // namespace mimic::x86
