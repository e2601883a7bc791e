#include "mimic/tcg/tb_hash_table.h"

namespace mimic::tcg {
namespace {

constexpr unsigned kInitialBits = 12;

}  // namespace

TbHashTable::TbHashTable(uint64_t (*hash_of)(const TranslationBlock&))
    : hash_of_(hash_of), buckets_(size_t{1} << kInitialBits, nullptr), shift_(64 - kInitialBits) {}

void TbHashTable::insert(uint64_t hash, TranslationBlock* tb) {
    if (size_ >= buckets_.size()) grow();
    TranslationBlock*& head = buckets_[index(hash)];
    tb->hash_next = head;
    head = tb;
    ++size_;
}

void TbHashTable::remove(uint64_t hash, TranslationBlock* tb) {
    for (TranslationBlock** link = &buckets_[index(hash)]; *link; link = &(*link)->hash_next) {
        if (*link == tb) {
            *link = tb->hash_next;
            tb->hash_next = nullptr;
            --size_;
            return;
        }
    }
}

void TbHashTable::clear() {
    std::vector<TranslationBlock*>(size_t{1} << kInitialBits, nullptr).swap(buckets_);
    shift_ = 64 - kInitialBits;
    size_ = 0;
}

// Twice the buckets, so chains stay about one block long on average.
void TbHashTable::grow() {
    std::vector<TranslationBlock*> old(buckets_.size() * 2, nullptr);
    old.swap(buckets_);
    --shift_;
    for (TranslationBlock* tb : old) {
        while (tb) {
            TranslationBlock* next = tb->hash_next;
            TranslationBlock*& head = buckets_[index(hash_of_(*tb))];
            tb->hash_next = head;
            head = tb;
            tb = next;
        }
    }
}

}  // namespace mimic::tcg
