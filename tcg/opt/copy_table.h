// Which temps hold a copy of which, within a basic block: after `mov d, s`,
// d reads as s until either is written again. Used by copy propagation on
// its own and inside constant folding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mimic::tcg {

class CopyTable {
public:
    static constexpr uint32_t kNone = ~0u;

    // Starts over for a block of `temps` temps (keeps the storage).
    void reset(size_t temps) {
        copy_of_.assign(temps, kNone);
        copies_.assign(temps, 0);
        active_.clear();
    }
    // Grows with temps made while the block is rewritten.
    void grow(size_t temps) {
        if (temps > copy_of_.size()) {
            copy_of_.resize(temps, kNone);
            copies_.resize(temps, 0);
        }
    }

    // What a read of t reads: its source while it is a copy, else t.
    uint32_t source(uint32_t t) const { return copy_of_[t] == kNone ? t : copy_of_[t]; }

    // d now holds a copy of s (neither a constant nor the same temp).
    void copied(uint32_t d, uint32_t s) {
        copy_of_[d] = s;
        ++copies_[s];
        active_.push_back(d);
    }

    // Temp t gets a new value: copies of it and its own copy relation end.
    // Only a temp something is a copy of needs the walk over the copies.
    void written(uint32_t t) {
        if (copy_of_[t] != kNone) {
            --copies_[copy_of_[t]];
            copy_of_[t] = kNone;
        }
        if (copies_[t] == 0) return;
        copies_[t] = 0;
        for (size_t i = 0; i < active_.size();) {
            const uint32_t d = active_[i];
            if (copy_of_[d] == t || copy_of_[d] == kNone) {
                copy_of_[d] = kNone;
                active_[i] = active_.back();
                active_.pop_back();
            } else {
                ++i;
            }
        }
    }

    // At a label: control may come from elsewhere, nothing is known.
    void forget_all() {
        for (uint32_t d : active_) {
            if (copy_of_[d] != kNone) copies_[copy_of_[d]] = 0;
            copy_of_[d] = kNone;
        }
        active_.clear();
    }

private:
    std::vector<uint32_t> copy_of_;
    std::vector<uint32_t> copies_;   // per temp: how many temps are copies of it now
    std::vector<uint32_t> active_;   // temps that are (or were) copies; stale ones are dropped lazily
};

}  // namespace mimic::tcg
