#include "mimic/tcg/tlb.h"

#include <cstring>

namespace mimic::tcg {

void SoftTlb::flush() { std::memset(table, 0xff, sizeof(table)); }

void SoftTlb::flush_mmu(unsigned mmu_idx) { std::memset(table[mmu_idx], 0xff, sizeof(table[mmu_idx])); }

void SoftTlb::flush_page(uint64_t vaddr) {
    uint64_t page = vaddr & kPageMask;
    for (unsigned m = 0; m < kNumMmuModes; ++m) {
        TlbEntry& e = entry(m, vaddr);
        // Any tag naming this page (flag bits aside) goes.
        auto match = [&](uint64_t tag) { return tag != kTlbInvalid && (tag & kPageMask) == page; };
        if (match(e.addr_read) || match(e.addr_write) || match(e.addr_code)) {
            std::memset(&e, 0xff, sizeof(e));
        }
    }
}

void SoftTlb::set(unsigned mmu_idx, uint64_t vaddr, void* host_page, bool read, bool write, bool exec) {
    uint64_t page = vaddr & kPageMask;
    TlbEntry& e = entry(mmu_idx, vaddr);
    e.addr_read = read ? page : kTlbInvalid;
    e.addr_write = write ? page : kTlbInvalid;
    e.addr_code = exec ? page : kTlbInvalid;
    e.addend = reinterpret_cast<uintptr_t>(host_page) - page;
}

namespace {

const TlbEntry* find_entry(const SoftmmuConfig& cfg, void* env, uint64_t vaddr, unsigned mmu_idx) {
    if (cfg.tlb_offset < 0) return nullptr;
    auto* tlb = reinterpret_cast<const SoftTlb*>(static_cast<const char*>(env) + cfg.tlb_offset);
    return &tlb->table[mmu_idx][SoftTlb::index(vaddr)];
}

}  // namespace

uint64_t softmmu_load(const SoftmmuConfig& cfg, void* env, uint64_t vaddr, MemOpIdx oi, uintptr_t retaddr) {
    MemOp m = get_memop(oi);
    unsigned mmu_idx = get_mmu_idx(oi);
    const TlbEntry* e = find_entry(cfg, env, vaddr, mmu_idx);
    uint64_t raw;
    if (e && e->addr_read == tlb_compare_value(vaddr, m)) {
        const void* host = reinterpret_cast<const void*>(vaddr + e->addend);
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
    const TlbEntry* e = find_entry(cfg, env, vaddr, mmu_idx);
    if (e && e->addr_write == tlb_compare_value(vaddr, m)) {
        void* host = reinterpret_cast<void*>(vaddr + e->addend);
        uint64_t raw = memop_bswap(m, value);
        std::memcpy(host, &raw, memop_size(m));
    } else {
        cfg.store_slow(env, vaddr, value, m, mmu_idx, retaddr);
    }
}

}  // namespace mimic::tcg
