#include "mimic/tcg/return_stack.h"

#include <algorithm>
#include <iterator>

namespace mimic::tcg {

namespace {

// Every flag and limit bit set: no block has this key, so no return
// matches an empty entry, whatever its pc.
constexpr ReturnStack::Record kNoRecord{~0ull, ~0ull, ~0ull};

}  // namespace

void ReturnStack::clear() {
    std::fill(std::begin(entries), std::end(entries), &kNoRecord);
    top = 0;
}

void ReturnStack::drop_page(uint64_t vaddr, uint64_t page_mask) {
    for (const Record*& e : entries) {
        if ((e->pc & page_mask) == (vaddr & page_mask)) e = &kNoRecord;
    }
}

}  // namespace mimic::tcg
