// Access-size rules of I/O regions: valid sizes, splitting and combining
// for the implemented sizes, alignment, endianness, I/O port spaces.
#include <gtest/gtest.h>

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "test_support.h"

namespace mimic::memory {
namespace {

using test::Access;
using test::FakeDevice;
using test::LogCapture;

class MmioAccessTest : public testing::Test {
  protected:
    MmioAccessTest() { root_.init_container("system", UINT64_MAX); }

    MemoryRegion& map(MmioOps ops, uint64_t size = 0x100) {
        region_.init_io("dev", size, std::move(ops));
        root_.add_subregion(kBase, region_);
        return region_;
    }

    static constexpr uint64_t kBase = 0xfee00000;
    FakeDevice dev_{0x100};
    MemoryRegion root_;
    AddressSpace space_{root_, "memory"};
    MemoryRegion region_;
};

TEST_F(MmioAccessTest, AccessWithinImplementedSizesIsPassedThrough) {
    map(dev_.ops());
    EXPECT_EQ(space_.ldl(kBase + 4), 0x17161514u);
    space_.stw(kBase + 2, 0xbeef);
    EXPECT_EQ(dev_.log, (std::vector<Access>{{false, 4, 0x17161514, 4}, {true, 2, 0xbeef, 2}}));
}

TEST_F(MmioAccessTest, WiderThanImplementedIsSplit) {
    map(dev_.ops({1, 8, false}, {1, 4, false}));
    EXPECT_EQ(space_.ldq(kBase + 8), 0x1f1e1d1c1b1a1918u);
    space_.stq(kBase + 0x10, 0x8877665544332211);
    EXPECT_EQ(dev_.log, (std::vector<Access>{{false, 8, 0x1b1a1918, 4},
                                             {false, 12, 0x1f1e1d1c, 4},
                                             {true, 0x10, 0x44332211, 4},
                                             {true, 0x14, 0x88776655, 4}}));
}

TEST_F(MmioAccessTest, NarrowerThanImplementedIsCombined) {
    map(dev_.ops({1, 4, false}, {4, 4, false}));
    // A byte read becomes a read of the aligned dword holding it.
    EXPECT_EQ(space_.ldub(kBase + 6), 0x16);
    EXPECT_EQ(space_.lduw(kBase + 2), 0x1312);
    // A byte write keeps the dword's other bytes (read-modify-write).
    space_.stb(kBase + 9, 0xaa);
    EXPECT_EQ(dev_.log, (std::vector<Access>{{false, 4, 0x17161514, 4},
                                             {false, 0, 0x13121110, 4},
                                             {false, 8, 0x1b1a1918, 4},
                                             {true, 8, 0x1b1aaa18, 4}}));
}

TEST_F(MmioAccessTest, SizeOutsideValidIsRejectedAndLogged) {
    LogCapture capture;
    map(dev_.ops({4, 4, false}, {4, 4, false}));
    AccessResult result;
    EXPECT_EQ(space_.load(kBase, 1, &result), 0xffu);
    EXPECT_EQ(result, AccessResult::kRejected);
    EXPECT_EQ(space_.load(kBase, 8, &result), ~uint64_t{0});
    EXPECT_EQ(space_.store(kBase, 0x1, 2), AccessResult::kRejected);
    EXPECT_TRUE(dev_.log.empty());  // the device never saw them
    EXPECT_EQ(
        capture.text(),
        "Invalid read at addr 0x0, size 1, region 'dev', reason: invalid size (min:4 max:4)\n"
        "Invalid read at addr 0x0, size 8, region 'dev', reason: invalid size (min:4 max:4)\n"
        "Invalid write at addr 0x0, size 2, region 'dev', reason: invalid size (min:4 max:4)\n");
}

TEST_F(MmioAccessTest, UnalignedIsRejectedUnlessAllowed) {
    LogCapture capture;
    map(dev_.ops());
    EXPECT_EQ(space_.ldl(kBase + 2), 0xffffffffu);
    EXPECT_EQ(capture.text(),
              "Invalid read at addr 0x2, size 4, region 'dev', reason: unaligned\n");
}

TEST_F(MmioAccessTest, UnalignedAllowedIsSplitOnImplementationAlignment) {
    map(dev_.ops({1, 4, true}, {4, 4, false}));
    EXPECT_EQ(space_.ldl(kBase + 2), 0x15141312u);
    EXPECT_EQ(dev_.log,
              (std::vector<Access>{{false, 0, 0x13121110, 4}, {false, 4, 0x17161514, 4}}));
}

TEST_F(MmioAccessTest, AcceptsCallbackAndMissingCallbacksReject) {
    LogCapture capture;
    MmioOps ops = dev_.ops();
    ops.accepts = [](uint64_t offset, unsigned, bool) { return offset < 0x80; };
    ops.write = nullptr;  // read-only device
    map(std::move(ops));
    EXPECT_EQ(space_.ldub(kBase + 0x10), 0x20);
    EXPECT_EQ(space_.ldub(kBase + 0x80), 0xff);
    EXPECT_EQ(space_.store(kBase, 1, 1), AccessResult::kRejected);
    EXPECT_EQ(capture.text(),
              "Invalid read at addr 0x80, size 1, region 'dev', reason: rejected\n"
              "Invalid write at addr 0x0, size 1, region 'dev', reason: rejected\n");
}

TEST_F(MmioAccessTest, BigEndianDeviceSeesSwappedValues) {
    MmioOps ops = dev_.ops({1, 8, false}, {4, 4, false});
    ops.endianness = Endianness::kBig;
    uint64_t written = 0;
    ops.write = [&](uint64_t, uint64_t value, unsigned) { written = value; };
    ops.read = [](uint64_t, unsigned) -> uint64_t { return 0x11223344; };
    map(std::move(ops));
    space_.stl(kBase, 0x44332211);  // guest bytes 11 22 33 44
    EXPECT_EQ(written, 0x11223344u);
    EXPECT_EQ(space_.ldl(kBase), 0x44332211u);
    EXPECT_EQ(space_.ldub(kBase), 0x11);  // lowest address = most significant
}

TEST_F(MmioAccessTest, BufferAccessUsesLargestValidAlignedSizes) {
    map(dev_.ops({1, 4, false}, {1, 4, false}));
    uint8_t buffer[7];
    EXPECT_EQ(space_.read(kBase + 1, buffer, sizeof buffer), AccessResult::kOk);
    EXPECT_EQ(buffer[0], 0x11);
    EXPECT_EQ(buffer[6], 0x17);
    EXPECT_EQ(dev_.log,
              (std::vector<Access>{
                  {false, 1, 0x11, 1}, {false, 2, 0x1312, 2}, {false, 4, 0x17161514, 4}}));
}

TEST_F(MmioAccessTest, EmptyBusRootAnswersSilently) {
    LogCapture capture;
    MemoryRegion io;
    io.init_io("io", 0x10000, empty_bus_ops());
    AddressSpace ports(io, "I/O");
    MemoryRegion pit;
    pit.init_io("pit", 4, dev_.ops({1, 1, false}, {1, 1, false}));
    io.add_subregion(0x40, pit);
    EXPECT_EQ(ports.ldub(0x41), 0x11);  // devices still draw over it
    EXPECT_EQ(ports.lduw(0x61), 0xffff);
    EXPECT_EQ(ports.ldl(0xcf9), 0xffffffffu);
    EXPECT_EQ(ports.store(0x80, 0x12, 1), AccessResult::kOk);
    EXPECT_EQ(capture.text(), "");
    io.del_subregion(pit);
}

TEST_F(MmioAccessTest, IoPortSpaceUsesTheSameOps) {
    MemoryRegion io;
    io.init_container("io", 0x10000);
    AddressSpace ports(io, "I/O");
    MemoryRegion pit;
    pit.init_io("pit", 4, dev_.ops({1, 1, false}, {1, 1, false}));
    io.add_subregion(0x40, pit);
    EXPECT_EQ(ports.ldub(0x41), 0x11);
    ports.stb(0x43, 0x34);
    EXPECT_EQ(dev_.regs[3], 0x34);
    EXPECT_EQ(ports.ldub(0x60), 0xff);  // nothing there: all ones
    io.del_subregion(pit);
}

}  // namespace
}  // namespace mimic::memory
