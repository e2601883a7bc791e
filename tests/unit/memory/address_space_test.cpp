// The AddressSpace access paths: crossing sections, ld/st, unassigned
// addresses, ROM, ROM devices, translate(), listeners, concurrent readers.
#include "mimic/memory/address_space.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "mimic/memory/memory_region.h"
#include "mimic/memory/transaction.h"
#include "test_support.h"

namespace mimic::memory {
namespace {

using test::FakeDevice;
using test::LogCapture;

// Layout used by most tests:
//   0x0000-0x0fff ram-a, 0x1000-0x10ff dev (MMIO), 0x1100-0x1fff nothing,
//   0x2000-0x2fff ram-b, 0xf000-0xffff bios (ROM)
class AddressSpaceTest : public testing::Test {
  protected:
    AddressSpaceTest() {
        root_.init_container("system", UINT64_MAX);
        ram_a_.init_ram("ram-a", 0x1000);
        ram_b_.init_ram("ram-b", 0x1000);
        dev_region_.init_io("dev", 0x100, dev_.ops());
        bios_.init_rom("bios", 0x1000);
        std::memset(bios_.host(), 0xea, 0x1000);
        root_.add_subregion(0x0000, ram_a_);
        root_.add_subregion(0x1000, dev_region_);
        root_.add_subregion(0x2000, ram_b_);
        root_.add_subregion(0xf000, bios_);
    }

