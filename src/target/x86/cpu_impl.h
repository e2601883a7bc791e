// The implementation side of X86Cpu: everything the helpers, the MMU and the
// cpu loop share. Private to src/target/x86.
#pragma once

#include <bit>

#include <atomic>
#include <chrono>
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
class CpuImpl;

// exception_index values that are not vectors: leave the cpu loop.
inline constexpr int kExcpHalted = -3;   // HLT
inline constexpr int kExcpYield = -4;    // PAUSE with other vCPUs waiting

// What the vCPUs of one machine share: generated code, the translation
// blocks and the code writes reported from other threads. Sharing one cache
// keeps self-modifying code detection right when one vCPU writes code
// another one has translated. The vCPUs run round-robin on one thread
// (src/accel/tcg/tcg_accel.cpp), so none of this needs more locking than the
// cross-thread queue.
struct SharedTranslation {
    std::unique_ptr<tcg::Backend> backend;
    std::unique_ptr<tcg::TbCache> tbs;
    std::vector<CpuImpl*> cpus;
    std::mutex pending_mutex;
    std::vector<std::pair<uint64_t, uint64_t>> pending_invalidations;
    // Set with the queue under the mutex: the CPU loop checks it on every
    // turn and takes the mutex only when there is something to do.
    std::atomic<bool> any_pending{false};
    ~SharedTranslation();
};

class CpuImpl final : public X86Cpu {
public:
    CpuImpl(const CpuConfig& config, memory::AddressSpace& mem, memory::AddressSpace& io, CpuHooks hooks,
            CpuImpl* sibling);
    ~CpuImpl() override;

    ExitReason run() override;
    void request_exit() override;
    void wait_for_work(std::chrono::milliseconds timeout) override;
    void reset() override;
    void set_interrupt_controller(InterruptController* ic) override { ic_ = ic; }
    void set_irq_line(bool level) override;
    void raise_nmi() override;
    void raise_machine_check() override;
    void set_local_apic(LocalApic* apic) override {
        apic_ = apic;
        ic_ = apic;
    }
    void send_init() override;
    void send_sipi(uint8_t vector) override;
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
    // Bits 51..MAXPHYADDR of a PAE or 4-level paging entry: reserved.
    const uint64_t paging_address_reserved_ = 0x000fffffffffffffull & ~((1ull << physical_address_bits(config_.model)) - 1);
    memory::AddressSpace& mem_;
    memory::AddressSpace& io_;
    CpuHooks hooks_;
    InterruptController* ic_ = nullptr;
    LocalApic* apic_ = nullptr;
    // Wait-for-SIPI: an AP after reset or INIT runs nothing and takes no
    // interrupt until a STARTUP IPI arrives (vCPU thread only).
    bool wait_for_sipi_ = false;
    std::atomic<uint8_t> sipi_vector_{0};
    std::shared_ptr<SharedTranslation> shared_;
    tcg::Backend* backend_ = nullptr;
    tcg::Globals globals_;
    tcg::TbCache* tbs_ = nullptr;
    std::unique_ptr<tcg::Executor> executor_;
    std::unique_ptr<Translator> translator_;
    std::thread::id vcpu_thread_;
    // The caller may touch this vCPU's TLB and translations directly: it is
    // the vCPU's thread, or the vCPU has not run yet. Otherwise requests are
    // queued for the vCPU's next loop turn.
    bool on_own_thread() const {
        return std::this_thread::get_id() == vcpu_thread_ || vcpu_thread_ == std::thread::id();
    }
    // Code writes reported from other threads (DMA) are queued in shared_
    // and handled at the next loop turn.
    void invalidate_code(uint64_t paddr, uint64_t len);   // any thread
    uint64_t tb_count_ = 0;
    bool shutdown_ = false;
    // A helper asked for every translation to go (they compiled in state
    // that changed, e.g. breakpoints); done between blocks, never under one.
    bool flush_requested_ = false;

    // The memory map changed (PAM, SMRAM, a BAR moved): TLB entries hold
    // host addresses of the old map. Flushed at once on the vCPU's own
    // thread (its device write changed the map), otherwise before it next
    // runs guest code.
    void memory_map_changed();   // any thread, BQL held
    std::atomic<bool> map_changed_{false};
    uint64_t map_listener_ = 0;

    // The TLB and the jump cache must go together: a page mapping change
    // makes cached virtual-pc lookups stale.
    void tlb_flush();
    void tlb_flush_page(uint64_t vaddr);

