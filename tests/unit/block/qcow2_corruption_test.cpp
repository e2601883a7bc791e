// Damaged images: each is refused or contained with a clear error, never a
// crash, a hang or a read outside the file.
#include "test_dir.h"

#include "mimic/block/image.h"
#include "mimic/util/error.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <unistd.h>
#include <fstream>
#include <vector>

namespace mimic::block {
namespace {

class Qcow2Corruption : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = dir_.file("img.qcow2");
        CreateRequest r;
        r.filename = path_;
        r.format = "qcow2";
        r.size = 4 << 20;
        r.size_given = true;
        create_image(r);
        auto node = open(false);
        std::vector<uint8_t> data(65536 * 2, 0x5c);
        ASSERT_EQ(node->pwrite(0, data.data(), data.size()), 0);
    }

    std::unique_ptr<BlockNode> open(bool read_only) {
        OpenOptions o;
        o.filename = path_;
        o.format = "qcow2";
        o.read_only = read_only;
        return open_image(o);
    }

    uint64_t be64_at(uint64_t offset) {
        std::ifstream f(path_, std::ios::binary);
        f.seekg(static_cast<std::streamoff>(offset));
        uint8_t b[8];
        f.read(reinterpret_cast<char*>(b), 8);
        uint64_t v = 0;
        for (uint8_t x : b) v = v << 8 | x;
        return v;
    }

    void patch_be(uint64_t offset, uint64_t value, int bytes) {
        std::fstream f(path_, std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(static_cast<std::streamoff>(offset));
        for (int i = bytes - 1; i >= 0; --i) f.put(static_cast<char>(value >> (8 * i)));
    }

    std::vector<uint8_t> bytes_at(uint64_t offset, size_t length) {
        std::ifstream f(path_, std::ios::binary);
        f.seekg(static_cast<std::streamoff>(offset));
        std::vector<uint8_t> out(length);
        f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(length));
        return out;
    }

    // Points guest cluster 2 (a COPIED, writable cluster) at `host`, writes
    // to it, and expects QEMU's overlap check to stop the write and mark
    // the image corrupt, with the metadata at `host` untouched.
    void expect_write_prevented(uint64_t host) {
        patch_be(l2_offset() + 2 * 8, 0x8000000000000000ull | host, 8);
        auto before = bytes_at(host, 65536);
        {
            auto node = open(false);
            std::vector<uint8_t> buf(4096, 0xee);
            EXPECT_EQ(node->pwrite(2 * 65536 + 512, buf.data(), buf.size()), -EIO);
            EXPECT_EQ(node->pwrite(0, buf.data(), 512), -EACCES);   // no more writes
        }
        EXPECT_EQ(bytes_at(host, 65536), before);
        EXPECT_EQ(be64_at(72) & 2, 2u);   // incompatible feature "corrupt"
        EXPECT_EQ(open_error(false), "qcow2: Image is corrupt; cannot be opened read/write");
    }

    uint64_t l1_offset() { return be64_at(40); }
    uint64_t l2_offset() { return be64_at(l1_offset()) & 0x00fffffffffffe00ull; }