    FakeDevice dev_{0x100};
    MemoryRegion root_;
    AddressSpace space_{root_, "memory"};
    MemoryRegion ram_a_, ram_b_, dev_region_, bios_;
};

TEST_F(AddressSpaceTest, LoadsAndStoresAreLittleEndian) {
    space_.stq(0x10, 0x0807060504030201);
    EXPECT_EQ(ram_a_.host()[0x10], 0x01);
    EXPECT_EQ(ram_a_.host()[0x17], 0x08);
    EXPECT_EQ(space_.ldub(0x11), 0x02);
    EXPECT_EQ(space_.lduw(0x11), 0x0302);
    EXPECT_EQ(space_.ldl(0x13), 0x07060504u);
    EXPECT_EQ(space_.ldq(0x10), 0x0807060504030201u);
    space_.stw(0x20, 0xbbaa);
    space_.stl(0x30, 0xddccbbaa);
    EXPECT_EQ(space_.ldl(0x30), 0xddccbbaau);
    EXPECT_EQ(space_.lduw(0x20), 0xbbaa);
}

TEST_F(AddressSpaceTest, BufferAccessCrossesSections) {
    LogCapture capture;
    // ram-a tail, the device, a hole, and the head of ram-b in one read.
    std::memset(ram_a_.host() + 0xffc, 0xa1, 4);
    std::memset(ram_b_.host(), 0xb2, 4);
    std::vector<uint8_t> buffer(0x2004 - 0xffc);
    EXPECT_EQ(space_.read(0xffc, buffer.data(), buffer.size()), AccessResult::kUnassigned);
    EXPECT_EQ(buffer[0], 0xa1);
    EXPECT_EQ(buffer[3], 0xa1);
    EXPECT_EQ(buffer[4], 0x10);          // dev register 0
    EXPECT_EQ(buffer[4 + 0xff], 0x0f);   // dev register 0xff (0x10 + 0xff truncated)
    EXPECT_EQ(buffer[4 + 0x100], 0xff);  // unassigned
    EXPECT_EQ(buffer[buffer.size() - 5], 0xff);
    EXPECT_EQ(buffer[buffer.size() - 4], 0xb2);
    EXPECT_EQ(capture.text(),
              "Invalid read at addr 0x1100, size 3840, region '(null)', reason: rejected\n");

    // And a write across RAM boundaries with a hole between: the hole drops.
    std::vector<uint8_t> ones(0x2004 - 0x10fc, 0x5a);
    space_.write(0x10fc, ones.data(), ones.size());
    EXPECT_EQ(dev_.regs[0xfc], 0x5a);
    EXPECT_EQ(dev_.regs[0xff], 0x5a);
    EXPECT_EQ(ram_b_.host()[3], 0x5a);
    EXPECT_EQ(ram_b_.host()[4], 0x00);
}

TEST_F(AddressSpaceTest, LoadStraddlingTwoRamRegions) {
    MemoryRegion next;
    next.init_ram("next", 0x1000);
    root_.add_subregion(0x3000, next);
    space_.stl(0x2ffe, 0x44332211);
    EXPECT_EQ(ram_b_.host()[0xfff], 0x22);
    EXPECT_EQ(next.host()[0], 0x33);
    EXPECT_EQ(space_.ldl(0x2ffe), 0x44332211u);
    root_.del_subregion(next);
}

TEST_F(AddressSpaceTest, UnassignedReadsAllOnesAndWritesAreDropped) {
    LogCapture capture;
    AccessResult result;
    EXPECT_EQ(space_.load(0x5000, 4, &result), 0xffffffffu);
    EXPECT_EQ(result, AccessResult::kUnassigned);
    EXPECT_EQ(space_.ldq(0xfffffffffffffff8), ~uint64_t{0});
    EXPECT_EQ(space_.store(0x5000, 1, 1), AccessResult::kUnassigned);
    EXPECT_EQ(capture.text(),
              "Invalid read at addr 0x5000, size 4, region '(null)', reason: rejected\n"
              "Invalid read at addr 0xFFFFFFFFFFFFFFF8, size 8, region '(null)', reason: rejected\n"
              "Invalid write at addr 0x5000, size 1, region '(null)', reason: rejected\n");
}

TEST_F(AddressSpaceTest, RomIsReadOnlyToTheGuestButLoadable) {
    LogCapture capture;
    EXPECT_EQ(space_.ldub(0xfff0), 0xea);
    EXPECT_EQ(space_.store(0xfff0, 0x90, 1), AccessResult::kRejected);
    EXPECT_EQ(space_.ldub(0xfff0), 0xea);
    EXPECT_EQ(capture.text(), "");  // routine for firmware, so not a guest error
    const uint8_t jump[] = {0xea, 0x5b, 0xe0, 0x00, 0xf0};
    EXPECT_EQ(space_.write_rom(0xfff0, jump, sizeof jump), AccessResult::kOk);
    EXPECT_EQ(space_.ldl(0xfff1), 0xf000e05bu);
}

TEST_F(AddressSpaceTest, TranslateForTlbFill) {
    Translation ram = space_.translate(0x123);
    EXPECT_EQ(ram.region, &ram_a_);
    EXPECT_EQ(ram.offset, 0x123u);
    EXPECT_EQ(ram.host, ram_a_.host() + 0x123);
    EXPECT_EQ(ram.length, 0x1000u - 0x123);
    EXPECT_TRUE(ram.writable);
    EXPECT_FALSE(ram.readonly);
    EXPECT_FALSE(ram.has_callbacks);

    Translation mmio = space_.translate(0x1010);
    EXPECT_EQ(mmio.region, &dev_region_);
    EXPECT_EQ(mmio.offset, 0x10u);
    EXPECT_EQ(mmio.host, nullptr);
    EXPECT_EQ(mmio.length, 0xf0u);
    EXPECT_TRUE(mmio.has_callbacks);

    Translation hole = space_.translate(0x1800);
    EXPECT_EQ(hole.region, nullptr);
    EXPECT_EQ(hole.length, 0x800u);  // up to ram-b

    Translation rom = space_.translate(0xf000);
    EXPECT_EQ(rom.host, bios_.host());
    EXPECT_FALSE(rom.writable);
    EXPECT_TRUE(rom.readonly);

    Translation top = space_.translate(0x10000);
    EXPECT_EQ(top.region, nullptr);
    EXPECT_EQ(top.length, 0u - uint64_t{0x10000});
}

TEST_F(AddressSpaceTest, RomDeviceReadsMemoryInRomdModeAndCallsBackOtherwise) {
    FakeDevice flash_dev{0x1000};
    MemoryRegion flash;
    flash.init_rom_device("flash", 0x1000, flash_dev.ops());
    flash.host()[0] = 0x77;
    root_.add_subregion(0x8000, flash);

    EXPECT_EQ(space_.ldub(0x8000), 0x77);  // romd: straight from memory
    space_.stb(0x8001, 0x98);              // writes always reach the device
    EXPECT_EQ(flash_dev.log.size(), 1u);
    EXPECT_EQ(flash.host()[1], 0x00);
    Translation romd = space_.translate(0x8000);
    EXPECT_EQ(romd.host, flash.host());
    EXPECT_FALSE(romd.writable);
    EXPECT_TRUE(romd.has_callbacks);  // writes reach the device: BQL needed

    flash.set_romd(false);  // e.g. CFI query mode
    EXPECT_EQ(space_.ldub(0x8000), 0x10);
    EXPECT_EQ(flash_dev.log.size(), 2u);
    EXPECT_EQ(space_.translate(0x8000).host, nullptr);
    root_.del_subregion(flash);
}

TEST_F(AddressSpaceTest, ListenersHearOfEachNewView) {
    int calls = 0;
    const FlatView* seen = nullptr;
    uint64_t id = space_.add_listener([&](const AddressSpace& space, const FlatView& view) {
        EXPECT_EQ(&space, &space_);
        ++calls;
        seen = &view;
    });
    ram_b_.set_enabled(false);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(seen, space_.view().get());

    {
        Transaction transaction;  // several changes, one notification
        ram_b_.set_enabled(true);
        ram_b_.set_address(0x3000);
        bios_.set_enabled(false);
    }
    EXPECT_EQ(calls, 2);

    // A change that renders to the same view disturbs no one.
    {
        Transaction transaction;
        bios_.set_enabled(true);
        bios_.set_enabled(false);
    }
    EXPECT_EQ(calls, 2);

    space_.remove_listener(id);
    bios_.set_enabled(true);
    EXPECT_EQ(calls, 2);
}

// How a KVM-style listener mirrors the mapping: diff against the last view.
TEST_F(AddressSpaceTest, ListenerCanDiffViews) {
    std::shared_ptr<const FlatView> last = space_.view();
    FlatViewDiff diff;
    uint64_t id = space_.add_listener([&](const AddressSpace& space, const FlatView& view) {
        diff = diff_views(*last, view);
        last = space.view();
    });
    ram_b_.set_address(0x3000);
    ASSERT_EQ(diff.removed.size(), 1u);
    EXPECT_EQ(diff.removed[0].region, &ram_b_);
    EXPECT_EQ(diff.removed[0].start, 0x2000u);
    ASSERT_EQ(diff.added.size(), 1u);
    EXPECT_EQ(diff.added[0].start, 0x3000u);

    // Shadowing part of ram-a splits it: the old range goes, three come.
    MemoryRegion shadow;
    shadow.init_ram("shadow", 0x100);
    root_.add_subregion(0x800, shadow, 1);
    ASSERT_EQ(diff.removed.size(), 1u);
    EXPECT_EQ(diff.removed[0].region, &ram_a_);
    ASSERT_EQ(diff.added.size(), 3u);
    EXPECT_EQ(diff.added[0].last, 0x7ffu);
    EXPECT_EQ(diff.added[1].region, &shadow);
    EXPECT_EQ(diff.added[2].offset, 0x900u);
    root_.del_subregion(shadow);
    space_.remove_listener(id);
}

TEST_F(AddressSpaceTest, ReadersKeepTheViewTheyLoaded) {
    std::shared_ptr<const FlatView> before = space_.view();
    root_.del_subregion(ram_b_);
    EXPECT_NE(before->find(0x2000), nullptr);  // old snapshot still intact
    EXPECT_EQ(space_.view()->find(0x2000), nullptr);
}

// vCPU threads read while the main loop swaps two RAM banks in one
// transaction; every read must see one bank or the other, never a
// half-updated view (which would read as unassigned, all ones).
TEST_F(AddressSpaceTest, ConcurrentReadersNeverSeeHalfBuiltViews) {
    MemoryRegion bank1, bank2;
    bank1.init_ram("bank1", 0x1000);
    bank2.init_ram("bank2", 0x1000);
    std::memset(bank1.host(), 0x11, 0x1000);
    std::memset(bank2.host(), 0x22, 0x1000);
    root_.add_subregion(0x40000, bank1);
    root_.add_subregion(0x40000, bank2);
    bank2.set_enabled(false);

    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::atomic<long> reads{0};
    auto reader = [&] {
        while (!stop.load()) {
            uint8_t value = space_.ldub(0x40800);
            if (value != 0x11 && value != 0x22) bad++;
            reads++;
        }
    };
    std::thread t1(reader), t2(reader);
    // Keep swapping until the readers have really raced with us (threads
    // may start late on a loaded machine); the cap only guards a hang.
    for (int i = 0; (i < 2000 || reads.load() < 20000) && i < 10000000; ++i) {
        Transaction transaction;
        bank1.set_enabled(i % 2 != 0);
        bank2.set_enabled(i % 2 == 0);
    }
    stop = true;
    t1.join();
    t2.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_GT(reads.load(), 0);
    root_.del_subregion(bank1);
    root_.del_subregion(bank2);
}

TEST_F(AddressSpaceTest, AddressSpacesAreListed) {
    ASSERT_FALSE(AddressSpace::all().empty());
    EXPECT_EQ(AddressSpace::all().back(), &space_);
    {
        MemoryRegion io;
        io.init_container("io", 0x10000);
        AddressSpace ports(io, "I/O");
        EXPECT_EQ(AddressSpace::all().back(), &ports);
    }
    EXPECT_EQ(AddressSpace::all().back(), &space_);
}

}  // namespace
}  // namespace mimic::memory
