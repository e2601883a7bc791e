// Rendering a region tree into a FlatView.
//
// The walk visits regions in priority order (highest first) and each
// terminating region only fills the parts of its interval that nothing
// visited earlier has claimed. That single rule gives overlap by priority,
// later-added-wins on ties (children are stored newest first), regions
// drawing under their own children, and containers showing through.
//
// Addresses are 128-bit here because a region may span the full 2^64 bytes
// and an alias may shift its target below zero before clipping.
#include <algorithm>

#include "mimic/memory/flat_view.h"
#include "mimic/memory/memory_region.h"

namespace mimic::memory {

namespace {

using u128 = unsigned __int128;
using i128 = __int128;

constexpr i128 kSpaceEnd = static_cast<i128>(1) << 64;

struct Interval {
    i128 start;
    i128 end;  // exclusive
    bool empty() const { return start >= end; }
};

Interval intersect(Interval a, Interval b) {
    return {std::max(a.start, b.start), std::min(a.end, b.end)};
}

class Renderer {
  public:
    std::vector<FlatRange> take() {
        merge_adjacent();
        return std::move(ranges_);
    }

    // `base` is the absolute address of the parent's offset 0; `clip` is the
    // window the ancestors (and aliases) leave visible.
    void render(const MemoryRegion& region, i128 base, Interval clip, bool readonly) {
        if (!region.enabled() || region.kind() == RegionKind::kNone) return;
        base += region.addr();
        clip = intersect(clip, {base, base + static_cast<i128>(region.size128())});
        if (clip.empty()) return;
        readonly = readonly || region.readonly();

        if (const MemoryRegion* target = region.alias()) {
            // Place the target so that its alias_offset lands on our start;
            // render() adds target->addr() back, so take it out here.
            render(
                *target,
                base - static_cast<i128>(target->addr()) - static_cast<i128>(region.alias_offset()),
                clip, readonly);
            return;
        }
        for (const MemoryRegion* child : region.subregions()) render(*child, base, clip, readonly);
        if (region.terminates()) fill_gaps(region, base, clip, readonly);
    }

  private:
    // Claims every part of `clip` that no range covers yet.
    void fill_gaps(const MemoryRegion& region, i128 base, Interval clip, bool readonly) {
        FlatRange piece;
        piece.region = const_cast<MemoryRegion*>(&region);
        piece.readonly = readonly;
        piece.romd = region.kind() == RegionKind::kRomDevice && region.romd();
        piece.dirty_log = region.dirty_logging();

        // First existing range that ends at or after clip.start.
        auto it = std::lower_bound(
            ranges_.begin(), ranges_.end(), clip.start,
            [](const FlatRange& r, i128 at) { return static_cast<i128>(r.last) < at; });
        i128 cursor = clip.start;
        while (cursor < clip.end) {
            i128 gap_end = clip.end;
            if (it != ranges_.end() && static_cast<i128>(it->start) <= cursor) {
                cursor = static_cast<i128>(it->last) + 1;  // covered already
                ++it;
                continue;
            }
            if (it != ranges_.end()) gap_end = std::min(gap_end, static_cast<i128>(it->start));
            piece.start = static_cast<uint64_t>(cursor);
            piece.last = static_cast<uint64_t>(gap_end - 1);
            piece.offset = static_cast<uint64_t>(cursor - base);
            it = ranges_.insert(it, piece) + 1;
            cursor = gap_end;
        }
    }

    // Pieces of one region split by something that turned out not to be
    // there (or drawn in several passes) become one range again.
    void merge_adjacent() {
        std::vector<FlatRange> merged;
        merged.reserve(ranges_.size());
        for (const FlatRange& range : ranges_) {
            if (!merged.empty()) {
                FlatRange& prev = merged.back();
                bool contiguous = prev.last + 1 == range.start && prev.region == range.region &&
                                  prev.offset_of(range.start) == range.offset &&
                                  prev.readonly == range.readonly && prev.romd == range.romd &&
                                  prev.dirty_log == range.dirty_log;
                if (contiguous) {
                    prev.last = range.last;
                    continue;
                }
            }
            merged.push_back(range);
        }
        ranges_ = std::move(merged);
    }

    std::vector<FlatRange> ranges_;
};

}  // namespace

FlatView render_flat_view(const MemoryRegion& root) {
    Renderer renderer;
    renderer.render(root, 0, {0, kSpaceEnd}, false);
    return FlatView(renderer.take(), &root);
}

}  // namespace mimic::memory
