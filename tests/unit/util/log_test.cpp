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

namespace {

std::string range_error(std::string_view list) {
    try {
        mlog::parse_address_ranges(list);
    } catch (const mimic::Error& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST(LogAddressFilter, ParsesTheThreeRangeForms) {
    using R = mlog::AddressRange;
    EXPECT_EQ(mlog::parse_address_ranges("0x1000..0x1fff"), (std::vector<R>{{0x1000, 0x1fff}}));
    EXPECT_EQ(mlog::parse_address_ranges("0x1000+0x100"), (std::vector<R>{{0x1000, 0x10ff}}));
    EXPECT_EQ(mlog::parse_address_ranges("0x1000-0x100"), (std::vector<R>{{0xf01, 0x1000}}));
    EXPECT_EQ(mlog::parse_address_ranges("10+5,010..012"), (std::vector<R>{{10, 14}, {8, 10}}));
    EXPECT_TRUE(mlog::parse_address_ranges("").empty());
}

TEST(LogAddressFilter, RejectsWhatQemuRejectsWithItsTexts) {
    EXPECT_EQ(range_error("bogus"), "Bad range specifier");
    EXPECT_EQ(range_error("0x1000"), "Bad range specifier");
    EXPECT_EQ(range_error("0x1000.0x2000"), "Bad range specifier");
    EXPECT_EQ(range_error("0x1000+0x10,"), "Bad range specifier");
    EXPECT_EQ(range_error("0x1000+0"), "Invalid range");
    EXPECT_EQ(range_error("0x2000..0x1000"), "Invalid range");
    EXPECT_EQ(range_error("0x1000-0x2000"), "Invalid range");
    EXPECT_EQ(range_error("0xffffffffffffffff+2"), "Invalid range");
    EXPECT_EQ(range_error("..0x10"), "Invalid number to the left of ..");
    EXPECT_EQ(range_error("0x1000+-1"), "Invalid number to the left of -");
    EXPECT_EQ(range_error("0x1000+0x10k"), "Invalid number to the right of +");
    EXPECT_EQ(range_error("0x1000.."), "Invalid number to the right of ..");
}

TEST(LogAddressFilter, SelectsAddressesInAnyRange) {
    mlog::set_address_filter({});
    EXPECT_TRUE(mlog::in_address_filter(0x1234));
    mlog::set_address_filter(mlog::parse_address_ranges("0x1000+0x10,0x2000..0x2000"));
    EXPECT_TRUE(mlog::in_address_filter(0x1000));
    EXPECT_TRUE(mlog::in_address_filter(0x100f));
    EXPECT_FALSE(mlog::in_address_filter(0x1010));
    EXPECT_TRUE(mlog::in_address_filter(0x2000));
    EXPECT_FALSE(mlog::in_address_filter(0x1fff));
    mlog::set_address_filter({});
}
