// Many threads on one qcow2 node: guest data moves without the node lock,
// so in-place writes, reads, allocating writes, discards and compressed
// writes run concurrently. The image must stay consistent and every
// region must read back what its last writer wrote.
#include "test_dir.h"

#include "mimic/block/image.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

namespace mimic::block {
namespace {

TEST(Qcow2Concurrency, ParallelRequestsKeepImageConsistent) {
    test::TempDir dir;
    std::string path = dir.file("c.qcow2");
    CreateRequest r;
    r.filename = path;
    r.format = "qcow2";
    r.size = 32 << 20;
    r.size_given = true;
    r.options = {{"cluster_size", "4096"}};
    create_image(r);
    OpenOptions o;
    o.filename = path;
    o.format = "qcow2";
    auto node = open_image(o);

    // Each thread owns a disjoint set of 64 KiB regions and remembers what
    // it last left there; regions are hit with every kind of request.
    constexpr int kThreads = 8;
    constexpr uint64_t kRegion = 64 << 10;
    constexpr int kRegionsPerThread = (32 << 20) / kRegion / kThreads;
    std::atomic<int> failures{0};
    std::vector<std::vector<int>> last(kThreads, std::vector<int>(kRegionsPerThread, 0));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(t);
            std::vector<uint8_t> buf(kRegion), check(kRegion);
            for (int i = 0; i < 400; ++i) {
                int k = static_cast<int>(rng() % kRegionsPerThread);
                uint64_t at = (static_cast<uint64_t>(k) * kThreads + t) * kRegion;
                int pattern = static_cast<int>(rng() % 250) + 1;
                int ret = 0;
                switch (rng() % 5) {
                case 0:
                case 1:
                    std::fill(buf.begin(), buf.end(), static_cast<uint8_t>(pattern));
                    ret = node->pwrite(at, buf.data(), buf.size());
                    last[t][k] = pattern;
                    break;
                case 2:
                    ret = node->discard(at, kRegion);
                    last[t][k] = 0;
                    break;
                case 3:
                    std::fill(buf.begin(), buf.end(), static_cast<uint8_t>(pattern));
                    for (uint64_t c = 0; c < kRegion && ret == 0; c += 4096)
                        ret = node->pwrite_compressed(at + c, buf.data() + c, 4096);
                    last[t][k] = pattern;
                    break;
                default:
                    ret = node->pread(at, check.data(), check.size());
                    if (ret == 0 && check != std::vector<uint8_t>(kRegion, static_cast<uint8_t>(last[t][k]))) ++failures;
                    break;
                }
                if (ret < 0) ++failures;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures, 0);
    CheckResult c = node->check(CheckFix::kNone);
    EXPECT_EQ(c.corruptions, 0);
    EXPECT_EQ(c.leaks, 0);
    std::vector<uint8_t> check(kRegion);
    for (int t = 0; t < kThreads; ++t)
        for (int k = 0; k < kRegionsPerThread; ++k) {
            uint64_t at = (static_cast<uint64_t>(k) * kThreads + t) * kRegion;
            ASSERT_EQ(node->pread(at, check.data(), check.size()), 0);
            EXPECT_EQ(check, std::vector<uint8_t>(kRegion, static_cast<uint8_t>(last[t][k]))) << "region " << at;
        }
}

}  // namespace
}  // namespace mimic::block
