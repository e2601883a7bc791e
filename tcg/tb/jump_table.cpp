#include "mimic/tcg/jump_table.h"

#include <algorithm>

#include "mimic/tcg/tb.h"

namespace mimic::tcg {

namespace {

// No block has this key (every flag and limit bit set), so the probe
// never matches an empty entry, whatever the pc.
constexpr JumpTable::Entry kEmpty{~0ull, ~0ull, ~0ull, nullptr};

}  // namespace

JumpTable::JumpTable() : entries_(new Entry[kSize]) { clear(); }

void JumpTable::set(const TranslationBlock& tb) {
    entries_[index(tb.pc)] = Entry{tb.pc, tb.cs_base, key(tb.flags, tb.cs_limit), tb.code};
    const unsigned bit = page_filter_bit(tb.pc);
    page_filter_[bit / 64] |= uint64_t{1} << (bit % 64);
}

void JumpTable::drop(const TranslationBlock& tb) {
    Entry& e = entries_[index(tb.pc)];
    if (e.code == tb.code && e.pc == tb.pc) e = kEmpty;
}

void JumpTable::drop_page(uint64_t vaddr, uint64_t page_mask) {
    // The filter knows 4 KiB pages; a larger page is looked for in full.
    if (page_mask == ~uint64_t{0xfff} && !page_may_have_entries(vaddr)) return;
    for (unsigned i = 0; i < kSize; ++i)
        if ((entries_[i].pc & page_mask) == (vaddr & page_mask)) entries_[i] = kEmpty;
}

void JumpTable::clear() {
    std::fill_n(entries_.get(), kSize, kEmpty);
    page_filter_.fill(0);
}

}  // namespace mimic::tcg
