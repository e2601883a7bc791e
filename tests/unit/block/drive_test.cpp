// Asynchronous requests through Drive and their completion queue.
#include "test_dir.h"

#include "mimic/block/drive.h"
#include "mimic/block/image.h"
#include "mimic/util/error.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace mimic::block {
namespace {

std::string make_qcow2(const test::TempDir& dir) {
    CreateRequest r;
    r.filename = dir.file("disk.qcow2");
    r.format = "qcow2";
    r.size = 8 << 20;
    r.size_given = true;
    create_image(r);
    return r.filename;
}

TEST(Drive, CompletionsArriveThroughEventFd) {
    test::TempDir dir;
    CompletionQueue queue;
    OpenOptions o;
    o.filename = make_qcow2(dir);
    auto drive = Drive::open(o, &queue);
    constexpr int kRequests = 64;
    std::vector<std::vector<uint8_t>> bufs(kRequests);
    int done = 0, failed = 0;
    for (int i = 0; i < kRequests; ++i) {
        bufs[i].assign(4096, static_cast<uint8_t>(i));
        drive->aio_write(uint64_t(i) * 65536 + 512, bufs[i].data(), 4096, [&](int ret) {
            ++done;
            if (ret) ++failed;
        });
    }
    // Callbacks only run in the thread that calls run(), after the fd fires.
    while (done < kRequests) {
        pollfd pfd = {queue.event_fd(), POLLIN, 0};
        ASSERT_EQ(poll(&pfd, 1, 10000), 1);
        queue.run();
    }
    EXPECT_EQ(failed, 0);
    int flushed = -1;
    drive->aio_flush([&](int ret) { flushed = ret; });
    while (flushed == -1) queue.wait_and_run();
    EXPECT_EQ(flushed, 0);
    std::vector<uint8_t> back(4096);
    for (int i = 0; i < kRequests; ++i) {
        int ret = -1;
        drive->aio_read(uint64_t(i) * 65536 + 512, back.data(), 4096, [&](int r) { ret = r; });
        while (ret == -1) queue.wait_and_run();
        ASSERT_EQ(ret, 0);
        ASSERT_EQ(back, bufs[i]);
    }
    int out_of_range = 1;
    drive->aio_read(8 << 20, back.data(), 4096, [&](int r) { out_of_range = r; });
    while (out_of_range == 1) queue.wait_and_run();
    EXPECT_LT(out_of_range, 0);
}

TEST(Drive, SnapshotModeLeavesImageUntouched) {
    test::TempDir dir;
    CompletionQueue queue;
    OpenOptions o;
    o.filename = make_qcow2(dir);
    o.snapshot = true;
    {
        auto drive = Drive::open(o, &queue);
        std::vector<uint8_t> data(65536, 0x77), back(65536);
        ASSERT_EQ(drive->write(0, data.data(), data.size()), 0);
        ASSERT_EQ(drive->read(0, back.data(), back.size()), 0);
        EXPECT_EQ(back, data);
    }
    o.snapshot = false;
    o.read_only = true;
    auto drive = Drive::open(o, &queue);
    std::vector<uint8_t> back(65536, 1);
    ASSERT_EQ(drive->read(0, back.data(), back.size()), 0);
    EXPECT_EQ(back, std::vector<uint8_t>(65536, 0));
}

TEST(Drive, ReadOnlyRefusesWrites) {
    test::TempDir dir;
    OpenOptions o;
    o.filename = make_qcow2(dir);
    o.read_only = true;
    auto drive = Drive::open(o, nullptr);
    std::vector<uint8_t> data(512);
    EXPECT_LT(drive->write(0, data.data(), data.size()), 0);
}

}  // namespace
}  // namespace mimic::block