    std::string open_error(bool read_only) {
        try {
            open(read_only);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    }

    test::TempDir dir_;
    std::string path_;
};

TEST_F(Qcow2Corruption, UnalignedL2OffsetFailsReadsAndMarksCorrupt) {
    patch_be(l1_offset(), 0x8000000000000200ull, 8);
    {
        auto node = open(false);
        std::vector<uint8_t> buf(4096);
        EXPECT_EQ(node->pread(0, buf.data(), buf.size()), -EIO);
        EXPECT_EQ(node->pwrite(0, buf.data(), buf.size()), -EACCES);   // now read-only
    }
    EXPECT_EQ(open_error(false), "qcow2: Image is corrupt; cannot be opened read/write");
    EXPECT_EQ(open_error(true), "");
}

TEST_F(Qcow2Corruption, L2TablePastEndReadsZerosAndCheckReportsIt) {
    patch_be(l1_offset(), 0x8000000000000000ull | (1ull << 40), 8);
    auto node = open(true);
    std::vector<uint8_t> buf(4096, 1);
    EXPECT_EQ(node->pread(0, buf.data(), buf.size()), 0);
    EXPECT_EQ(buf, std::vector<uint8_t>(4096, 0));
    CheckResult r = node->check(CheckFix::kNone);
    EXPECT_GT(r.corruptions, 0);
}

TEST_F(Qcow2Corruption, DataClusterInHeaderIsNotOverwritten) {
    // An L2 entry claiming the refcount table: writing through it must not
    // destroy the table.
    patch_be(l2_offset(), 0x8000000000010000ull, 8);
    {
        auto node = open(false);
        std::vector<uint8_t> buf(512, 0xff);
        EXPECT_EQ(node->pwrite(0, buf.data(), buf.size()), -EIO);
    }
    EXPECT_EQ(be64_at(65536), 0x20000u);   // entry 0 still points at its block
}

TEST_F(Qcow2Corruption, WriteOntoRefcountBlockIsPrevented) {
    uint64_t refblock = be64_at(be64_at(48));   // refcount table entry 0
    ASSERT_NE(refblock, 0u);
    expect_write_prevented(refblock);
}

TEST_F(Qcow2Corruption, WriteOntoActiveL2TableIsPrevented) {
    expect_write_prevented(l2_offset());
}

TEST_F(Qcow2Corruption, WriteOntoSnapshotTableIsPrevented) {
    {
        auto node = open(false);
        node->snapshot_create("s1");
    }
    uint64_t table = be64_at(64);
    ASSERT_NE(table, 0u);
    // The snapshot made cluster 2's L2 shared; the write goes to a copy of
    // the table, so point the copy's entry as well: the active L2 is
    // copied on the first write, which the overlap check must survive.
    {
        auto node = open(false);
        std::vector<uint8_t> buf(512, 1);
        ASSERT_EQ(node->pwrite(0, buf.data(), buf.size()), 0);   // L2 now owned again
    }
    expect_write_prevented(table);
}

TEST_F(Qcow2Corruption, UnalignedDataClusterFailsCleanly) {
    patch_be(l2_offset(), 0x8000000000050200ull, 8);
    auto node = open(true);
    std::vector<uint8_t> buf(512);
    EXPECT_EQ(node->pread(0, buf.data(), buf.size()), -EIO);
}

TEST_F(Qcow2Corruption, UnalignedPreallocatedZeroClusterFailsReadAndBlockStatus) {
    // A zero cluster that keeps its host cluster must name an aligned one,
    // though it is never read: qemu-img map and convert fail on it.
    patch_be(l2_offset(), 0x8000000000050201ull, 8);
    auto node = open(true);
    std::vector<uint8_t> buf(512);
    EXPECT_EQ(node->pread(0, buf.data(), buf.size()), -EIO);
    EXPECT_EQ(node->block_status(0, 4 << 20).error, -EIO);
    // The damage is reported at its own cluster, not before it.
    BlockStatus next = node->block_status(65536, 65536);
    EXPECT_EQ(next.error, 0);
    EXPECT_TRUE(next.data);
}

TEST_F(Qcow2Corruption, PreallocatedZeroClusterReadsZerosAndShowsItsOffset) {
    uint64_t entry = be64_at(l2_offset());
    patch_be(l2_offset(), entry | 1, 8);
    auto node = open(true);
    std::vector<uint8_t> buf(65536, 1);
    ASSERT_EQ(node->pread(0, buf.data(), buf.size()), 0);
    EXPECT_EQ(buf, std::vector<uint8_t>(65536, 0));
    BlockStatus st = node->block_status(0, 4 << 20);
    EXPECT_TRUE(st.zero);
    EXPECT_FALSE(st.data);
    EXPECT_TRUE(st.allocated);
    EXPECT_TRUE(st.offset_valid);
    EXPECT_EQ(st.host_offset, entry & 0x00fffffffffffe00ull);
    EXPECT_EQ(st.bytes, 65536u);
}

TEST_F(Qcow2Corruption, ContradictorySubclusterBitmapFailsTheWholeCluster) {
    CreateRequest r;
    r.filename = path_;
    r.format = "qcow2";
    r.size = 4 << 20;
    r.size_given = true;
    r.options = {{"extended_l2", "on"}};
    create_image(r);
    {
        auto node = open(false);
        std::vector<uint8_t> data(65536, 0x5c);
        ASSERT_EQ(node->pwrite(0, data.data(), data.size()), 0);
    }
    // Extended entries are 16 bytes: the entry, then its bitmap.
    uint64_t bitmap_at = l2_offset() + 8;
    ASSERT_EQ(be64_at(bitmap_at), 0xffffffffull);
    std::vector<uint8_t> buf(512);
    patch_be(bitmap_at, 0x00000001ffffffffull, 8);   // subcluster 0 allocated and zero
    EXPECT_EQ(open(true)->pread(5 * 2048, buf.data(), buf.size()), -EIO);
    // No host cluster, yet a subcluster marked allocated.
    patch_be(l2_offset(), 0, 8);
    patch_be(bitmap_at, 0x8, 8);
    EXPECT_EQ(open(true)->pread(0, buf.data(), buf.size()), -EIO);
    EXPECT_EQ(open(true)->block_status(0, 65536).error, -EIO);
    patch_be(bitmap_at, 0x8ull << 32, 8);   // subcluster 3 zero: valid
    EXPECT_EQ(open(true)->pread(0, buf.data(), buf.size()), 0);
}

TEST_F(Qcow2Corruption, CheckCountsPreallocatedZeroClustersAsAllocated) {
    uint64_t entry = be64_at(l2_offset());
    patch_be(l2_offset(), entry | 1, 8);
    auto node = open(false);
    CheckResult r = node->check(CheckFix::kNone);
    EXPECT_EQ(r.corruptions + r.leaks, 0);
    EXPECT_EQ(r.allocated_clusters, 2u);
    EXPECT_EQ(r.fragmented_clusters, 0u);
}

TEST_F(Qcow2Corruption, CheckRepairsMisalignedPreallocatedZeroCluster) {
    uint64_t entry = be64_at(l2_offset());
    patch_be(l2_offset(), (entry | 1) + 0x200, 8);
    auto node = open(false);
    CheckResult r = node->check(CheckFix::kNone);
    EXPECT_GT(r.corruptions, 0);
    ASSERT_FALSE(r.messages.empty());
    EXPECT_EQ(r.messages[0], fmt::format("ERROR offset={:x}: Preallocated cluster is not properly aligned; "
                                         "L2 entry corrupted.", (entry & 0x00fffffffffffe00ull) + 0x200));
    r = node->check(CheckFix::kAll);
    EXPECT_GE(r.corruptions_fixed, 1);
    EXPECT_EQ(be64_at(l2_offset()), 1u);   // a plain zero cluster
    r = node->check(CheckFix::kNone);
    EXPECT_EQ(r.corruptions, 0);
    std::vector<uint8_t> buf(512, 1);
    ASSERT_EQ(node->pread(0, buf.data(), buf.size()), 0);
    EXPECT_EQ(buf, std::vector<uint8_t>(512, 0));
}

TEST_F(Qcow2Corruption, CheckReportsCompressedClusterWithCopiedFlag) {
    {
        auto node = open(false);
        std::vector<uint8_t> data(65536, 0x33);
        ASSERT_EQ(node->pwrite_compressed(3 * 65536, data.data(), data.size()), 0);
    }
    uint64_t at = l2_offset() + 3 * 8;
    uint64_t entry = be64_at(at);
    ASSERT_EQ(entry >> 62, 1u);   // compressed, not COPIED
    EXPECT_EQ(open(true)->check(CheckFix::kNone).corruptions, 0);
    patch_be(at, entry | 1ull << 63, 8);
    CheckResult r = open(true)->check(CheckFix::kNone);
    EXPECT_EQ(r.corruptions, 1);
    ASSERT_FALSE(r.messages.empty());
    EXPECT_NE(r.messages[0].find("copied flag must never be set for compressed clusters"), std::string::npos);
}

TEST_F(Qcow2Corruption, RawDataFileFlagWithoutDataFileIsRefusedUnlessOnlyDescribed) {
    patch_be(88, 2, 8);   // autoclear: data-file-raw
    EXPECT_EQ(open_error(true), "data-file-raw requires a data file");
    OpenOptions o;
    o.filename = path_;
    o.format = "qcow2";
    o.read_only = true;
    o.no_io = true;   // as info opens it
    EXPECT_NO_THROW(open_image(o));
}

TEST_F(Qcow2Corruption, TableBeyondTheLastRequestableByteFailsToRead) {
    // Below 2^63, so a valid place for a table, but no request reaches it.
    patch_be(40, 0x7ffffffffff00000ull, 8);
    EXPECT_EQ(open_error(true), "Could not read L1 table: Input/output error");
}

TEST_F(Qcow2Corruption, CheckRepairsIncompleteSnapshotTableEntry) {
    {
        auto node = open(false);
        node->snapshot_create("s1");
    }
    uint64_t table = be64_at(64);
    ASSERT_EQ(be64_at(table + 32) & 0xffffffff, 24u);   // extra data size
    patch_be(table + 36, 8, 4);   // only the large VM state size
    auto node = open(false);
    CheckResult r = node->check(CheckFix::kNone);
    EXPECT_EQ(r.corruptions, 1);
    ASSERT_FALSE(r.messages.empty());
    EXPECT_EQ(r.messages[0], "ERROR snapshot table entry 0 is incomplete");
    r = node->check(CheckFix::kAll);
    EXPECT_EQ(r.corruptions_fixed, 1);
    r = node->check(CheckFix::kNone);
    EXPECT_EQ(r.corruptions + r.leaks, 0);
    ASSERT_EQ(node->snapshots().size(), 1u);
}

TEST_F(Qcow2Corruption, GarbageCompressedClusterFailsCleanly) {
    patch_be(l2_offset(), 0x4000000000000000ull | 0x30000, 8);   // "compressed" L1 table
    auto node = open(true);
    std::vector<uint8_t> buf(65536);
    EXPECT_EQ(node->pread(0, buf.data(), buf.size()), -EIO);
}

TEST_F(Qcow2Corruption, RefcountBlockPastEndIsNotTrusted) {
    patch_be(65536, 1ull << 40, 8);
    auto node = open(false);
    std::vector<uint8_t> buf(65536, 3);
    // Allocation needs refcounts it cannot trust: fail instead of reusing
    // clusters that are in use.
    EXPECT_EQ(node->pwrite(1 << 20, buf.data(), buf.size()), -EIO);
}

TEST_F(Qcow2Corruption, L1TooSmallForSize) {
    patch_be(24, 1ull << 50, 8);
    EXPECT_EQ(open_error(true), "L1 table is too small");
}

TEST_F(Qcow2Corruption, AbsurdSize) {
    patch_be(24, ~0ull, 8);
    EXPECT_EQ(open_error(true), "Image size too big");
}

TEST_F(Qcow2Corruption, SnapshotTableGarbage) {
    patch_be(60, 3, 4);        // three snapshots
    patch_be(64, 0x20000, 8);  // "table" = the refcount block (mostly zeros)
    // Whatever the garbage says, the answer is a clean error or a table
    // of bounded size.
    try {
        auto node = open(true);
        EXPECT_LE(node->snapshots().size(), 3u);
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()), "");
    }
    patch_be(64, 0x20200, 8);
    EXPECT_EQ(open_error(true), "Snapshot table offset invalid");
}

