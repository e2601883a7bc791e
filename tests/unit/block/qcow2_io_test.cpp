// The qcow2 driver against a byte-array model: random writes, zero writes,
// discards and compressed writes, through snapshots, resizes and backing
// files, with a consistency check after each phase.
#include "test_dir.h"

#include "mimic/block/image.h"
#include "mimic/util/error.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace mimic::block {
namespace {

struct Variant {
    const char* name;
    const char* options;
};

class Qcow2Io : public ::testing::TestWithParam<Variant> {
protected:
    void SetUp() override {
        path_ = dir_.file("img.qcow2");
        CreateRequest req;
        req.filename = path_;
        req.format = "qcow2";
        req.size = kSize;
        req.size_given = true;
        std::string opts = GetParam().options;
        for (size_t start = 0; start < opts.size();) {
            size_t comma = opts.find(',', start);
            std::string item = opts.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!item.empty()) req.options.emplace_back(item.substr(0, item.find('=')), item.substr(item.find('=') + 1));
            start = comma == std::string::npos ? opts.size() : comma + 1;
        }
        create_image(req);
        model_.assign(kSize, 0);
        reopen();
    }

    void reopen() {
        node_.reset();
        OpenOptions o;
        o.filename = path_;
        o.format = "qcow2";
        node_ = open_image(o);
    }

    void random_ops(int count, uint32_t seed) {
        std::mt19937 rng(seed);
        uint32_t cs = node_->cluster_size();
        for (int i = 0; i < count; ++i) {
            uint64_t off = rng() % (kSize / 512) * 512;
            uint64_t len = std::min<uint64_t>(kSize - off, (rng() % 4 == 0) ? cs * (1 + rng() % 3) : 512 * (1 + rng() % 300));
            int kind = rng() % 10;
            if (kind < 6) {
                std::vector<uint8_t> data(len);
                for (auto& b : data) b = static_cast<uint8_t>(rng());
                ASSERT_EQ(node_->pwrite(off, data.data(), len), 0);
                std::copy(data.begin(), data.end(), model_.begin() + off);
            } else if (kind < 8) {
                ASSERT_EQ(node_->pwrite_zeroes(off, len, kind == 7), 0);
                std::fill(model_.begin() + off, model_.begin() + off + len, 0);
            } else if (kind < 9) {
                // Discard of whole clusters reads back as zeros here (no backing).
                ASSERT_EQ(node_->discard(off, len), 0);
                uint64_t a = (off + cs - 1) / cs * cs, b = (off + len) / cs * cs;
                if (off + len == kSize) b = kSize;
                if (a < b) std::fill(model_.begin() + a, model_.begin() + b, 0);
            } else {
                uint64_t c = rng() % (kSize / cs) * cs;
                std::vector<uint8_t> data(cs, static_cast<uint8_t>(rng()));
                for (size_t j = 0; j < data.size(); j += 97) data[j] = static_cast<uint8_t>(rng());
                ASSERT_EQ(node_->pwrite_compressed(c, data.data(), cs), 0);
                std::copy(data.begin(), data.end(), model_.begin() + c);
            }
        }
    }

    void verify() {
        std::vector<uint8_t> data(node_->size());
        ASSERT_EQ(node_->pread(0, data.data(), data.size()), 0);
        ASSERT_EQ(data.size(), model_.size());
        for (size_t i = 0; i < data.size(); ++i)
            ASSERT_EQ(data[i], model_[i]) << "at offset " << i;
        CheckResult r = node_->check(CheckFix::kNone);
        EXPECT_EQ(r.corruptions, 0);
        EXPECT_EQ(r.leaks, 0);
        for (const auto& m : r.messages) ADD_FAILURE() << m;
    }

    static constexpr uint64_t kSize = 3 << 20;
    test::TempDir dir_;
    std::string path_;
    std::unique_ptr<BlockNode> node_;
    std::vector<uint8_t> model_;
};

TEST_P(Qcow2Io, RandomOperationsMatchModel) {
    random_ops(150, 1);
    verify();
    reopen();
    verify();
}

TEST_P(Qcow2Io, SnapshotsKeepTheirView) {
    if (std::string(GetParam().name) == "rc1") GTEST_SKIP() << "refcount_bits=1 cannot share clusters";
    random_ops(60, 2);
    auto at_snapshot = model_;
    node_->snapshot_create("one");
    random_ops(60, 3);
    verify();
    ASSERT_EQ(node_->snapshots().size(), 1u);
    node_->snapshot_apply("one");
    model_ = at_snapshot;
    verify();
    random_ops(30, 4);
    node_->snapshot_delete("1");
    EXPECT_TRUE(node_->snapshots().empty());
    verify();
    reopen();
    verify();
}