namespace mimic::block {
namespace {

// Each host I/O engine carries the same data; skipped where the kernel or
// sandbox refuses it.
class DriveAio : public ::testing::TestWithParam<const char*> {};

TEST_P(DriveAio, WritesAndReadsBack) {
    test::TempDir dir;
    CreateRequest r;
    r.filename = dir.file("disk.raw");
    r.size = 4 << 20;
    r.size_given = true;
    create_image(r);
    CompletionQueue queue;
    OpenOptions o;
    o.filename = r.filename;
    o.format = "raw";
    o.aio = parse_aio_mode(GetParam());
    o.cache = parse_cache_mode(o.aio == AioMode::kNative ? "none" : "writeback");
    std::unique_ptr<Drive> drive;
    try {
        drive = Drive::open(o, &queue);
    } catch (const Error& e) {
        GTEST_SKIP() << e.what();
    }
    alignas(4096) static uint8_t data[65536], back[65536];
    std::memset(data, 0x3c, sizeof data);
    int ret = 1;
    drive->aio_write(65536, data, sizeof data, [&](int r) { ret = r; });
    while (ret == 1) queue.wait_and_run();
    ASSERT_EQ(ret, 0);
    ret = 1;
    drive->aio_read(65536, back, sizeof back, [&](int r) { ret = r; });
    while (ret == 1) queue.wait_and_run();
    ASSERT_EQ(ret, 0);
    EXPECT_EQ(std::memcmp(data, back, sizeof data), 0);
}

// Many requests in flight at once (aio=native shares one kernel queue per
// file among the workers): every one completes, with its own data.
TEST_P(DriveAio, ManyRequestsInFlight) {
    test::TempDir dir;
    CreateRequest r;
    r.filename = dir.file("deep.raw");
    r.size = 8 << 20;
    r.size_given = true;
    create_image(r);
    CompletionQueue queue;
    OpenOptions o;
    o.filename = r.filename;
    o.format = "raw";
    o.aio = parse_aio_mode(GetParam());
    o.cache = parse_cache_mode(o.aio == AioMode::kNative ? "none" : "writeback");
    std::unique_ptr<Drive> drive;
    try {
        drive = Drive::open(o, &queue);
    } catch (const Error& e) {
        GTEST_SKIP() << e.what();
    }
    constexpr int kRequests = 512;
    constexpr size_t kBlock = 4096;
    uint8_t* raw = static_cast<uint8_t*>(std::aligned_alloc(4096, 2 * kRequests * kBlock));
    ASSERT_NE(raw, nullptr);
    std::unique_ptr<uint8_t, decltype(&std::free)> memory(raw, &std::free);
    uint8_t* out = raw;
    uint8_t* in = raw + kRequests * kBlock;
    for (int i = 0; i < kRequests; ++i) std::memset(out + i * kBlock, i % 251 + 1, kBlock);
    int done = 0, failed = 0;
    auto count = [&](int ret) {
        ++done;
        if (ret < 0) ++failed;
    };
    for (int i = 0; i < kRequests; ++i) drive->aio_write(uint64_t(i) * 2 * kBlock, out + i * kBlock, kBlock, count);
    while (done < kRequests) queue.wait_and_run();
    done = 0;
    for (int i = 0; i < kRequests; ++i) drive->aio_read(uint64_t(i) * 2 * kBlock, in + i * kBlock, kBlock, count);
    while (done < kRequests) queue.wait_and_run();
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(std::memcmp(out, in, kRequests * kBlock), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, DriveAio, ::testing::Values("threads", "native", "io_uring"));

TEST(DriveAioOptions, NativeNeedsDirect) {
    test::TempDir dir;
    CreateRequest r;
    r.filename = dir.file("disk.raw");
    r.size = 1 << 20;
    r.size_given = true;
    create_image(r);
    OpenOptions o;
    o.filename = r.filename;
    o.format = "raw";
    o.aio = AioMode::kNative;
    try {
        Drive::open(o, nullptr);
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "aio=native was specified, but it requires cache.direct=on, which was not specified.");
    }
}

}  // namespace
}  // namespace mimic::block
