#include "mimic/tcg/jump_table.h"

#include <algorithm>
#include <bit>

#include "mimic/tcg/tb.h"

namespace mimic::tcg {

namespace {

// No block has this key (every flag and limit bit set), so the probe
// never matches an empty entry, whatever the pc.
constexpr JumpTable::Entry kEmpty{~0ull, ~0ull, ~0ull, nullptr};

}  // namespace

JumpTable::JumpTable() : entries_(new Entry[kSize]) { std::fill_n(entries_.get(), kSize, kEmpty); }

void JumpTable::set(const TranslationBlock& tb, bool global) {
    const unsigned i = index(tb.pc);
    entries_[i] = Entry{tb.pc, tb.cs_base, key(tb.flags, tb.cs_limit), tb.code};
    const uint64_t bit = uint64_t{1} << (i % 64);
    used_[i / 64] |= bit;
    global_[i / 64] = global ? global_[i / 64] | bit : global_[i / 64] & ~bit;
    const unsigned page_bit = page_filter_bit(tb.pc);
    page_filter_[page_bit / 64] |= uint64_t{1} << (page_bit % 64);
}

void JumpTable::drop(const TranslationBlock& tb) {
    Entry& e = entries_[index(tb.pc)];
    if (e.code == tb.code && e.pc == tb.pc) e = kEmpty;
}

template <typename Drop>
void JumpTable::drop_used(Drop drop) {
    for (unsigned w = 0; w < used_.size(); ++w) {
        for (uint64_t bits = used_[w]; bits; bits &= bits - 1) {
            const unsigned i = w * 64 + static_cast<unsigned>(std::countr_zero(bits));
            if (!drop(i)) continue;
            entries_[i] = kEmpty;
            used_[w] &= ~(uint64_t{1} << (i % 64));
        }
    }
}

void JumpTable::drop_page(uint64_t vaddr, uint64_t page_mask) {
    // The filter knows 4 KiB pages; a larger page is looked for in full.
    if (page_mask == ~uint64_t{0xfff} && !page_may_have_entries(vaddr)) return;
    drop_used([&](unsigned i) { return (entries_[i].pc & page_mask) == (vaddr & page_mask); });
}

void JumpTable::clear() {
    drop_used([](unsigned) { return true; });
    page_filter_.fill(0);
}

void JumpTable::clear_nonglobal() {
    for (unsigned w = 0; w < used_.size(); ++w) {
        for (uint64_t bits = used_[w] & ~global_[w]; bits; bits &= bits - 1)
            entries_[w * 64 + static_cast<unsigned>(std::countr_zero(bits))] = kEmpty;
        used_[w] &= global_[w];
    }
}

}  // namespace mimic::tcg
