#include "mimic/memory/flat_view.h"

#include <algorithm>

#include "mimic/memory/memory_region.h"

namespace mimic::memory {

FlatView::FlatView(std::vector<FlatRange> ranges, const MemoryRegion* root)
    : ranges_(std::move(ranges)), root_(root) {}

const FlatRange* FlatView::find(uint64_t addr) const {
    // First range that starts after addr; the one before it may hold addr.
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), addr,
                               [](uint64_t at, const FlatRange& r) { return at < r.start; });
    if (it == ranges_.begin()) return nullptr;
    --it;
    return addr <= it->last ? &*it : nullptr;
}

uint64_t FlatView::remaining(uint64_t addr) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), addr,
                               [](uint64_t at, const FlatRange& r) { return at < r.start; });
    if (it != ranges_.begin() && addr <= std::prev(it)->last) {
        uint64_t left = std::prev(it)->last - addr;
        return left == UINT64_MAX ? UINT64_MAX : left + 1;
    }
    if (it != ranges_.end()) return it->start - addr;
    uint64_t left = UINT64_MAX - addr;  // unassigned up to the top of the space
    return left == UINT64_MAX ? UINT64_MAX : left + 1;
}

Translation FlatView::translate(uint64_t addr) const {
    Translation result;
    result.length = remaining(addr);
    const FlatRange* range = find(addr);
    if (!range) return result;
    result.region = range->region;
    result.offset = range->offset_of(addr);
    result.readonly = range->readonly;
    const MemoryRegion& region = *range->region;
    result.has_callbacks =
        region.kind() == RegionKind::kIo || region.kind() == RegionKind::kRomDevice;
    bool direct_read =
        region.kind() == RegionKind::kRam || region.kind() == RegionKind::kRom || range->romd;
    if (direct_read) {
        result.host = region.host() + result.offset;
        const bool ram_writable = region.kind() == RegionKind::kRam && !range->readonly && !range->dirty_log;
        result.code_write_protected =
            ram_writable && region.ram_block()->code_pages().test(result.offset >> kPageBits);
        result.writable = ram_writable && !result.code_write_protected;
    }
    return result;
}

FlatViewDiff diff_views(const FlatView& before, const FlatView& after) {
    // Both are sorted by address: walk them together. A range that differs
    // at all (even just in offset or read-only) counts as removed and
    // re-added, which is what a KVM slot needs.
    FlatViewDiff diff;
    auto old_ranges = before.ranges();
    auto new_ranges = after.ranges();
    size_t i = 0, j = 0;
    while (i < old_ranges.size() || j < new_ranges.size()) {
        if (i < old_ranges.size() && j < new_ranges.size() && old_ranges[i] == new_ranges[j]) {
            ++i;
            ++j;
        } else if (i < old_ranges.size() &&
                   (j == new_ranges.size() || old_ranges[i].start <= new_ranges[j].start)) {
            diff.removed.push_back(old_ranges[i++]);
        } else {
            diff.added.push_back(new_ranges[j++]);
        }
    }
    return diff;
}

}  // namespace mimic::memory
