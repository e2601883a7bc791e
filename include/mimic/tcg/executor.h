// The guest-independent part of the cpu loop: find or translate the block
// for the current CPU state, chain it to the previous one, run it.
//
// The guest's cpu loop wraps step() in sigsetjmp: a helper or slow path that
// raises a guest exception calls Backend::restore_state(retaddr) to learn
// which guest instruction faulted (its insn_start data), updates the CPU
// state and siglongjmps back; then it calls forget_last_exit() (the block it
// left is no candidate for chaining) and delivers the exception.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "mimic/tcg/builder.h"
#include "mimic/tcg/return_stack.h"
#include "mimic/tcg/tb_cache.h"
#include "mimic/tcg/tlb.h"

namespace mimic::tcg {

struct TbCpuState {
    uint64_t pc;
    uint64_t cs_base;
    uint32_t flags;
    uint32_t cs_limit = 0;   // x86: translation checks fetches and branch targets against it
};

class Executor {
public:
    struct Hooks {
        // The state that selects a block: pc, cs_base, mode flags. A plain
        // function: it runs on every indirect jump.
        TbCpuState (*get_state)(void* env) = nullptr;
        // Whether the code page at pc is mapped global (x86: PTE.G with
        // CR4.PGE): its jump cache entries survive flush_jump_cache_nonglobal().
        // Optional.
        bool (*code_global)(void* env, uint64_t pc) = nullptr;
        // The TLB addend with which the current MMU mode maps the code page
        // at pc for execution (entering it first), for goto_tb_guarded
        // links; false when there is none. Optional: without it such
        // slots are not linked.
        bool (*code_page_token)(void* env, uint64_t pc, uint64_t* token) = nullptr;
        // Physical address of the code at pc; may raise a guest exception.
        // A plain function: it runs on every jump cache miss.
        uint64_t (*code_phys)(void* env, uint64_t pc) = nullptr;
        // The front end: writes the IR for the code at tb.pc into b and sets
        // tb.size, tb.icount and (for code crossing a page) tb.phys_page2.
        std::function<void(void* env, TranslationBlock& tb, Builder& b)> translate;
        // The vCPU's return stack (BackendConfig::return_stack_offset), which
        // is emptied with the jump cache. Optional.
        ReturnStack* return_stack = nullptr;
    };

    Executor(TbCache& cache, const Globals& globals, void* env, Hooks hooks);
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    // The table generated code probes for indirect jumps (env holds a
    // pointer to it where BackendConfig::jump_table_offset says).
    const JumpTable& jump_table() const { return *jump_table_; }

    // Runs the block for the current CPU state (translating it if needed)
    // and whatever it chains to; returns the exit_tb value.
    uintptr_t step();

    // The block for state, from the jump cache, the TB cache or the front end.
    TranslationBlock* get_tb(const TbCpuState& state);

    // The previous exit must not be chained (after an exception or interrupt).
    void forget_last_exit() { last_exit_ = 0; }
    // Drops the jump cache (the guest calls this when code mappings change).
    // The return stack's entries go with the jump cache's (all of them, or
    // the page's): its records point into code translated under the old
    // mappings.
    void flush_jump_cache();
    // Drops the entries of blocks on pages not mapped global (an address
    // space switch that keeps global mappings: x86 MOV CR3).
    void flush_jump_cache_nonglobal();
    // Drops the entries of blocks starting on the virtual page of vaddr.
    void flush_jump_cache_page(uint64_t vaddr);

    bool optimize = true;   // run the optimizer passes
    bool verify = true;     // verify the front end's IR
    bool chain = true;      // link blocks (-d nochain turns it off)
    // Flush when this many blocks (valid or not) exist: Backend::max_blocks().
    size_t max_blocks = 0;

    // What BackendConfig::lookup_tb and lookup_code answer for this
    // executor's env (the guest finds its executor from env: no global or
    // thread-local state on the indirect-jump path).
    TranslationBlock* lookup_tb();
    const void* lookup_code();

private:
    // The jump cache index: the page picks one of 64 groups of 64 entries
    // and the offset in the page the entry in the group, so that a page's
    // entries can be dropped alone (INVLPG) rather than the whole cache.
    // 4096 entries, as QEMU has: 32 KiB stay in the host's caches, where
    // 64 Ki entries (512 KiB) made most lookups two cache misses (Linux
    // boot: lookups 3.4% of the time with 64 Ki, 2.6% with 4 Ki; indirect
    // jumps find their targets in the JumpTable first).
    static constexpr unsigned kJumpCacheBits = 12;
    static constexpr unsigned kJumpGroupBits = 6;
    static unsigned jump_cache_index(uint64_t pc) {
        constexpr uint64_t kGroupMask = (1u << kJumpGroupBits) - 1;
        uint64_t group = ((pc >> kPageBits) ^ (pc >> (kPageBits + kJumpGroupBits))) & kGroupMask;
        uint64_t slot = (pc ^ (pc >> kJumpGroupBits)) & kGroupMask;
        return static_cast<unsigned>((group << kJumpGroupBits) | slot);
    }
    TranslationBlock* translate(const TbCpuState& state, uint64_t phys_pc);
    TranslationBlock* find(const TbCpuState& state);

    TbCache& cache_;
    const Globals& globals_;
    void* env_;
    Hooks hooks_;
    uintptr_t last_exit_ = 0;
    uint64_t generation_;
    // Entries are a block pointer with the epoch they were made in in the
    // top 16 bits: flushing the cache (every CR3 write) is a new epoch, not
    // a 512 KiB memset. Blocks on global pages take their epoch from a
    // second counter (top bit set), which only full flushes advance.
    static constexpr unsigned kEpochShift = 48;
    static constexpr uint16_t kGlobalEpoch = 0x8000;
    TranslationBlock* jump_cache_get(unsigned idx) const {
        uint64_t e = jump_cache_[idx];
        const auto tag = static_cast<uint16_t>(e >> kEpochShift);
        if (tag != epoch_ && tag != global_epoch_) return nullptr;
        return reinterpret_cast<TranslationBlock*>(e & ((uint64_t{1} << kEpochShift) - 1));
    }
    void jump_cache_set(unsigned idx, TranslationBlock* tb) {
        auto p = reinterpret_cast<uint64_t>(tb);
        if (p >> kEpochShift) return;   // not a user-space address: just not cached
        jump_cache_[idx] = (uint64_t{code_global(*tb) ? global_epoch_ : epoch_} << kEpochShift) | p;
    }
    // Whether every page the block's code is on is mapped global.
    bool code_global(const TranslationBlock& tb) const {
        return hooks_.code_global && hooks_.code_global(env_, tb.pc) &&
               (tb.phys_page2 == kNoPage || hooks_.code_global(env_, tb.pc + tb.size - 1));
    }
    void clear_jump_cache();
    void clear_return_stack();
    std::unique_ptr<uint64_t[]> jump_cache_;
    std::unique_ptr<JumpTable> jump_table_;
    // Every translation writes its IR here: the storage stays allocated.
    Block scratch_block_;
    uint16_t epoch_ = 1;                       // 1..0x7fff; 0 marks entries as empty
    uint16_t global_epoch_ = kGlobalEpoch + 1;  // 0x8001..0xffff
};

}  // namespace mimic::tcg
