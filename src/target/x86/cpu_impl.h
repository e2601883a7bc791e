// The implementation side of X86Cpu: everything the helpers, the MMU and the
// cpu loop share. Private to src/target/x86.
#pragma once

#include <memory>
#include <condition_variable>
#include <mutex>

#include "mimic/memory/address_space.h"
#include "mimic/memory/ram_block.h"
#include "mimic/tcg/backend.h"
#include "mimic/x86/cpu.h"
#include "mimic/tcg/executor.h"
#include "mimic/tcg/tb_cache.h"
#include <thread>
#include <vector>

namespace mimic::x86 {

class Translator;

class CpuImpl final : public X86Cpu {
public:
    CpuImpl(const CpuConfig& config, memory::AddressSpace& mem, memory::AddressSpace& io, CpuHooks hooks);
    ~CpuImpl() override;

    ExitReason run() override;
    void request_exit() override;
    void wait_for_work(std::chrono::milliseconds timeout) override;
    void reset() override;
    void set_interrupt_controller(InterruptController* ic) override { ic_ = ic; }
    void set_irq_line(bool level) override;
    void raise_nmi() override;
    void set_a20(bool enabled) override;
    CpuState& state() override { return env_; }
    void flush_translations() override;
    void state_changed() override;
    uint32_t eflags() const override;
    void set_eflags(uint32_t value) override;
    std::string dump_state() const override;
    uint64_t translated_blocks() const override { return tb_count_; }

    // ---- shared with helpers ----
    CpuState env_;
    const CpuConfig config_;
    memory::AddressSpace& mem_;
    memory::AddressSpace& io_;
    CpuHooks hooks_;
    InterruptController* ic_ = nullptr;
    std::unique_ptr<tcg::Backend> backend_;
    tcg::Globals globals_;
    std::unique_ptr<tcg::TbCache> tbs_;
    std::unique_ptr<tcg::Executor> executor_;
    std::unique_ptr<Translator> translator_;
    std::thread::id vcpu_thread_;
    // Code writes reported from other threads (DMA), handled at the next loop turn.
    std::mutex pending_mutex_;
    std::vector<std::pair<uint64_t, uint64_t>> pending_invalidations_;
    void invalidate_code(uint64_t paddr, uint64_t len);   // any thread
    uint64_t tb_count_ = 0;
    bool shutdown_ = false;
    // A helper asked for every translation to go (they compiled in state
    // that changed, e.g. breakpoints); done between blocks, never under one.
    bool flush_requested_ = false;

    // The TLB and the jump cache must go together: a page mapping change
    // makes cached virtual-pc lookups stale.
    void tlb_flush();
    void tlb_flush_page(uint64_t vaddr);

    // Records what tlb_fill entered, for CR3 writes (global pages survive)
    // and INVLPG of large pages (which flush everything).
    void note_tlb_entry(unsigned mmu_idx, uint64_t vaddr, bool global, bool large);
    void tlb_flush_nonglobal();
    // Self-modifying code: a store of `size` bytes at host address `host`
    // (guest RAM) is about to happen. Invalidates the blocks of that page;
    // if the running block is one of them, restarts the instruction in a
    // block of its own (does not return).
    void code_write_check(uint64_t paddr, memory::RamBlock* rb, uint64_t offset, unsigned size, uintptr_t retaddr);
    // A page just became a code page: no TLB entry may write it directly.
    void drop_writable_mappings(uintptr_t host_page);

    void bql_lock() { if (hooks_.lock_bql) hooks_.lock_bql(); }
    void bql_unlock() { if (hooks_.unlock_bql) hooks_.unlock_bql(); }

    bool tlb_global_[tcg::kNumMmuModes][tcg::kTlbSize] = {};
    bool tlb_has_large_ = false;

private:
    void wake();
    std::mutex wake_mutex_;
    std::condition_variable wake_cv_;
    int exec_loop();
    tcg::TranslationBlock* tb_find();
    bool check_interrupts();
};

inline CpuImpl& cpu_of(CpuState* env) { return *static_cast<CpuImpl*>(env->owner); }

}  // namespace mimic::x86
