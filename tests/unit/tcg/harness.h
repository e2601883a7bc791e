// A fake CPU state and helpers to run IR blocks on both back ends.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "mimic/tcg/backend.h"
#include "mimic/tcg/builder.h"
#include "mimic/tcg/optimizer.h"
#include "mimic/tcg/return_stack.h"
#include "mimic/tcg/tlb.h"
#include "mimic/tcg/verifier.h"
#include "mimic/util/error.h"

namespace mimic::tcg::test {

struct FakeCpu {
    uint64_t r[16];        // I64 globals r0..r15
    uint32_t e[8];         // I32 globals e0..e7
    uint64_t scratch[8];   // reached with ld/st, not globals
    uint64_t pc;
    SoftTlb tlb;
    ReturnStack return_stack;
    void* executor = nullptr;   // tests running an Executor: their lookups find it here

    FakeCpu() { clear(); }
    void clear() {
        std::memset(r, 0, sizeof(r));
        std::memset(e, 0, sizeof(e));
        std::memset(scratch, 0, sizeof(scratch));
        pc = 0;
    }
};

struct Harness {
    Globals g;
    I64 r[16];
    I32 e[8];
    I64 pc;

    Harness() {
        for (int i = 0; i < 16; ++i) r[i] = g.add_i64("r" + std::to_string(i), offsetof(FakeCpu, r) + 8 * i);
        for (int i = 0; i < 8; ++i) e[i] = g.add_i32("e" + std::to_string(i), offsetof(FakeCpu, e) + 4 * i);
        pc = g.add_i64("pc", offsetof(FakeCpu, pc));
    }
};

inline BackendConfig default_config(LoadSlowFn ld = nullptr, StoreSlowFn st = nullptr) {
    BackendConfig cfg;
    cfg.softmmu.tlb_offset = offsetof(FakeCpu, tlb);
    cfg.softmmu.load_slow = ld;
    cfg.softmmu.store_slow = st;
    cfg.code_buffer_size = 4u << 20;
    return cfg;
}

// One back end of each kind and helpers to compile blocks for both.
struct BothBackends {
    std::unique_ptr<Backend> be[2];
    explicit BothBackends(const BackendConfig& cfg = default_config()) {
        be[0] = make_jit_backend(cfg);
        be[1] = make_interpreter_backend(cfg);
    }
};

// Compiles copies of `block` for both back ends.
struct CompiledPair {
    TranslationBlock tb[2];
    CompiledPair(BothBackends& b, const Block& block) {
        verify_or_throw(block);
        for (int i = 0; i < 2; ++i) {
            Block copy = block;
            if (!b.be[i]->translate(tb[i], std::move(copy))) {
                // Code buffer full: only long test loops get here, and they
                // are done with their earlier blocks.
                b.be[i]->flush();
                Block again = block;
                EXPECT_TRUE(b.be[i]->translate(tb[i], std::move(again)));
            }
        }
    }
};

inline const char* backend_name(int i) { return i == 0 ? "jit" : "interp"; }

}  // namespace mimic::tcg::test
