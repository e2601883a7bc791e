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
}

void JumpTable::drop(const TranslationBlock& tb) {
    Entry& e = entries_[index(tb.pc)];
    if (e.code == tb.code && e.pc == tb.pc) e = kEmpty;
}

void JumpTable::drop_page(uint64_t vaddr, uint64_t page_mask) {
    for (unsigned i = 0; i < kSize; ++i)
        if ((entries_[i].pc & page_mask) == (vaddr & page_mask)) entries_[i] = kEmpty;
}

void JumpTable::clear() { std::fill_n(entries_.get(), kSize, kEmpty); }

}  // namespace mimic::tcg
