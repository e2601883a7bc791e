// The block index: chains survive growth, removal unlinks exactly one block,
// and blocks whose hashes collide share a chain without hiding each other.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "mimic/tcg/tb_hash_table.h"

namespace mimic::tcg::test {
namespace {

uint64_t hash_of(const TranslationBlock& tb) { return tb.pc; }

bool in_chain(const TbHashTable& table, const TranslationBlock& tb) {
    for (TranslationBlock* it = table.chain(hash_of(tb)); it; it = it->hash_next) {
        if (it == &tb) return true;
    }
    return false;
}

TEST(TbHashTableTest, FindsEveryBlockAcrossGrowthAndRemoval) {
    TbHashTable table(hash_of);
    std::vector<std::unique_ptr<TranslationBlock>> blocks;
    for (uint64_t i = 0; i < 20000; ++i) {   // several doublings
        blocks.push_back(std::make_unique<TranslationBlock>());
        blocks.back()->pc = 0x400000 + i * 16;
        table.insert(hash_of(*blocks.back()), blocks.back().get());
    }
    EXPECT_EQ(table.size(), 20000u);
    for (const auto& tb : blocks) ASSERT_TRUE(in_chain(table, *tb)) << std::hex << tb->pc;
    for (size_t i = 0; i < blocks.size(); i += 2) table.remove(hash_of(*blocks[i]), blocks[i].get());
    EXPECT_EQ(table.size(), 10000u);
    for (size_t i = 0; i < blocks.size(); ++i) EXPECT_EQ(in_chain(table, *blocks[i]), i % 2 == 1) << i;
    table.clear();
    EXPECT_EQ(table.size(), 0u);
    EXPECT_FALSE(in_chain(table, *blocks[1]));
}

TEST(TbHashTableTest, BlocksWithTheSameHashShareAChain) {
    TbHashTable table(hash_of);
    TranslationBlock a, b, c;
    a.pc = b.pc = c.pc = 0x1000;
    table.insert(0x1000, &a);
    table.insert(0x1000, &b);
    table.insert(0x1000, &c);
    table.remove(0x1000, &b);
    EXPECT_TRUE(in_chain(table, a));
    EXPECT_FALSE(in_chain(table, b));
    EXPECT_TRUE(in_chain(table, c));
    table.remove(0x1000, &b);   // not there: nothing changes
    EXPECT_EQ(table.size(), 2u);
}

}  // namespace
}  // namespace mimic::tcg::test
