// raw format, probing, the file protocol's locking and preallocation.
#include "test_dir.h"

#include "mimic/block/image.h"
#include "mimic/util/error.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mimic::block {
namespace {

std::string make_raw(const test::TempDir& dir, const char* name, uint64_t size, const char* prealloc = nullptr) {
    CreateRequest r;
    r.filename = dir.file(name);
    r.size = size;
    r.size_given = true;
    if (prealloc) r.options.emplace_back("preallocation", prealloc);
    create_image(r);
    return r.filename;
}

TEST(Raw, ProbedRawRefusesQcow2SignatureInSectorZero) {
    test::TempDir dir;
    auto path = make_raw(dir, "disk.img", 1 << 20);
    OpenOptions o;
    o.filename = path;   // no format: probed
    auto node = open_image(o);
    EXPECT_STREQ(node->format_name(), "raw");
    const uint8_t magic[] = {'Q', 'F', 'I', 0xfb, 0, 0, 0, 3};
    EXPECT_EQ(node->pwrite(0, magic, sizeof magic), -EPERM);
    // Other data in sector 0 and the magic elsewhere are fine.
    const uint8_t boot[] = {0xeb, 0x3c, 0x90};
    EXPECT_EQ(node->pwrite(0, boot, sizeof boot), 0);
    EXPECT_EQ(node->pwrite(512, magic, sizeof magic), 0);
    node.reset();
    o.format = "raw";   // explicit: no restriction
    node = open_image(o);
    EXPECT_EQ(node->pwrite(0, magic, sizeof magic), 0);
}

TEST(Raw, SecondWriterIsRefusedReadersNeedForceShare) {
    test::TempDir dir;
    auto path = make_raw(dir, "disk.img", 1 << 20);
    OpenOptions o;
    o.filename = path;
    o.format = "raw";
    auto writer = open_image(o);
    try {
        open_image(o);
        FAIL() << "second writer accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "Failed to get \"write\" lock\nIs another process using the image [" + path + "]?");
    }
    o.read_only = true;
    try {
        open_image(o);
        FAIL() << "reader without -U accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("Failed to get shared \"write\" lock"), std::string::npos);
    }
    o.force_share = true;
    EXPECT_NO_THROW(open_image(o));
    writer.reset();
    o.force_share = false;
    o.read_only = false;
    EXPECT_NO_THROW(open_image(o));
}

TEST(Raw, PreallocationModes) {
    test::TempDir dir;
    struct stat st;
    auto off = make_raw(dir, "off.img", 4 << 20);
    ASSERT_EQ(stat(off.c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 4 << 20);
    EXPECT_LT(st.st_blocks * 512, 1 << 20);
    auto full = make_raw(dir, "full.img", 4 << 20, "full");
    ASSERT_EQ(stat(full.c_str(), &st), 0);
    EXPECT_GE(st.st_blocks * 512, 4 << 20);
    auto falloc = make_raw(dir, "falloc.img", 4 << 20, "falloc");
    ASSERT_EQ(stat(falloc.c_str(), &st), 0);
    EXPECT_GE(st.st_blocks * 512, 4 << 20);
}

TEST(Raw, DirectIoHandlesUnalignedRequests) {
    test::TempDir dir;
    auto path = make_raw(dir, "disk.img", 1 << 20);
    OpenOptions o;
    o.filename = path;
    o.format = "raw";
    o.cache = parse_cache_mode("none");
    std::unique_ptr<BlockNode> node;
    try {
        node = open_image(o);
    } catch (const Error&) {
        GTEST_SKIP() << "O_DIRECT not supported on this filesystem";
    }
    std::vector<uint8_t> data(1000, 0x42), back(1000);
    ASSERT_EQ(node->pwrite(4097, data.data(), data.size()), 0);
    ASSERT_EQ(node->pread(4097, back.data(), back.size()), 0);
    EXPECT_EQ(back, data);
    EXPECT_EQ(node->size(), 1u << 20);
}

TEST(Raw, MissingFileErrorNamesIt) {
    OpenOptions o;
    o.filename = "/nonexistent/x.img";
    try {
        open_image(o);
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "Could not open '/nonexistent/x.img': No such file or directory");
    }
}

}  // namespace
}  // namespace mimic::block
