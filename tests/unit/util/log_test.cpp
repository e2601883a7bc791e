#include "mimic/util/log.h"

#include <gtest/gtest.h>

#include "mimic/util/error.h"

namespace mlog = mimic::log;

TEST(LogItems, ParsesLists) {
    EXPECT_EQ(mlog::parse_items("in_asm"), mlog::kInAsm);
    EXPECT_EQ(mlog::parse_items("in_asm,int,cpu"), mlog::kInAsm | mlog::kInt | mlog::kCpu);
    EXPECT_EQ(mlog::parse_items(""), 0u);
}

TEST(LogItems, RejectsUnknownItemByName) {
    try {
        mlog::parse_items("in_asm,bogus");
        FAIL() << "no error";
    } catch (const mimic::Error& e) {
        EXPECT_STREQ(e.what(), "unknown logging item 'bogus' (see -d help)");
    }
}

TEST(LogFile, WritesToChosenFile) {
    std::string path = testing::TempDir() + "/mimic-log-test.txt";
    mlog::set_file(path);
    mlog::set_mask(mlog::kInt);
    MIMIC_LOG(mlog::kInt, "interrupt {:#x}\n", 0x20);
    MIMIC_LOG(mlog::kExec, "not logged\n");
    mlog::set_file("");
    std::FILE* f = std::fopen(path.c_str(), "r");
    ASSERT_NE(f, nullptr);
    char line[64] = {};
    ASSERT_NE(std::fgets(line, sizeof line, f), nullptr);
    EXPECT_STREQ(line, "interrupt 0x20\n");
    EXPECT_EQ(std::fgets(line, sizeof line, f), nullptr);
    std::fclose(f);
}

TEST(LogFile, UnwritablePathIsAnError) {
    EXPECT_THROW(mlog::set_file("/nonexistent-dir/x.log"), mimic::Error);
}
