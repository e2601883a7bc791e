#include "mimic/memory/page_bitmap.h"

namespace mimic::memory {

PageBitmap::PageBitmap(const std::string& name, uint64_t pages)
    : pages_(pages), words_(name, (pages + 63) / 64 * sizeof(uint64_t), Commit::kUnaccounted) {}

bool PageBitmap::test(uint64_t page) const {
    if (page >= pages_) return false;
    return (word(page / 64).load(std::memory_order_acquire) >> (page % 64)) & 1;
}

void PageBitmap::set(uint64_t page) {
    if (page >= pages_) return;
    uint64_t bit = uint64_t{1} << (page % 64);
    // Count transitions only, so the count stays equal to the set bits.
    if (!(word(page / 64).fetch_or(bit, std::memory_order_acq_rel) & bit)) {
        count_.fetch_add(1, std::memory_order_relaxed);
    }
}

void PageBitmap::clear(uint64_t page) {
    if (page >= pages_) return;
    uint64_t bit = uint64_t{1} << (page % 64);
    if (word(page / 64).fetch_and(~bit, std::memory_order_acq_rel) & bit) {
        count_.fetch_sub(1, std::memory_order_relaxed);
    }
}

void PageBitmap::set_range(uint64_t first, uint64_t last) {
    for (uint64_t page = first; page <= last && page < pages_; ++page) set(page);
}

bool PageBitmap::test_and_clear_range(uint64_t first, uint64_t last) {
    bool found = false;
    for (uint64_t page = first; page <= last && page < pages_ && !empty(); ++page) {
        uint64_t bit = uint64_t{1} << (page % 64);
        if (word(page / 64).fetch_and(~bit, std::memory_order_acq_rel) & bit) {
            count_.fetch_sub(1, std::memory_order_relaxed);
            found = true;
        }
    }
    return found;
}

void PageBitmap::clear_range(uint64_t first, uint64_t last) {
    for (uint64_t page = first; page <= last && page < pages_ && !empty(); ++page) clear(page);
}

bool PageBitmap::any(uint64_t first, uint64_t last) const {
    if (empty() || first >= pages_ || first > last) return false;
    if (last >= pages_) last = pages_ - 1;
    for (uint64_t index = first / 64; index <= last / 64; ++index) {
        uint64_t bits = word(index).load(std::memory_order_acquire);
        if (index == first / 64) bits &= ~uint64_t{0} << (first % 64);
        if (index == last / 64 && last % 64 != 63) bits &= (uint64_t{1} << (last % 64 + 1)) - 1;
        if (bits) return true;
    }
    return false;
}

}  // namespace mimic::memory
