// On-disk structures: header parsing and building, compression.
#include "qcow2/compress.h"
#include "qcow2/format.h"

#include "mimic/util/error.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace mimic::block::qcow2 {
namespace {

std::vector<uint8_t> default_header(Header h = Header{}) {
    h.refcount_table_offset = 65536;
    h.refcount_table_clusters = 1;
    auto cluster = build_header_cluster(h, {}, "", "");
    cluster.resize(65536, 0);
    return cluster;
}

TEST(Qcow2Header, RoundTripsV3WithBackingAndExtensions) {
    Header h;
    h.size = 1ull << 30;
    h.l1_size = 2;
    h.l1_table_offset = 3 * 65536;
    h.refcount_table_offset = 65536;
    h.refcount_table_clusters = 1;
    h.refcount_order = 5;
    std::vector<Extension> keep = {{0x12345678, {1, 2, 3}}};
    auto cluster = build_header_cluster(h, keep, "base.qcow2", "qcow2");
    cluster.resize(65536, 0);
    Header parsed = parse_header(cluster.data(), cluster.size(), 1 << 20);
    EXPECT_EQ(parsed.version, 3u);
    EXPECT_EQ(parsed.size, 1ull << 30);
    EXPECT_EQ(parsed.refcount_order, 5u);
    EXPECT_EQ(parsed.header_length, kV3HeaderLengthWithCompression);
    ASSERT_EQ(parsed.backing_file_size, 10u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(&cluster[parsed.backing_file_offset]), 10), "base.qcow2");
    auto ext = parse_extensions(cluster.data(), parsed.backing_file_offset, parsed.header_length);
    ASSERT_EQ(ext.size(), 3u);   // backing format, feature table, the unknown one
    EXPECT_EQ(ext[0].type, kExtBackingFormat);
    EXPECT_EQ(std::string(ext[0].data.begin(), ext[0].data.end()), "qcow2");
    EXPECT_EQ(ext[1].type, kExtFeatureTable);
    EXPECT_EQ(ext[2].type, 0x12345678u);
    EXPECT_EQ(ext[2].data, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(Qcow2Header, V2HasFixedLayout) {
    Header h;
    h.version = 2;
    auto cluster = default_header(h);
    Header parsed = parse_header(cluster.data(), cluster.size(), 1 << 20);
    EXPECT_EQ(parsed.version, 2u);
    EXPECT_EQ(parsed.refcount_order, 4u);
    EXPECT_EQ(parsed.header_length, kV2HeaderLength);
}

// Every bad field gives one clear error rather than undefined behaviour.
struct BadField {
    const char* name;
    size_t offset;
    std::vector<uint8_t> bytes;
    const char* message;
};

class Qcow2BadHeader : public ::testing::TestWithParam<BadField> {};

TEST_P(Qcow2BadHeader, IsRefused) {
    auto cluster = default_header();
    const auto& bad = GetParam();
    std::memcpy(&cluster[bad.offset], bad.bytes.data(), bad.bytes.size());
    try {
        parse_header(cluster.data(), cluster.size(), 1 << 20);
        FAIL() << "accepted " << bad.name;
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), bad.message);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Fields, Qcow2BadHeader,
    ::testing::Values(
        BadField{"magic", 0, {0, 0, 0, 0}, "Image is not in qcow2 format"},
        BadField{"version", 4, {0, 0, 0, 4}, "Unsupported qcow2 version 4"},
        BadField{"cluster_bits_small", 20, {0, 0, 0, 8}, "Unsupported cluster size: 2^8"},
        BadField{"cluster_bits_large", 20, {0, 0, 0, 40}, "Unsupported cluster size: 2^40"},
        BadField{"crypt", 32, {0, 0, 0, 1}, "Encrypted qcow2 images are not supported"},
        BadField{"l1_size", 36, {0x10, 0, 0, 0}, "Active L1 table too large"},
        BadField{"reftable_offset", 48, {0, 0, 0, 0, 0, 0, 0, 7}, "Reference count table offset invalid"},
        BadField{"reftable_clusters", 56, {0x10, 0, 0, 0}, "Reference count table too large"},
        BadField{"snapshots", 60, {0x10, 0, 0, 0}, "Too many snapshots"},
        BadField{"refcount_order", 96, {0, 0, 0, 7}, "Reference count entry width too large; may not exceed 64 bits"},
        BadField{"header_length", 100, {0, 0, 0, 8}, "qcow2 header too short"},
        // Offset 0x200, length 4096 (the name may take 1023 bytes at most).
        BadField{"backing_name", 8, {0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x10, 0}, "Backing file name too long"},
        BadField{"backing_offset", 8, {0, 0, 0, 0, 0, 2, 0, 0}, "Invalid backing file offset"},
        // Tables must end below 2^63 bytes, even empty ones.
        BadField{"l1_offset", 40, {0x80, 0, 0, 0, 0, 0, 0, 0}, "Active L1 table offset invalid"},
        BadField{"snapshots_offset", 64, {0x80, 0, 0, 0, 0, 0, 0, 0}, "Snapshot table offset invalid"},
        BadField{"incompatible", 72, {0x80, 0, 0, 0, 0, 0, 0, 0},
                 "Unsupported qcow2 feature(s): Unknown incompatible feature: 8000000000000000"},
        BadField{"compression", 104, {7}, "Unknown compression type '7'"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Qcow2Header, BackingNameLengthWithoutOffsetIsIgnored) {
    auto cluster = default_header();
    cluster[16 + 2] = 0x10;   // 4096 bytes of a name that is nowhere
    EXPECT_NO_THROW(parse_header(cluster.data(), cluster.size(), 1 << 20));
}

TEST(Qcow2Header, TruncatedFileIsNotQcow2) {
    auto cluster = default_header();
    EXPECT_THROW(parse_header(cluster.data(), 10, 10), Error);
}

TEST(Qcow2Extensions, OverlongExtensionIsRefused) {
    std::vector<uint8_t> cluster(512, 0);
    cluster[112 + 3] = 1;            // type 1
    cluster[112 + 4] = 0x7f;         // absurd length
    EXPECT_THROW(parse_extensions(cluster.data(), cluster.size(), 112), Error);
}

class Qcow2Compression : public ::testing::TestWithParam<uint8_t> {};

TEST_P(Qcow2Compression, RoundTripsAndRejectsGarbage) {
    std::vector<uint8_t> data(65536);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>((i / 100) * 7);
    auto packed = compress_cluster(GetParam(), data.data(), data.size());
    ASSERT_TRUE(packed.has_value());
    EXPECT_LT(packed->size(), data.size());
    // Readers pass whole sectors: trailing junk must be ignored.
    auto padded = *packed;
    padded.resize((padded.size() + 511) / 512 * 512, 0xee);
    std::vector<uint8_t> out(data.size());
    ASSERT_TRUE(decompress_cluster(GetParam(), padded.data(), padded.size(), out.data(), out.size()));
    EXPECT_EQ(out, data);
    std::vector<uint8_t> garbage(512, 0xff);
    EXPECT_FALSE(decompress_cluster(GetParam(), garbage.data(), garbage.size(), out.data(), out.size()));
}

TEST_P(Qcow2Compression, IncompressibleDataIsNotCompressed) {
    std::vector<uint8_t> data(4096);
    uint32_t x = 12345;
    for (auto& b : data) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 24);
    EXPECT_FALSE(compress_cluster(GetParam(), data.data(), data.size()).has_value());
}

INSTANTIATE_TEST_SUITE_P(Types, Qcow2Compression, ::testing::Values(kCompressionZlib, kCompressionZstd),
                         [](const auto& info) { return info.param == kCompressionZlib ? "zlib" : "zstd"; });

}  // namespace
}  // namespace mimic::block::qcow2