TEST_F(Qcow2Corruption, TruncatedImage) {
    ASSERT_EQ(::truncate(path_.c_str(), 4096), 0);
    auto node = open(true);   // header intact, tables read as zeros
    std::vector<uint8_t> buf(4096, 1);
    EXPECT_EQ(node->pread(0, buf.data(), buf.size()), 0);
    ASSERT_EQ(::truncate(path_.c_str(), 100), 0);
    EXPECT_EQ(open_error(true), "qcow2 header too short");
    ASSERT_EQ(::truncate(path_.c_str(), 40), 0);
    EXPECT_EQ(open_error(true), "Image is not in qcow2 format");
}

TEST_F(Qcow2Corruption, LeakIsFoundAndRepaired) {
    ASSERT_EQ(::truncate(path_.c_str(), 16 * 65536), 0);
    auto reftable_block = be64_at(65536);
    patch_be(reftable_block + 2 * 12, 1, 2);   // cluster 12: referenced by nothing
    auto node = open(false);
    CheckResult r = node->check(CheckFix::kNone);
    EXPECT_EQ(r.leaks, 1);
    EXPECT_EQ(r.corruptions, 0);
    r = node->check(CheckFix::kLeaks);
    EXPECT_EQ(r.leaks_fixed, 1);
    r = node->check(CheckFix::kNone);
    EXPECT_EQ(r.leaks + r.corruptions, 0);
}

}  // namespace
}  // namespace mimic::block