TEST_P(Qcow2Io, GrowAndShrink) {
    random_ops(40, 5);
    node_->truncate(kSize * 3, Prealloc::kOff, false);
    model_.resize(kSize * 3, 0);
    std::vector<uint8_t> data(8192, 0x5a);
    ASSERT_EQ(node_->pwrite(kSize * 2 + 512, data.data(), data.size()), 0);
    std::copy(data.begin(), data.end(), model_.begin() + kSize * 2 + 512);
    verify();
    EXPECT_THROW(node_->truncate(kSize / 2, Prealloc::kOff, false), Error);
    node_->truncate(kSize / 2 + 512, Prealloc::kOff, true);
    model_.resize(kSize / 2 + 512);
    verify();
    node_->truncate(kSize, Prealloc::kOff, false);
    model_.resize(kSize, 0);
    verify();
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, Qcow2Io,
    ::testing::Values(Variant{"v3", ""}, Variant{"v2", "compat=0.10"}, Variant{"c512", "cluster_size=512"},
                      Variant{"c4k", "cluster_size=4096"}, Variant{"c2M", "cluster_size=2M"},
                      Variant{"rc1", "refcount_bits=1"}, Variant{"rc4", "refcount_bits=4"},
                      Variant{"rc8", "refcount_bits=8"}, Variant{"rc64", "refcount_bits=64"},
                      Variant{"zstd", "compression_type=zstd"}, Variant{"l2ext", "extended_l2=on"},
                      Variant{"meta", "preallocation=metadata"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Qcow2Backing, ReadsThroughAndCopiesOnWrite) {
    test::TempDir dir;
    CreateRequest base;
    base.filename = dir.file("base.qcow2");
    base.format = "qcow2";
    base.size = 1 << 20;
    base.size_given = true;
    create_image(base);
    {
        OpenOptions o;
        o.filename = base.filename;
        auto node = open_image(o);
        std::vector<uint8_t> data(1 << 20, 0x11);
        ASSERT_EQ(node->pwrite(0, data.data(), data.size()), 0);
    }
    CreateRequest top;
    top.filename = dir.file("top.qcow2");
    top.format = "qcow2";
    top.backing_file = "base.qcow2";
    top.backing_format = "qcow2";
    create_image(top);   // size comes from the backing file
    OpenOptions o;
    o.filename = top.filename;
    auto node = open_image(o);
    ASSERT_EQ(node->size(), 1u << 20);
    ASSERT_NE(node->backing(), nullptr);
    std::vector<uint8_t> patch(1000, 0x22);
    ASSERT_EQ(node->pwrite(70000, patch.data(), patch.size()), 0);
    ASSERT_EQ(node->pwrite_zeroes(200000, 65536 * 2, true), 0);
    std::vector<uint8_t> all(1 << 20);
    ASSERT_EQ(node->pread(0, all.data(), all.size()), 0);
    for (size_t i = 0; i < all.size(); ++i) {
        uint8_t want = (i >= 70000 && i < 71000) ? 0x22 : (i >= 262144 && i < 262144 + 65536) ? 0 : 0x11;
        if (i >= 200000 && i < 200000 + 131072) want = 0;
        ASSERT_EQ(all[i], want) << i;
    }
    BlockStatus st = node->block_status(0, 65536);
    EXPECT_EQ(st.depth, 1);
    CheckResult r = node->check(CheckFix::kNone);
    EXPECT_EQ(r.corruptions + r.leaks, 0);
}

TEST(Qcow2Backing, LoopIsRefused) {
    test::TempDir dir;
    for (const char* name : {"a.qcow2", "b.qcow2"}) {
        CreateRequest r;
        r.filename = dir.file(name);
        r.format = "qcow2";
        r.size = 1 << 20;
        r.size_given = true;
        r.backing_file = name[0] == 'a' ? "b.qcow2" : "a.qcow2";
        r.backing_format = "qcow2";
        r.unsafe = true;
        create_image(r);
    }
    OpenOptions o;
    o.filename = dir.file("a.qcow2");
    EXPECT_THROW(open_image(o), Error);
}

}  // namespace
}  // namespace mimic::block
