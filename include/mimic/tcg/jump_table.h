// A vCPU's table of recent indirect-jump targets and their host code.
//
// Indirect jumps (returns, calls through pointers, switch tables) look
// here first: generated code probes it inline (the JIT hashes the target pc
// the same way, see index()), and the executor's lookup fills it. The TB
// cache keeps every table it serves exact: it drops a block's entry when it
// invalidates the block and clears the tables when it flushes the code.
// Sized like QEMU's jump cache (a guest kernel's working set of indirect
// targets misses a smaller one); clearing visits only the entries in use,
// and a flush of the non-global mappings (a guest's address-space switch)
// keeps the entries of code on global pages.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

namespace mimic::tcg {

struct TranslationBlock;

class JumpTable {
public:
    struct Entry {
        uint64_t pc, cs_base;
        uint64_t key;   // the block's flags | cs_limit << 32
        const void* code;
    };
    static_assert(sizeof(Entry) == 32, "generated code scales the index by 32");
    static constexpr unsigned kBits = 12;
    static constexpr unsigned kSize = 1u << kBits;

    static unsigned index(uint64_t pc) { return static_cast<unsigned>((pc ^ (pc >> kBits)) & (kSize - 1)); }
    static uint64_t key(uint32_t flags, uint32_t cs_limit) { return flags | (uint64_t{cs_limit} << 32); }

    JumpTable();

    const void* find(uint64_t pc, uint64_t cs_base, uint64_t key) const {
        const Entry& e = entries_[index(pc)];
        return e.pc == pc && e.cs_base == cs_base && e.key == key ? e.code : nullptr;
    }
    // `global`: every page of tb's code is mapped global (x86: PTE.G with
    // CR4.PGE), so the entry survives clear_nonglobal().
    void set(const TranslationBlock& tb, bool global);
    // Drops tb's entry, if it has one.
    void drop(const TranslationBlock& tb);
    // Drops the entries of blocks starting on the virtual page of vaddr.
    void drop_page(uint64_t vaddr, uint64_t page_mask);
    void clear();
    // Drops the entries not set as global.
    void clear_nonglobal();

    const Entry* entries() const { return entries_.get(); }

private:
    // Which 4 KiB pages may have entries, hashed to one bit each; bits are
    // only cleared with the whole table. Most pages a guest INVLPGs hold
    // data, and drop_page() answers for them without scanning the table.
    static constexpr unsigned kPageFilterBits = 256;
    static unsigned page_filter_bit(uint64_t pc) {
        const uint64_t page = pc >> 12;
        return static_cast<unsigned>((page ^ (page >> 8) ^ (page >> 16)) & (kPageFilterBits - 1));
    }
    bool page_may_have_entries(uint64_t vaddr) const {
        const unsigned bit = page_filter_bit(vaddr);
        return (page_filter_[bit / 64] >> (bit % 64)) & 1;
    }

    // Empties the used entries for which drop(index) is true.
    template <typename Drop>
    void drop_used(Drop drop);

    std::unique_ptr<Entry[]> entries_;
    std::array<uint64_t, kPageFilterBits / 64> page_filter_{};
    std::array<uint64_t, kSize / 64> used_{};     // bit i: entry i may be set
    std::array<uint64_t, kSize / 64> global_{};   // bit i: entry i was set as global
};

}  // namespace mimic::tcg
