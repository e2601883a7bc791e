// X86Cpu: construction, the SDM reset state, hflags, the TLB bookkeeping
// and the cpu loop that runs blocks and delivers exceptions and interrupts.
#include <bit>
#include <csetjmp>

#include "cpu_impl.h"
#include "mimic/x86/mce.h"
#include "helpers.h"
#include "mimic/memory/code_tracking.h"
#include "mimic/memory/memory_region.h"
#include "mimic/util/log.h"
#include "translate/translator.h"

namespace mimic::x86 {

namespace {


tcg::BackendConfig backend_config() {
    tcg::BackendConfig cfg;
    cfg.softmmu.tlb_offset = static_cast<int32_t>(offsetof(CpuState, tlb));
    cfg.softmmu.load_slow = softmmu_load_slow;
    cfg.softmmu.store_slow = softmmu_store_slow;
    cfg.lookup_tb = [](void* env) { return cpu_of(static_cast<CpuState*>(env)).executor_->lookup_tb(); };
    cfg.lookup_code = [](void* env) { return cpu_of(static_cast<CpuState*>(env)).executor_->lookup_code(); };
    cfg.jump_table_offset = static_cast<int32_t>(offsetof(CpuState, jump_table));
    cfg.return_stack_offset = static_cast<int32_t>(offsetof(CpuState, return_stack));
    return cfg;
}

}  // namespace

const CpuFeatures& cpu_features(const CpuState* env) {
    return static_cast<const CpuImpl*>(env->owner)->config_.model.features;
}

void update_hflags(CpuState* env) {
    uint32_t h = env->hflags & (kHfCplMask | kHfInhibitIrq | kHfSingleInsn | kHfDbArmed);
    const bool pe = env->cr[0] & kCr0PE;
    const bool vm = env->eflags & kFlagVM;
    if (!pe) h &= ~kHfCplMask;
    if (vm) h = (h & ~kHfCplMask) | 3;
    if (pe) h |= kHfPe;
    if (vm) h |= kHfVm;
    if (env->cr[0] & kCr0PG) h |= kHfPg;
    if (env->seg[kCS].flags & kDescB) h |= kHfCs32;
    if (env->seg[kSS].flags & kDescB) h |= kHfSs32;
    if (env->eflags & kFlagTF) h |= kHfTf;
    if (env->eflags & kFlagRF) h |= kHfRf;
    if ((env->cr[0] & kCr0AM) && (env->eflags & kFlagAC) && (h & kHfCplMask) == 3) h |= kHfAc;
    if ((env->cr[4] & kCr4SMAP) && (env->eflags & kFlagAC) && (h & kHfCplMask) != 3) h |= kHfSmapOff;
    if (env->cr[4] & kCr4UMIP) h |= kHfUmip;
    h |= ((env->eflags & kFlagIOPL) >> kIoplShift) << kHfIoplShift;
    const bool cs64 = (env->efer & kEferLMA) && (env->seg[kCS].flags & kDescL);
    if (!(env->cr[0] & (kCr0EM | kCr0TS)) && (env->cr[4] & kCr4OSFXSR) && (env->fpu.mxcsr & 0x1f80) == 0x1f80)
        h |= kHfSseInline;
    if (env->efer & kEferLMA) h |= kHfLma;
    if (cs64) h |= kHfCs64;
    if (cs64) {
        // 64-bit mode: no limits, no bases but FS and GS (added explicitly).
        env->hflags = h;
        return;
    }
    if (!pe || vm || env->seg[kDS].base || env->seg[kES].base || env->seg[kSS].base) h |= kHfAddSeg;
    // Segments that need a limit/type check on every access: anything but a
    // flat, writable, expand-up data segment in protected mode; in real and
    // V86 mode only segments whose cached limit is below 64 KiB... which the
    // 16-bit address wrap already covers, except for 32-bit addressing.
    for (int s = 0; s < 6; ++s) {
        const SegmentCache& c = env->seg[s];
        bool flat = c.limit == 0xffffffff && (c.flags & kDescP) && !(c.flags & kDescCode) && (c.flags & kDescRW) &&
                    !(c.flags & kDescExpandDown);
        bool check = pe && !vm ? !flat : c.limit < 0xffff;
        if (check) h |= 1u << (kHfSegCheckShift + s);
    }
    env->hflags = h;
}

SharedTranslation::~SharedTranslation() { memory::set_code_write_hook(nullptr); }

CpuImpl::CpuImpl(const CpuConfig& config, memory::AddressSpace& mem, memory::AddressSpace& io, CpuHooks hooks,
                 CpuImpl* sibling)
    : config_(config), mem_(mem), io_(io), hooks_(std::move(hooks)) {
    env_.owner = this;
    if (sibling) {
        shared_ = sibling->shared_;
    } else {
        shared_ = std::make_shared<SharedTranslation>();
        tcg::BackendConfig bc = backend_config();
        shared_->backend = config.backend == TcgBackend::kInterp ? tcg::make_interpreter_backend(bc)
                                                                 : tcg::make_jit_backend(bc);
        shared_->tbs = std::make_unique<tcg::TbCache>(*shared_->backend);
        SharedTranslation* shared = shared_.get();
        memory::set_code_write_hook([shared](memory::MemoryRegion& ram, uint64_t offset, uint64_t len) {
            if (shared->cpus.empty()) return;
            CpuImpl& cpu = *shared->cpus.front();
            // Find where this RAM appears in the guest-physical space.
            auto view = cpu.mem_.view();
            for (const memory::FlatRange& r : view->ranges()) {
                if (r.region != &ram) continue;
                uint64_t rlen = r.last - r.start + 1;
                if (offset + len <= r.offset || offset >= r.offset + rlen) continue;
                uint64_t lo = std::max(offset, r.offset), hi = std::min(offset + len, r.offset + rlen);
                cpu.invalidate_code(r.start + (lo - r.offset), hi - lo);
            }
        });
    }
    shared_->cpus.push_back(this);
    backend_ = shared_->backend.get();
    tbs_ = shared_->tbs.get();
    translator_ = std::make_unique<Translator>(globals_, backend_->runs_host_code());
    tcg::Executor::Hooks eh;
    eh.get_state = [](void* e) {
        auto* env = static_cast<CpuState*>(e);
        tcg::TbCpuState s;
        uint64_t flags_limit;   // flags and cs_limit in one store: the lookup reads them as one word
        if (env->hflags & kHfCs64) {
            // 64-bit mode: no CS base and no limit.
            s.pc = env->eip;
            s.cs_base = 0;
            flags_limit = env->hflags | (uint64_t{0xffffffff} << 32);
        } else {
            s.cs_base = env->seg[kCS].base;
            s.pc = (s.cs_base + env->eip) & 0xffffffffull;
            flags_limit = env->hflags | (uint64_t{env->seg[kCS].limit} << 32);
        }
        static_assert(offsetof(tcg::TbCpuState, cs_limit) == offsetof(tcg::TbCpuState, flags) + 4);
        std::memcpy(&s.flags, &flags_limit, 8);
        return s;
    };
    eh.code_global = [](void* e, uint64_t pc) {
        auto* env = static_cast<CpuState*>(e);
        return cpu_of(env).code_page_global(pc);
    };
    eh.code_phys = [](void* e, uint64_t pc) { return lookup_code_phys(static_cast<CpuState*>(e), pc); };
    eh.code_page_token = [](void* e, uint64_t pc, uint64_t* token) {
        return code_page_token(static_cast<CpuState*>(e), pc, token);
    };
    eh.translate = [this](void* e, tcg::TranslationBlock& tb, tcg::Builder& b) {
        ++tb_count_;
        // The full path: it marks the page as holding code (self-modifying
        // code checks), which the TLB shortcut of code_phys does not.
        uintptr_t host;
        get_code_phys(static_cast<CpuState*>(e), tb.pc, &host, 0);
        translator_->translate(static_cast<CpuState*>(e), tb, b);
    };
    eh.return_stack = &env_.return_stack;
    executor_ = std::make_unique<tcg::Executor>(*tbs_, globals_, &env_, std::move(eh));
    env_.jump_table = executor_->jump_table().entries();
#ifdef NDEBUG
    // Checking every block's IR costs a few percent of translation: debug
    // builds do it, and so does the interpreter, the cross-checking back end.
    executor_->verify = config.backend == TcgBackend::kInterp;
#endif
    map_listener_ = mem_.add_listener([this](const memory::AddressSpace&, const memory::FlatView&) {
        memory_map_changed();
    });
    reset();
}

CpuImpl::~CpuImpl() {
    mem_.remove_listener(map_listener_);
    std::erase(shared_->cpus, this);
}

void CpuImpl::memory_map_changed() {
    if (on_own_thread()) {
        tlb_flush();
        return;
    }
    map_changed_.store(true);
    env_.exit_request.store(1);
}

void CpuImpl::reset() {
    CpuState& e = env_;
    for (auto& r : e.regs) r = 0;
    e.regs[kRDX] = config_.model.version;
    e.eip = 0xfff0;
    e.cc_op = kCcOpEflags;
    e.cc_src = e.cc_dst = e.cc_src2 = 0;
    e.df = 1;
    e.eflags = kFlagFixed1;
    e.hflags = 0;
    const uint32_t data = kDescP | kDescS | kDescRW | kDescAccessed;
    for (int s = 0; s < 6; ++s) e.seg[s] = SegmentCache{0, 0, 0xffff, data};
    e.seg[kCS] = SegmentCache{0xf000, 0xffff0000, 0xffff, data | kDescCode};
    e.ldtr = SegmentCache{0, 0, 0xffff, kDescP | (2u << kDescTypeShift)};
    e.tr = SegmentCache{0, 0, 0xffff, kDescP | (11u << kDescTypeShift)};
    e.gdtr = TableRegister{0, 0xffff};
    e.idtr = TableRegister{0, 0xffff};
    for (auto& c : e.cr) c = 0;
    e.cr[0] = 0x60000010;
    for (auto& d : e.dr) d = 0;
    e.dr[6] = kDr6Fixed;
    e.dr[7] = kDr7Fixed;
    e.efer = 0;
    e.pkru = 0;
    e.msr = MsrState{};
    reset_machine_check(e.msr, config_.model);
    e.a20_mask = ~0ull;
    e.cpuid_version = config_.model.version;
    e.halted = false;
    e.single_step_after_halt = false;
    e.nmi_blocked = false;
    e.exception_index = -1;
    e.old_exception = -1;
    e.fpu = FpuState{};
    std::memset(e.fpu.st, 0, sizeof(e.fpu.st));
    std::memset(e.fpu.xmm, 0, sizeof(e.fpu.xmm));
    e.interrupt_request.store(0);
    shutdown_ = false;
    if (!config_.bsp) e.msr.apic_base &= ~kApicBaseBsp;
    // APs sleep until the BSP wakes them with INIT-SIPI-SIPI.
    wait_for_sipi_ = !config_.bsp;
    e.halted = wait_for_sipi_;
    update_hflags(&e);
    tlb_flush();
}

// The INIT signal: the RESET state except the MSRs, x87/SSE state and the
// pending external interrupt line (SDM 9.1 table 9-1); an AP then waits for a SIPI.
void CpuImpl::do_init() {
    MsrState msr = env_.msr;
    FpuState fpu = env_.fpu;
    const uint32_t pkru = env_.pkru;   // XSAVE state, which INIT keeps
    uint64_t efer = env_.efer;
    uint32_t keep = env_.interrupt_request.load() & (kIrqHard | kIrqSipi);
    reset();
    env_.msr = msr;
    env_.fpu = fpu;
    env_.pkru = pkru;
    env_.efer = efer & kEferNXE;   // LME/LMA cannot survive the return to real mode
    env_.interrupt_request.fetch_or(keep);
    update_hflags(&env_);
}

// A STARTUP IPI: real mode at vector << 12 (CS = vector << 8, IP = 0).
void CpuImpl::do_sipi() {
    if (!wait_for_sipi_) return;
    uint8_t vector = sipi_vector_.load();
    wait_for_sipi_ = false;
    env_.halted = false;
    env_.seg[kCS].selector = static_cast<uint16_t>(vector << 8);
    env_.seg[kCS].base = static_cast<uint64_t>(vector) << 12;
    env_.eip = 0;
    update_hflags(&env_);
    executor_->forget_last_exit();
}

void CpuImpl::send_init() {
    env_.interrupt_request.fetch_or(kIrqInit);
    env_.exit_request.store(1);
    wake();
}

void CpuImpl::send_sipi(uint8_t vector) {
    sipi_vector_.store(vector);
    env_.interrupt_request.fetch_or(kIrqSipi);
    env_.exit_request.store(1);
    wake();
}

namespace {

bool tlb_entry_valid(const tcg::TlbEntry& e) {
    return e.addr_read != tcg::kTlbInvalid || e.addr_write != tcg::kTlbInvalid || e.addr_code != tcg::kTlbInvalid;
}

// The page an entry maps (tags hold the page address when valid).
uint64_t tlb_entry_page(const tcg::TlbEntry& e) {
    uint64_t tag = e.addr_read != tcg::kTlbInvalid ? e.addr_read : e.addr_write != tcg::kTlbInvalid ? e.addr_write
                                                                                                     : e.addr_code;
    return tag & tcg::kPageMask;
}

}  // namespace

void CpuImpl::tlb_evict_to_victim(unsigned mmu_idx, uint64_t vaddr) {
    const uint64_t page = vaddr & tcg::kPageMask;
    for (VictimEntry& v : tlb_victim_[mmu_idx])   // the walk just done supersedes them
        if (tlb_entry_valid(v.e) && tlb_entry_page(v.e) == page) std::memset(&v.e, 0xff, sizeof(v.e));
    const unsigned idx = env_.tlb.index(mmu_idx, vaddr);
    const tcg::TlbEntry e = env_.tlb.get(mmu_idx, idx);
    if (!tlb_entry_valid(e) || tlb_entry_page(e) == page) return;
    unsigned& next = tlb_victim_next_[mmu_idx];
    tlb_victim_[mmu_idx][next] = VictimEntry{e, tlb_global(mmu_idx, idx), tlb_paddr_[mmu_idx][idx]};
    next = (next + 1) % kVictimTlbSize;
    tlb_conflict(mmu_idx);
}

void CpuImpl::tlb_conflict(unsigned mmu_idx) {
    // Pages evicting each other in a mostly full table: grow it now rather
    // than at the next flush (a long computation may not flush at all).
    TlbUse& use = tlb_use_[mmu_idx];
    if (++use.conflicts < env_.tlb.size(mmu_idx) / 2) return;
    use.conflicts = 0;
    const unsigned bits = tcg::tlb_bits_after_conflicts(env_.tlb.bits(mmu_idx), tlb_used_count(mmu_idx));
    if (bits != env_.tlb.bits(mmu_idx)) tlb_resize(mmu_idx, bits);
}

bool CpuImpl::tlb_victim_refill(unsigned mmu_idx, uint64_t vaddr, int access) {
    const uint64_t page = vaddr & tcg::kPageMask;
    for (VictimEntry& v : tlb_victim_[mmu_idx]) {
        uint64_t tag = access == 0 ? v.e.addr_read : access == 1 ? v.e.addr_write : v.e.addr_code;
        if (!tcg::tlb_tag_matches_page(tag, page)) continue;
        const unsigned idx = env_.tlb.index(mmu_idx, vaddr);
        const tcg::TlbEntry evicted = env_.tlb.get(mmu_idx, idx);
        env_.tlb.put(mmu_idx, idx, v.e);
        v.e = evicted;
        note_tlb_used(mmu_idx, idx);
        const bool g = tlb_global(mmu_idx, idx);
        set_tlb_global(mmu_idx, idx, v.global);
        v.global = g;
        std::swap(tlb_paddr_[mmu_idx][idx], v.paddr);
        // Two pages taking turns in one entry (the victim keeps the other).
        tlb_conflict(mmu_idx);
        return true;
    }
    return false;
}

unsigned CpuImpl::tlb_used_count(unsigned mmu_idx) const {
    unsigned n = 0;
    for (unsigned w = 0; w < (env_.tlb.size(mmu_idx) + 63) / 64; ++w) n += std::popcount(tlb_used_[mmu_idx][w]);
    return n;
}

unsigned CpuImpl::tlb_bits_at_flush(unsigned mmu_idx) {
    TlbUse& use = tlb_use_[mmu_idx];
    use.window_max_used = std::max(use.window_max_used, tlb_used_count(mmu_idx));
    const auto now = std::chrono::steady_clock::now();
    if (now - use.window_start < kTlbWindow) return env_.tlb.bits(mmu_idx);
    const unsigned bits = tcg::tlb_bits_after_flush(env_.tlb.bits(mmu_idx), use.window_max_used);
    use = TlbUse{0, 0, now};
    return bits;
}

void CpuImpl::tlb_resize(unsigned mmu_idx, unsigned bits) {
    struct Kept {
        tcg::TlbEntry e;
        bool global;
        uint64_t paddr;
    };
    std::vector<Kept> kept;
    const unsigned words = (env_.tlb.size(mmu_idx) + 63) / 64;
    for (unsigned w = 0; w < words; ++w) {
        for (uint64_t used = tlb_used_[mmu_idx][w]; used; used &= used - 1) {
            const unsigned i = w * 64 + static_cast<unsigned>(std::countr_zero(used));
            const tcg::TlbEntry e = env_.tlb.get(mmu_idx, i);
            if (tlb_entry_valid(e)) kept.push_back({e, tlb_global(mmu_idx, i), tlb_paddr_[mmu_idx][i]});
            env_.tlb.invalidate(mmu_idx, i);
        }
        tlb_used_[mmu_idx][w] = tlb_global_[mmu_idx][w] = 0;
    }
    env_.tlb.set_bits(mmu_idx, bits);
    for (const Kept& k : kept) {
        const unsigned i = env_.tlb.index(mmu_idx, tlb_entry_page(k.e));
        if ((tlb_used_[mmu_idx][i / 64] >> (i % 64)) & 1) continue;   // two pages share an index now: one stays
        env_.tlb.put(mmu_idx, i, k.e);
        tlb_paddr_[mmu_idx][i] = k.paddr;
        set_tlb_global(mmu_idx, i, k.global);
        note_tlb_used(mmu_idx, i);
    }
}

void CpuImpl::tlb_flush() {
    unsigned bits[tcg::kNumMmuModes];
    for (unsigned m = 0; m < tcg::kNumMmuModes; ++m) bits[m] = tlb_bits_at_flush(m);
    tlb_flush_all(bits);
}

void CpuImpl::tlb_flush_all(const unsigned (&bits)[tcg::kNumMmuModes]) {
    visit_used_tlb_entries([this](unsigned m, unsigned i) {
        env_.tlb.invalidate(m, i);
        return false;
    });
    for (unsigned m = 0; m < tcg::kNumMmuModes; ++m) {
        std::memset(tlb_global_[m], 0, (env_.tlb.size(m) + 63) / 64 * sizeof(uint64_t));
        env_.tlb.set_bits(m, bits[m]);   // empty: nothing to move
    }
    for (auto& mode : tlb_victim_)
        for (VictimEntry& v : mode) std::memset(&v.e, 0xff, sizeof(v.e));
    tlb_has_large_ = false;
    tlb_large_addr_ = tlb_large_mask_ = 0;
    if (executor_) executor_->flush_jump_cache();
}

void CpuImpl::tlb_flush_nonglobal() {
    bool any_global = false;
    unsigned bits[tcg::kNumMmuModes];
    for (unsigned m = 0; m < tcg::kNumMmuModes; ++m) {
        bits[m] = tlb_bits_at_flush(m);
        for (unsigned w = 0; w < (env_.tlb.size(m) + 63) / 64; ++w) {
            uint64_t& used = tlb_used_[m][w];
            for (uint64_t stale = used & ~tlb_global_[m][w]; stale; stale &= stale - 1)
                env_.tlb.invalidate(m, w * 64 + std::countr_zero(stale));
            used &= tlb_global_[m][w];
            any_global |= used != 0;
        }
    }
    if (!any_global) {
        tlb_flush_all(bits);   // also forgets the large pages and every jump cache entry
        return;
    }
    for (unsigned m = 0; m < tcg::kNumMmuModes; ++m)
        if (bits[m] != env_.tlb.bits(m)) tlb_resize(m, bits[m]);
    for (auto& mode : tlb_victim_)
        for (VictimEntry& v : mode)
            if (!v.global) std::memset(&v.e, 0xff, sizeof(v.e));
    executor_->flush_jump_cache_nonglobal();
}

bool CpuImpl::code_page_global(uint64_t pc) const {
    const unsigned mmu = cpu_mmu_index(&env_);
    const uint64_t tag = env_.tlb.addr_code[mmu][env_.tlb.index(mmu, pc)];
    return tag != tcg::kTlbInvalid && (tag & tcg::kPageMask) == (pc & tcg::kPageMask) &&
           tlb_global(mmu, env_.tlb.index(mmu, pc));
}

void CpuImpl::tlb_flush_page(uint64_t vaddr) {
    if (tlb_has_large_ && (vaddr & tlb_large_mask_) == tlb_large_addr_) {
        // A large page occupies many 4 KiB entries; drop them all. (Linux
        // maps itself with large pages and INVLPGs user pages: those stay
        // outside the region, and a flush of everything each time cost a
        // TLB and jump cache refill per INVLPG.)
        tlb_flush();
        return;
    }
    env_.tlb.flush_page(vaddr);
    for (auto& mode : tlb_victim_)
        for (VictimEntry& v : mode)
            if (tlb_entry_valid(v.e) && tlb_entry_page(v.e) == (vaddr & tcg::kPageMask))
                std::memset(&v.e, 0xff, sizeof(v.e));
    // Blocks starting on this page, or on the one before and running into it.
    executor_->flush_jump_cache_page(vaddr);
    executor_->flush_jump_cache_page(vaddr - tcg::kPageSize);
}

void CpuImpl::note_tlb_entry(unsigned mmu_idx, uint64_t vaddr, bool global, uint64_t page_size) {
    set_tlb_global(mmu_idx, env_.tlb.index(mmu_idx, vaddr), global);
    note_tlb_used(mmu_idx, env_.tlb.index(mmu_idx, vaddr));
    if (page_size <= tcg::kPageSize) return;
    // One aligned region covering every large page entered since the last
    // full flush: grow its mask until it takes this page in as well.
    uint64_t mask = ~(page_size - 1);
    if (tlb_has_large_) {
        mask &= tlb_large_mask_;
        while ((tlb_large_addr_ ^ vaddr) & mask) mask <<= 1;
    }
    tlb_large_mask_ = mask;
    tlb_large_addr_ = vaddr & mask;
    tlb_has_large_ = true;
}

void CpuImpl::flag_code_page_mappings(uintptr_t host_page) {
    // Every vCPU: the code is shared, so a direct write from any of them
    // would miss the self-modifying code check. Only plain tags map host
    // memory for writes (MMIO-flagged ones have no addend; code-flagged ones
    // are done).
    auto flag = [host_page](uint64_t& tag, uintptr_t addend) {
        if (tag != tcg::kTlbInvalid && !(tag & tcg::kTlbFlagMask) && tag + addend == host_page)
            tag |= tcg::kTlbFlagCode;
    };
    for (CpuImpl* cpu : shared_->cpus) {
        cpu->visit_used_tlb_entries([cpu, &flag](unsigned m, unsigned i) {
            flag(cpu->env_.tlb.addr_write[m][i], cpu->env_.tlb.addend[m][i]);
            return true;
        });
        for (auto& mode : cpu->tlb_victim_)
            for (VictimEntry& v : mode) flag(v.e.addr_write, v.e.addend);
    }
}

void CpuImpl::invalidate_code(uint64_t paddr, uint64_t len) {
    if (!on_own_thread()) {
        std::lock_guard<std::mutex> lock(shared_->pending_mutex);
        shared_->pending_invalidations.emplace_back(paddr, len);
        shared_->any_pending.store(true, std::memory_order_release);
        for (CpuImpl* cpu : shared_->cpus) cpu->env_.exit_request.store(1);
        return;
    }
    tbs_->invalidate_phys_range(paddr, paddr + len);
}

bool CpuImpl::code_write_check(uint64_t paddr, unsigned size, uintptr_t retaddr) {
    const tcg::TranslationBlock* current = nullptr;
    if (tbs_->range_has_code(paddr, paddr + size)) {
        current = retaddr > 1 && backend_->runs_host_code()
                      ? backend_->find_tb(retaddr)
                      : static_cast<const tcg::TranslationBlock*>(env_.current_tb);
        tbs_->invalidate_phys_range(paddr, paddr + size);
    }
    // The page stays tracked while blocks remain on it.
    const bool has_code = tbs_->page_has_code(paddr);
    if (!has_code) forget_code_page(paddr);
    if (current && current->invalid && current->icount > 1 && retaddr) {
        // The running block changed under us: redo this instruction alone,
        // freshly translated, before the store happens.
        restore_state(&env_, retaddr);
        env_.hflags |= kHfSingleInsn;
        cpu_loop_exit(&env_);
    }
    return has_code;
}

void CpuImpl::forget_code_page(uint64_t paddr) {
    const memory::Translation t = mem_.translate(paddr & tcg::kPageMask);
    if (memory::RamBlock* rb = t.region ? t.region->ram_block() : nullptr)
        rb->code_pages().clear(t.offset >> tcg::kPageBits);
}

void CpuImpl::flush_translations() {
    tbs_->flush();
    executor_->flush_jump_cache();
}

void CpuImpl::state_changed() {
    update_hflags(&env_);
    tlb_flush();
}

uint32_t CpuImpl::eflags() const { return get_eflags(&env_); }

void CpuImpl::set_eflags(uint32_t value) { x86::set_eflags(&env_, value, 0x3f7fd5); }

void CpuImpl::wake() {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    wake_cv_.notify_all();
}

void CpuImpl::wait_for_work(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(wake_mutex_);
    wake_cv_.wait_for(lock, timeout, [this] {
        uint32_t req = env_.interrupt_request.load();
        return (req & (kIrqExit | kIrqMce | kIrqInit | kIrqSipi)) || ((req & kIrqNmi) && !env_.nmi_blocked) ||
               ((req & kIrqHard) && (env_.eflags & kFlagIF));
    });
}

void CpuImpl::request_exit() {
    env_.interrupt_request.fetch_or(kIrqExit);
    env_.exit_request.store(1);
    wake();
}

void CpuImpl::set_irq_line(bool level) {
    if (level) {
        env_.interrupt_request.fetch_or(kIrqHard);
        env_.exit_request.store(1);
        wake();
    } else {
        env_.interrupt_request.fetch_and(~kIrqHard);
    }
}

void CpuImpl::raise_nmi() {
    env_.interrupt_request.fetch_or(kIrqNmi);
    env_.exit_request.store(1);
    wake();
}

void CpuImpl::raise_machine_check() {
    env_.interrupt_request.fetch_or(kIrqMce);
    env_.exit_request.store(1);
    wake();
}

void CpuImpl::set_a20(bool enabled) {
    uint64_t m = enabled ? ~0ull : ~(1ull << 20);
    if (m != env_.a20_mask) {
        env_.a20_mask = m;
        tlb_flush();
    }
}

bool CpuImpl::wakes_from_halt(uint32_t req) {
    if (((req & kIrqNmi) && !env_.nmi_blocked) || (req & kIrqMce)) return true;
    if (!(req & kIrqHard) || !(env_.eflags & kFlagIF) || !ic_) return false;
    bql_lock();
    const bool has = ic_->has_interrupt();
    bql_unlock();
    return has;
}

// Takes a pending external interrupt if the CPU accepts one now. Returns
// true when one was delivered.
bool CpuImpl::check_interrupts() {
    uint32_t req = env_.interrupt_request.load();
    if (env_.hflags & kHfInhibitIrq) return false;
    if (wait_for_sipi_) return false;   // INTR and NMI are held off until the SIPI
    if (env_.single_step_after_halt && wakes_from_halt(req)) {
        // The trap of the HLT comes first (traps outrank interrupts); the
        // #DB gate's IF=0 holds the interrupt until its handler returns.
        env_.single_step_after_halt = false;
        env_.halted = false;
        env_.dr[6] |= kDr6Bs;
        do_interrupt(&env_, kExcDB, false, 0, env_.eip, false);
        return true;
    }
    if ((req & kIrqNmi) && !env_.nmi_blocked) {
        env_.interrupt_request.fetch_and(~kIrqNmi);
        env_.halted = false;
        do_interrupt(&env_, kExcNMI, false, 0, env_.eip, true);
        env_.nmi_blocked = true;
        return true;
    }
    // #MC comes after NMI and, like it, whatever EFLAGS.IF says.
    if (req & kIrqMce) {
        env_.interrupt_request.fetch_and(~kIrqMce);
        env_.halted = false;
        do_interrupt(&env_, kExcMC, false, 0, env_.eip, true);
        return true;
    }
    if ((req & kIrqHard) && (env_.eflags & kFlagIF) && ic_) {
        bql_lock();
        bool has = ic_->has_interrupt();
        int vector = has ? ic_->acknowledge() : -1;
        bql_unlock();
        if (!has) {
            env_.interrupt_request.fetch_and(~kIrqHard);
            return false;
        }
        env_.halted = false;
        do_interrupt(&env_, vector, false, 0, env_.eip, true);
        return true;
    }
    return false;
}

ExitReason CpuImpl::run() {
    vcpu_thread_ = std::this_thread::get_id();
    CpuState& e = env_;
    // Volatile: read after siglongjmp.
    volatile bool first = true;
    (void)first;
    if (sigsetjmp(e.jmp_env, 0) != 0) {
        // A helper left generated code (exception, halt, self-modifying code).
        executor_->forget_last_exit();
        e.current_tb = nullptr;
    }
    for (;;) {
        // Exceptions raised so far, with #DF/triple-fault classification.
        if (e.exception_index == kExcpYield) {
            e.exception_index = -1;
            return ExitReason::kYield;
        }
        if (e.exception_index == kExcpHalted) {
            e.exception_index = -1;
            if (!(e.interrupt_request.load() & (kIrqHard | kIrqNmi)) || !(e.eflags & kFlagIF))
                if (!(e.interrupt_request.load() & kIrqMce) &&
                    !((e.interrupt_request.load() & kIrqNmi) && !e.nmi_blocked))
                    return ExitReason::kHalted;
        } else if (e.exception_index >= 0) {
            int vector = e.exception_index;
            uint32_t err = e.error_code;
            bool is_int = e.exception_is_int;
            uint64_t next = e.exception_next_eip;
            e.exception_index = -1;
            if (!is_int) check_double_fault(&e, vector, err);
            if (vector == -2) {
                e.old_exception = -1;
                shutdown_ = true;
                if (hooks_.reset_request) hooks_.reset_request();
                return ExitReason::kShutdown;
            }
            do_interrupt(&e, vector, is_int, err, next, false);
            executor_->forget_last_exit();
        }
        e.old_exception = -1;
        // Cross-thread requests.
        e.exit_request.store(0);
        if (map_changed_.load(std::memory_order_relaxed) && map_changed_.exchange(false)) tlb_flush();
        if (shared_->any_pending.load(std::memory_order_acquire)) {
            std::lock_guard<std::mutex> lock(shared_->pending_mutex);
            for (auto [pa, len] : shared_->pending_invalidations) tbs_->invalidate_phys_range(pa, pa + len);
            shared_->pending_invalidations.clear();
            shared_->any_pending.store(false, std::memory_order_relaxed);
        }
        uint32_t req = e.interrupt_request.load();
        if (req & kIrqInit) {
            e.interrupt_request.fetch_and(~kIrqInit);
            do_init();
            executor_->forget_last_exit();
            continue;
        }
        if (req & kIrqSipi) {
            e.interrupt_request.fetch_and(~kIrqSipi);
            do_sipi();
        }
        if (req & kIrqExit) {
            e.interrupt_request.fetch_and(~kIrqExit);
            return ExitReason::kRequested;
        }
        if (req & (kIrqHard | kIrqNmi | kIrqMce)) {
            if (check_interrupts()) {
                executor_->forget_last_exit();
                continue;
            }
        }
        if (e.halted) return ExitReason::kHalted;
        if (log::enabled(log::kCpu) &&
            log::in_address_filter(e.hflags & kHfCs64 ? e.eip : (e.seg[kCS].base + e.eip) & 0xffffffffull))
            log::write(dump_state());
        if (flush_requested_) {
            flush_requested_ = false;
            flush_translations();
        }
        uintptr_t ret = executor_->step();
        e.current_tb = nullptr;
        if (e.hflags & kHfSingleInsn) {
            e.hflags &= ~kHfSingleInsn;
            executor_->forget_last_exit();
        }
        if (e.hflags & kHfDbArmed) {   // the replay of a data-breakpoint hit is done
            executor_->forget_last_exit();
            take_data_breakpoint_trap(&e);
        }
        if (ret == tcg::kExitRequested) executor_->forget_last_exit();
    }
}

std::string CpuImpl::dump_state() const {
    const CpuState& e = env_;
    static const char* const kSeg[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    std::string s;
    if (e.efer & kEferLMA) {
        // Long mode: all sixteen registers at 64 bits, as QEMU prints them.
        s = fmt::format(
            "RAX={:016x} RBX={:016x} RCX={:016x} RDX={:016x}\nRSI={:016x} RDI={:016x} RBP={:016x} RSP={:016x}\n"
            "R8 ={:016x} R9 ={:016x} R10={:016x} R11={:016x}\nR12={:016x} R13={:016x} R14={:016x} R15={:016x}\n"
            "RIP={:016x} RFL={:08x} [{}] CPL={} HLT={}\n",
            e.regs[0], e.regs[3], e.regs[1], e.regs[2], e.regs[6], e.regs[7], e.regs[5], e.regs[4], e.regs[8],
            e.regs[9], e.regs[10], e.regs[11], e.regs[12], e.regs[13], e.regs[14], e.regs[15], e.eip,
            get_eflags(&e), "", e.cpl(), e.halted ? 1 : 0);
    } else {
        s = fmt::format(
            "EAX={:08x} EBX={:08x} ECX={:08x} EDX={:08x}\nESI={:08x} EDI={:08x} EBP={:08x} ESP={:08x}\n"
            "EIP={:08x} EFL={:08x} [{}] CPL={} HLT={}\n",
            e.regs[0] & 0xffffffff, e.regs[3] & 0xffffffff, e.regs[1] & 0xffffffff, e.regs[2] & 0xffffffff,
            e.regs[6] & 0xffffffff, e.regs[7] & 0xffffffff, e.regs[5] & 0xffffffff, e.regs[4] & 0xffffffff,
            e.eip, get_eflags(&e), "", e.cpl(), e.halted ? 1 : 0);
    }
    for (int i = 0; i < 6; ++i)
        s += fmt::format("{}  ={:04x} {:08x} {:08x} {:08x}\n", kSeg[i], e.seg[i].selector, e.seg[i].base,
                         e.seg[i].limit, e.seg[i].flags);
    s += fmt::format("LDT={:04x} {:08x} {:08x}\nTR ={:04x} {:08x} {:08x}\n", e.ldtr.selector, e.ldtr.base,
                     e.ldtr.limit, e.tr.selector, e.tr.base, e.tr.limit);
    s += fmt::format("GDT=     {:08x} {:08x}\nIDT=     {:08x} {:08x}\n", e.gdtr.base, e.gdtr.limit, e.idtr.base,
                     e.idtr.limit);
    s += fmt::format("CR0={:08x} CR2={:08x} CR3={:08x} CR4={:08x}\n", e.cr[0], e.cr[2], e.cr[3], e.cr[4]);
    s += fmt::format("EFER={:016x}\n", e.efer);
    return s;
}

std::unique_ptr<X86Cpu> create_cpu(const CpuConfig& config, memory::AddressSpace& mem, memory::AddressSpace& io,
                                   CpuHooks hooks, X86Cpu* share_translations_with) {
    return std::make_unique<CpuImpl>(config, mem, io, std::move(hooks),
                                     static_cast<CpuImpl*>(share_translations_with));
}

}  // namespace mimic::x86
