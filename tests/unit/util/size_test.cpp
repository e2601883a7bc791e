#include "mimic/util/size.h"

#include <gtest/gtest.h>

using mimic::format_size;
using mimic::parse_size;

TEST(ParseSize, PlainBytes) {
    EXPECT_EQ(parse_size("0"), 0u);
    EXPECT_EQ(parse_size("512"), 512u);
    EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
}

TEST(ParseSize, Suffixes) {
    EXPECT_EQ(parse_size("1k"), 1024u);
    EXPECT_EQ(parse_size("64K"), 65536u);
    EXPECT_EQ(parse_size("2M"), 2u << 20);
    EXPECT_EQ(parse_size("2G"), uint64_t{2} << 30);
    EXPECT_EQ(parse_size("1T"), uint64_t{1} << 40);
    EXPECT_EQ(parse_size("1P"), uint64_t{1} << 50);
    EXPECT_EQ(parse_size("1E"), uint64_t{1} << 60);
    EXPECT_EQ(parse_size("7b"), 7u);
}

TEST(ParseSize, DefaultUnitAppliesOnlyWithoutSuffix) {
    EXPECT_EQ(parse_size("2048", 1 << 20), uint64_t{2048} << 20);
    EXPECT_EQ(parse_size("2G", 1 << 20), uint64_t{2} << 30);
}

TEST(ParseSize, Fractions) {
    EXPECT_EQ(parse_size("1.5G"), uint64_t{3} << 29);
    EXPECT_EQ(parse_size("0.5k"), 512u);
    EXPECT_EQ(parse_size("1.5"), std::nullopt);  // fraction of a byte
    EXPECT_EQ(parse_size("1.5b"), std::nullopt);
    EXPECT_EQ(parse_size("1.5", 1 << 20), uint64_t{3} << 19);
}

// What qemu-img create accepts and refuses, checked against QEMU 7.2.
TEST(ParseSize, QemuEdgeCases) {
    EXPECT_EQ(parse_size("1."), 1u);
    EXPECT_EQ(parse_size("1.k"), 1024u);
    EXPECT_EQ(parse_size(" 64"), 64u);
    EXPECT_EQ(parse_size("+64"), 64u);
    EXPECT_EQ(parse_size("0.00048828125k"), 1u);   // half a byte rounds up
    EXPECT_EQ(parse_size("0.000488281249k"), 0u);
    EXPECT_EQ(parse_size("1.0000000000000000001k"), 1024u);
    EXPECT_EQ(parse_size("15.9999999999999999999E"), uint64_t{15} << 60);  // rounds to 1.0: dropped
    EXPECT_EQ(parse_size(".5k"), std::nullopt);
    EXPECT_EQ(parse_size("1.5e3k"), std::nullopt);
    EXPECT_EQ(parse_size("0x10.5k"), std::nullopt);
    EXPECT_EQ(parse_size("0x-1"), std::nullopt);
    EXPECT_EQ(parse_size("1k "), std::nullopt);
    EXPECT_EQ(parse_size("1.k5"), std::nullopt);
    EXPECT_EQ(parse_size("1.infk"), std::nullopt);
    EXPECT_EQ(mimic::parse_size_checked("16E").error, mimic::SizeError::kOutOfRange);
    EXPECT_EQ(mimic::parse_size_checked("99999999999999999999").error, mimic::SizeError::kOutOfRange);
    EXPECT_EQ(mimic::parse_size_checked("foo").error, mimic::SizeError::kInvalid);
}

TEST(ParseSize, Hex) {
    EXPECT_EQ(parse_size("0x1000"), 4096u);
    EXPECT_EQ(parse_size("0x10k"), 16384u);
    EXPECT_EQ(parse_size("0x"), std::nullopt);
}

TEST(ParseSize, Rejects) {
    EXPECT_EQ(parse_size(""), std::nullopt);
    EXPECT_EQ(parse_size("foo"), std::nullopt);
    EXPECT_EQ(parse_size("-1"), std::nullopt);
    EXPECT_EQ(parse_size("12X"), std::nullopt);
    EXPECT_EQ(parse_size("12kk"), std::nullopt);
    EXPECT_EQ(parse_size("16E"), std::nullopt);  // 2^64 overflows
    EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
}

TEST(FormatSize, QemuImgStyle) {
    EXPECT_EQ(format_size(0), "0 B");
    EXPECT_EQ(format_size(512), "512 B");
    EXPECT_EQ(format_size(1000), "0.977 KiB");
    EXPECT_EQ(format_size(1536 * 1024), "1.5 MiB");
    EXPECT_EQ(format_size(uint64_t{20} << 30), "20 GiB");
    EXPECT_EQ(format_size(uint64_t{1} << 60), "1 EiB");
}

TEST(ParseBool, QemuSpellings) {
    EXPECT_EQ(mimic::parse_bool("on"), true);
    EXPECT_EQ(mimic::parse_bool("yes"), true);
    EXPECT_EQ(mimic::parse_bool("off"), false);
    EXPECT_EQ(mimic::parse_bool("false"), false);
    EXPECT_EQ(mimic::parse_bool("maybe"), std::nullopt);
}
