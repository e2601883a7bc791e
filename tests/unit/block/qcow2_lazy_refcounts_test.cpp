// lazy_refcounts=on: allocations leave refcounts stale on disk (with the
// dirty bit set) until a flush or close; a dirty image is repaired on a
// read-write open and by check -r, as QEMU does.
#include "test_dir.h"

#include "mimic/block/image.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

namespace mimic::block {
namespace {

class Qcow2LazyRefcounts : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = dir_.file("lazy.qcow2");
        CreateRequest r;
        r.filename = path_;
        r.format = "qcow2";
        r.size = 64 << 20;
        r.size_given = true;
        r.options = {{"lazy_refcounts", "on"}};
        create_image(r);
    }

    std::unique_ptr<BlockNode> open(bool read_only, bool for_check = false) {
        OpenOptions o;
        o.filename = path_;
        o.format = "qcow2";
        o.read_only = read_only;
        o.force_share = read_only;   // a second look while the writer has it open
        o.for_check = for_check;
        return open_image(o);
    }

    // What a reader sees on disk right now.
    CheckResult disk_state(bool* dirty) {
        auto reader = open(true);
        *dirty = reader->dirty_flag();
        return reader->check(CheckFix::kNone);
    }

    void write_pattern(BlockNode& node, uint64_t offset, size_t length, uint8_t pattern) {
        std::vector<uint8_t> buf(length, pattern);
        ASSERT_EQ(node.pwrite(offset, buf.data(), buf.size()), 0);
    }

    void expect_pattern(BlockNode& node, uint64_t offset, size_t length, uint8_t pattern) {
        std::vector<uint8_t> buf(length);
        ASSERT_EQ(node.pread(offset, buf.data(), buf.size()), 0);
        EXPECT_EQ(buf, std::vector<uint8_t>(length, pattern));
    }

    test::TempDir dir_;
    std::string path_;
};

TEST_F(Qcow2LazyRefcounts, RefcountsReachTheDiskOnlyOnFlushAndDirtyBitOnlyUntilClose) {
    auto writer = open(false);
    write_pattern(*writer, 0, 3 * 65536, 0x11);
    write_pattern(*writer, 10 << 20, 4096, 0x22);

    bool dirty = false;
    CheckResult r = disk_state(&dirty);
    EXPECT_TRUE(dirty);
    // Data clusters and the new L2 table have no refcount on disk yet.
    EXPECT_GE(r.corruptions, 5);

    ASSERT_EQ(writer->flush(), 0);
    r = disk_state(&dirty);
    EXPECT_TRUE(dirty);   // as in QEMU: cleared on close, not on flush
    EXPECT_EQ(r.corruptions + r.leaks, 0);

    writer.reset();
    r = disk_state(&dirty);
    EXPECT_FALSE(dirty);
    EXPECT_EQ(r.corruptions + r.leaks, 0);
}

TEST_F(Qcow2LazyRefcounts, DirtyImageIsRepairedOnReadWriteOpen) {
    {
        auto writer = open(false);
        write_pattern(*writer, 0, 2 * 65536, 0x33);
        bool dirty = false;
        ASSERT_GT(disk_state(&dirty).corruptions, 0);
        // Simulate a crash: copy the file as it is now, before any flush.
        std::filesystem::copy_file(path_, path_ + ".crashed");
    }
    std::filesystem::rename(path_ + ".crashed", path_);
    {
        auto reader = open(true);
        EXPECT_TRUE(reader->dirty_flag());
        expect_pattern(*reader, 0, 2 * 65536, 0x33);   // reads need no refcounts
    }
    {
        auto writer = open(false);   // repairs
        EXPECT_FALSE(writer->dirty_flag());
        expect_pattern(*writer, 0, 2 * 65536, 0x33);
        // Allocation after the repair must not reuse the data clusters.
        write_pattern(*writer, 20 << 20, 65536, 0x44);
        expect_pattern(*writer, 0, 2 * 65536, 0x33);
    }
    bool dirty = true;
    CheckResult r = disk_state(&dirty);
    EXPECT_FALSE(dirty);
    EXPECT_EQ(r.corruptions + r.leaks, 0);
}

TEST_F(Qcow2LazyRefcounts, CheckRepairsDirtyImageAndClearsTheBit) {
    {
        auto writer = open(false);
        write_pattern(*writer, 1 << 20, 65536, 0x55);
        std::filesystem::copy_file(path_, path_ + ".crashed");
    }
    std::filesystem::rename(path_ + ".crashed", path_);
    {
        auto node = open(false, /*for_check=*/true);
        EXPECT_TRUE(node->dirty_flag());   // left for the check to repair
        CheckResult r = node->check(CheckFix::kAll);
        EXPECT_GT(r.corruptions_fixed, 0);
        EXPECT_EQ(r.corruptions, 0);
        EXPECT_FALSE(node->dirty_flag());
    }
    bool dirty = true;
    CheckResult r = disk_state(&dirty);
    EXPECT_FALSE(dirty);
    EXPECT_EQ(r.corruptions + r.leaks, 0);
    auto reader = open(true);
    expect_pattern(*reader, 1 << 20, 65536, 0x55);
}

}  // namespace
}  // namespace mimic::block
