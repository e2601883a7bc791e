// Which bytes of one physical page hold guest code of a valid translation
// block: a store into the page that touches none of them cannot change any
// translated code, so it needs no search of the page's blocks.
//
// One bit per byte (512 bytes a code page) rather than per 16- or 64-byte
// chunk: data often sits right after a block's last instruction (variables
// between functions, a stack below a trampoline), and a chunk shared with
// code would make every store to that data invalidate the block, which is
// then retranslated: the ping-pong this bitmap is there to avoid.
#pragma once

#include <array>
#include <cstdint>

#include "mimic/tcg/tlb.h"

namespace mimic::tcg {

class PageCodeBitmap {
public:
    // [begin, end): byte offsets within the page, begin < end <= kPageSize.
    void add(unsigned begin, unsigned end) {
        visit(words_, begin, end, [](uint64_t& word, uint64_t mask) {
            word |= mask;
            return false;
        });
    }
    bool any(unsigned begin, unsigned end) const {
        return visit(words_, begin, end, [](const uint64_t& word, uint64_t mask) {
            return (word & mask) != 0;
        });
    }
    void clear() { words_ = {}; }

private:
    // Calls f(word, mask of the range's bits in it) for each word the range
    // touches, stopping at the first true.
    template <typename Words, typename F>
    static bool visit(Words& words, unsigned begin, unsigned end, F f) {
        const unsigned last = end - 1;
        for (unsigned w = begin / 64; w <= last / 64; ++w) {
            const unsigned lo = w == begin / 64 ? begin % 64 : 0, hi = w == last / 64 ? last % 64 : 63;
            const uint64_t mask = (~0ull >> (63 - hi)) & (~0ull << lo);
            if (f(words[w], mask)) return true;
        }
        return false;
    }

    std::array<uint64_t, kPageSize / 64> words_{};
};

}  // namespace mimic::tcg