    // Records what tlb_fill entered, for CR3 writes (global pages survive)
    // and INVLPG of large pages (which flush everything).
    void note_tlb_entry(unsigned mmu_idx, uint64_t vaddr, bool global, uint64_t page_size);
    void tlb_flush_nonglobal();
    // The tables' sizes follow their use (tcg::tlb_bits_after_conflicts and
    // tlb_bits_after_flush): fills that evict other pages are counted, and
    // the most entries in use is kept per window of kTlbWindow.
    struct TlbUse {
        unsigned conflicts = 0;
        unsigned window_max_used = 0;
        std::chrono::steady_clock::time_point window_start{};
    };
    static constexpr std::chrono::milliseconds kTlbWindow{100};
    TlbUse tlb_use_[tcg::kNumMmuModes];
    unsigned tlb_used_count(unsigned mmu_idx) const;
    // A page displaced another from its entry (a fill or a victim swap):
    // counted, and the table grows when that keeps happening.
    void tlb_conflict(unsigned mmu_idx);
    // At a flush, before the used entries are cleared: may shrink the table
    // (the caller's flush then leaves it consistent) or ask for a resize of
    // the entries kept (returns the bits to pass to tlb_resize).
    unsigned tlb_bits_at_flush(unsigned mmu_idx);
    // tlb_flush with the tables' new sizes already decided.
    void tlb_flush_all(const unsigned (&bits)[tcg::kNumMmuModes]);
    // Gives mmu_idx's table 2^bits entries, moving the valid ones.
    void tlb_resize(unsigned mmu_idx, unsigned bits);
    // Whether the TLB maps the code page at pc (current mode) global.
    bool code_page_global(uint64_t pc) const;
    // Self-modifying code: a store of `size` bytes at paddr (guest RAM, one
    // page) is about to happen. Invalidates the blocks with code in those
    // bytes (the page's code bitmap says whether there are any); if the
    // running block is one of them, restarts the instruction in a block of
    // its own (does not return). Returns whether the page still holds code.
    bool code_write_check(uint64_t paddr, unsigned size, uintptr_t retaddr);
    // The page at paddr holds no translated code any more: its RAM block
    // stops tracking it (direct writes are fine again).
    void forget_code_page(uint64_t paddr);
    // A page just became a code page: TLB entries writing it directly get
    // kTlbFlagCode, so that their stores do the check first.
    void flag_code_page_mappings(uintptr_t host_page);

    void bql_lock() { if (hooks_.lock_bql) hooks_.lock_bql(); }
    void bql_unlock() { if (hooks_.unlock_bql) hooks_.unlock_bql(); }

    // The victim TLB (as QEMU's): entries the direct-mapped TLB evicted, so
    // that two pages with the same index (a copy between buffers a multiple
    // of 1 MiB apart) swap back in instead of walking the page tables on
    // every access. Only the slow path looks here.
    // Before tlb_fill replaces the entry for vaddr's index: keep the old one.
    void tlb_evict_to_victim(unsigned mmu_idx, uint64_t vaddr);
    // Swaps a victim entry allowing `access` (0 read, 1 write, 2 exec) to
    // vaddr's page into the TLB; false if there is none.
    bool tlb_victim_refill(unsigned mmu_idx, uint64_t vaddr, int access);

    // Entries of pages mapped global (bit i of word i / 64): a flush of
    // the non-global mappings (a CR3 write) keeps them, word by word.
    uint64_t tlb_global_[tcg::kNumMmuModes][tcg::kTlbCapacity / 64] = {};
    bool tlb_global(unsigned m, unsigned i) const { return (tlb_global_[m][i / 64] >> (i % 64)) & 1; }
    void set_tlb_global(unsigned m, unsigned i, bool global) {
        const uint64_t bit = 1ull << (i % 64);
        tlb_global_[m][i / 64] = global ? tlb_global_[m][i / 64] | bit : tlb_global_[m][i / 64] & ~bit;
    }
    // Entries filled since they were last flushed (bit i of word i / 64):
    // flushes visit those, not the whole table (Linux writes CR3 at every
    // context switch and touches a few dozen pages in between).
    uint64_t tlb_used_[tcg::kNumMmuModes][tcg::kTlbCapacity / 64] = {};
    void note_tlb_used(unsigned mmu_idx, unsigned idx) { tlb_used_[mmu_idx][idx / 64] |= 1ull << (idx % 64); }
    // Calls keep(mmu_idx, index) for each entry filled since it was last
    // flushed; it stays tracked if keep returns true.
    template <typename Keep>
    void visit_used_tlb_entries(Keep keep) {
        for (unsigned m = 0; m < tcg::kNumMmuModes; ++m) {
            const unsigned words = (env_.tlb.size(m) + 63) / 64;
            for (unsigned w = 0; w < words; ++w) {
                uint64_t& word = tlb_used_[m][w];
                const unsigned first = w * 64;
                uint64_t kept = 0;
                for (uint64_t bits = word; bits; bits &= bits - 1) {
                    const unsigned bit = static_cast<unsigned>(std::countr_zero(bits));
                    if (keep(m, first + bit)) kept |= 1ull << bit;
                }
                word = kept;
            }
        }
    }
    bool tlb_has_large_ = false;
    uint64_t tlb_large_addr_ = 0, tlb_large_mask_ = 0;   // the region large pages were entered in
    static constexpr unsigned kVictimTlbSize = 8;
    struct VictimEntry {
        tcg::TlbEntry e;
        bool global;
        uint64_t paddr;
    };
    // The physical page of each TLB entry: block lookups by virtual pc need
    // it on every jump cache miss, without a page walk.
    uint64_t tlb_paddr_[tcg::kNumMmuModes][tcg::kTlbCapacity] = {};
    VictimEntry tlb_victim_[tcg::kNumMmuModes][kVictimTlbSize];
    unsigned tlb_victim_next_[tcg::kNumMmuModes] = {};

private:
    void wake();
    std::mutex wake_mutex_;
    std::condition_variable wake_cv_;
    int exec_loop();
    tcg::TranslationBlock* tb_find();
    bool check_interrupts();
    // Whether a pending event would be taken now (and so end a HLT).
    bool wakes_from_halt(uint32_t req);
    void do_init();
    void do_sipi();
};

inline CpuImpl& cpu_of(CpuState* env) { return *static_cast<CpuImpl*>(env->owner); }

}  // namespace mimic::x86
