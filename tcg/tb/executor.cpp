#include "mimic/tcg/executor.h"

#include <algorithm>

#include "mimic/tcg/optimizer.h"
#include "mimic/tcg/printer.h"
#include "mimic/tcg/verifier.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::tcg {

Executor::Executor(TbCache& cache, const Globals& globals, void* env, Hooks hooks)
    : cache_(cache),
      globals_(globals),
      env_(env),
      hooks_(std::move(hooks)),
      generation_(cache.generation()),
      jump_cache_(new uint64_t[1u << kJumpCacheBits]()),
      jump_table_(std::make_unique<JumpTable>()),
      scratch_block_(globals) {
    max_blocks = cache_.backend().max_blocks();
    cache_.attach(jump_table_.get());
}

Executor::~Executor() { cache_.detach(jump_table_.get()); }

void Executor::clear_jump_cache() {
    std::fill_n(jump_cache_.get(), 1u << kJumpCacheBits, 0);
    epoch_ = 1;
    global_epoch_ = kGlobalEpoch + 1;
}

void Executor::clear_return_stack() {
    if (hooks_.return_stack) hooks_.return_stack->clear();
}

void Executor::flush_jump_cache() {
    jump_table_->clear();
    clear_return_stack();
    // A counter that wraps would bring entries of its old values back.
    if (++epoch_ == kGlobalEpoch || ++global_epoch_ == 0) clear_jump_cache();
}

void Executor::flush_jump_cache_nonglobal() {
    jump_table_->clear_nonglobal();
    clear_return_stack();
    if (++epoch_ == kGlobalEpoch) clear_jump_cache();
}

void Executor::flush_jump_cache_page(uint64_t vaddr) {
    static_assert(2 * kJumpGroupBits == kJumpCacheBits && kJumpGroupBits <= kPageBits);
    unsigned first = jump_cache_index(vaddr & kPageMask) & ~((1u << kJumpGroupBits) - 1);
    for (unsigned i = 0; i < (1u << kJumpGroupBits); ++i) jump_cache_[first + i] = 0;
    jump_table_->drop_page(vaddr, kPageMask);
    if (hooks_.return_stack) hooks_.return_stack->drop_page(vaddr, kPageMask);
}

TranslationBlock* Executor::lookup_tb() { return find(hooks_.get_state(env_)); }

const void* Executor::lookup_code() {
    const TbCpuState s = hooks_.get_state(env_);
    if (const void* code = jump_table_->find(s.pc, s.cs_base, JumpTable::key(s.flags, s.cs_limit))) return code;
    TranslationBlock* tb = find(s);
    if (!tb || !tb->code) return nullptr;
    jump_table_->set(*tb, code_global(*tb));
    return tb->code;
}

// Jump cache, then the TB cache; nullptr when the block is not translated.
TranslationBlock* Executor::find(const TbCpuState& s) {
    if (generation_ != cache_.generation()) {
        // A flush freed every block.
        flush_jump_cache();
        last_exit_ = 0;
        generation_ = cache_.generation();
    }
    unsigned idx = jump_cache_index(s.pc);
    TranslationBlock* tb = jump_cache_get(idx);
    if (tb && !tb->invalid && tb->pc == s.pc && tb->cs_base == s.cs_base && tb->flags == s.flags &&
        tb->cs_limit == s.cs_limit)
        return tb;
    tb = cache_.lookup(TbKey{hooks_.code_phys(env_, s.pc), s.pc, s.cs_base, s.flags, s.cs_limit});
    if (tb) jump_cache_set(idx, tb);
    return tb;
}

TranslationBlock* Executor::get_tb(const TbCpuState& s) {
    if (TranslationBlock* tb = find(s)) return tb;
    TranslationBlock* tb = translate(s, hooks_.code_phys(env_, s.pc));
    unsigned idx = jump_cache_index(s.pc);
    jump_cache_set(idx, tb);
    return tb;
}

TranslationBlock* Executor::translate(const TbCpuState& s, uint64_t phys_pc) {
    if (cache_.allocated() >= max_blocks) {
        cache_.flush();
        flush_jump_cache();
        last_exit_ = 0;
        generation_ = cache_.generation();
    }
    for (int attempt = 0;; ++attempt) {
        TranslationBlock* tb = cache_.create(TbKey{phys_pc, s.pc, s.cs_base, s.flags, s.cs_limit});
        Block& block = scratch_block_;
        block.reset();
        Builder b(block);
        hooks_.translate(env_, *tb, b);
        if (log::enabled_at(log::kOp, tb->pc)) log::write(fmt::format("OP:\n{}\n", print_block(block)));
        if (verify) verify_or_throw(block);
        if (optimize) {
            tcg::optimize(block);
            if (log::enabled_at(log::kOpOpt, tb->pc))
                log::write(fmt::format("OP after optimization:\n{}\n", print_block(block, true)));
        }
        if (cache_.backend().translate(*tb, std::move(block))) {
            cache_.insert(tb);
            return tb;
        }
        // Code buffer full: start over with an empty one.
        if (attempt > 0) throw Error("translation block does not fit in an empty code buffer");
        cache_.flush();
        flush_jump_cache();
        last_exit_ = 0;
        generation_ = cache_.generation();
    }
}

uintptr_t Executor::step() {
    TbCpuState s = hooks_.get_state(env_);
    TranslationBlock* tb = get_tb(s);
    uintptr_t prev = last_exit_;   // read after get_tb: a flush there clears it
    unsigned slot = static_cast<unsigned>(prev & kExitSlotMask);
    if (chain && !log::enabled(log::kNochain) && slot < kNumJumpSlots && (prev & ~kExitSlotMask)) {
        auto* from = reinterpret_cast<TranslationBlock*>(prev & ~kExitSlotMask);
        if (from->jmp_guard[slot] == kNoJump) {
            cache_.link(from, slot, tb);
        } else if (uint64_t token; hooks_.code_page_token && hooks_.code_page_token(env_, tb->pc, &token)) {
            cache_.link(from, slot, tb, token);
        }
    }
    if (log::enabled_at(log::kExec, tb->pc))
        log::write(fmt::format("Trace: {:p} [{:016x}/{:016x}/{:08x}]\n", static_cast<const void*>(tb->code), tb->pc,
                               tb->cs_base, tb->flags));
    const uintptr_t ret = cache_.backend().exec(env_, *tb);
    last_exit_ = ret;
    return ret;
}

}  // namespace mimic::tcg
