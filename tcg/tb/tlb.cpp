#include "mimic/tcg/tlb.h"

#include <cstring>

namespace mimic::tcg {

SoftTlb::SoftTlb() {
    for (unsigned m = 0; m < kNumMmuModes; ++m) set_bits(m, kTlbDefaultBits);
    flush();
}

void SoftTlb::set_bits(unsigned mmu_idx, unsigned bits) {
    mask[mmu_idx] = (1u << bits) - 1;
    index_ctl[mmu_idx] = kPageBits | bits << 8;
}

void SoftTlb::flush() {
    std::memset(addr_read, 0xff, sizeof(addr_read));
    std::memset(addr_write, 0xff, sizeof(addr_write));
    std::memset(addr_code, 0xff, sizeof(addr_code));
    std::memset(addend, 0xff, sizeof(addend));
}

void SoftTlb::flush_mmu(unsigned mmu_idx) {
    for (unsigned i = 0; i < size(mmu_idx); ++i) invalidate(mmu_idx, i);
}

void SoftTlb::flush_page(uint64_t vaddr) {
    const uint64_t page = vaddr & kPageMask;
    // Any tag naming this page (flag bits aside) goes.
    auto match = [&](uint64_t tag) { return tlb_tag_matches_page(tag, page); };
    for (unsigned m = 0; m < kNumMmuModes; ++m) {
        const unsigned i = index(m, vaddr);
        if (match(addr_read[m][i]) || match(addr_write[m][i]) || match(addr_code[m][i])) invalidate(m, i);
    }
}

void SoftTlb::set(unsigned mmu_idx, uint64_t vaddr, void* host_page, bool read, bool write, bool exec) {
    const uint64_t page = vaddr & kPageMask;
    put(mmu_idx, index(mmu_idx, vaddr), {read ? page : kTlbInvalid, write ? page : kTlbInvalid, exec ? page : kTlbInvalid,
                                reinterpret_cast<uintptr_t>(host_page) - page});
}

unsigned tlb_bits_after_conflicts(unsigned bits, unsigned used) {
    if (bits < kTlbMaxBits && used > (7u << bits) / 10) return bits + 1;
    return bits;
}

unsigned tlb_bits_after_flush(unsigned bits, unsigned window_max_used) {
    if (bits <= kTlbMinBits || window_max_used >= (1u << bits) / 3) return bits;
    unsigned fit = kTlbMinBits;
    while (fit < bits && (1u << fit) < 2 * window_max_used) ++fit;
    return fit;
}

namespace {

const SoftTlb* tlb_of(const SoftmmuConfig& cfg, void* env) {
    if (cfg.tlb_offset < 0) return nullptr;
    return reinterpret_cast<const SoftTlb*>(static_cast<const char*>(env) + cfg.tlb_offset);
}

}  // namespace

uint64_t softmmu_load(const SoftmmuConfig& cfg, void* env, uint64_t vaddr, MemOpIdx oi, uintptr_t retaddr) {
    MemOp m = get_memop(oi);
    unsigned mmu_idx = get_mmu_idx(oi);
    const SoftTlb* tlb = tlb_of(cfg, env);
    const unsigned i = tlb ? tlb->index(mmu_idx, vaddr) : 0;
    uint64_t raw;
    if (tlb && tlb->addr_read[mmu_idx][i] == tlb_compare_value(vaddr, m)) {
        const void* host = reinterpret_cast<const void*>(vaddr + tlb->addend[mmu_idx][i]);
        raw = 0;
        std::memcpy(&raw, host, memop_size(m));
        raw = memop_bswap(m, raw);
    } else {
        raw = cfg.load_slow(env, vaddr, m, mmu_idx, retaddr);
    }
    return memop_extend(m, raw);
}

void softmmu_store(const SoftmmuConfig& cfg, void* env, uint64_t vaddr, uint64_t value, MemOpIdx oi,
                   uintptr_t retaddr) {
    MemOp m = get_memop(oi);
    unsigned mmu_idx = get_mmu_idx(oi);
    const SoftTlb* tlb = tlb_of(cfg, env);
    const unsigned i = tlb ? tlb->index(mmu_idx, vaddr) : 0;
    if (tlb && tlb->addr_write[mmu_idx][i] == tlb_compare_value(vaddr, m)) {
        void* host = reinterpret_cast<void*>(vaddr + tlb->addend[mmu_idx][i]);
        uint64_t raw = memop_bswap(m, value);
        std::memcpy(host, &raw, memop_size(m));
    } else {
        cfg.store_slow(env, vaddr, value, m, mmu_idx, retaddr);
    }
}

}  // namespace mimic::tcg
