// The index of findable translation blocks: a power-of-two array of chains
// threaded through the blocks themselves (TranslationBlock::hash_next), so a
// lookup is one multiply, one bucket load and a walk of blocks it has to
// compare anyway, with no allocation per block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mimic/tcg/tb.h"

namespace mimic::tcg {

class TbHashTable {
public:
    // hash_of gives a block's hash again when the table grows.
    explicit TbHashTable(uint64_t (*hash_of)(const TranslationBlock&));

    // The first block of the chain `hash` falls in; follow hash_next. Blocks
    // with other hashes can be in the chain too.
    TranslationBlock* chain(uint64_t hash) const { return buckets_[index(hash)]; }
    void insert(uint64_t hash, TranslationBlock* tb);
    void remove(uint64_t hash, TranslationBlock* tb);
    void clear();
    size_t size() const { return size_; }

private:
    size_t index(uint64_t hash) const { return static_cast<size_t>((hash * 0x9e3779b97f4a7c15ull) >> shift_); }
    void grow();

    uint64_t (*hash_of_)(const TranslationBlock&);
    std::vector<TranslationBlock*> buckets_;
    unsigned shift_;
    size_t size_ = 0;
};

}  // namespace mimic::tcg
