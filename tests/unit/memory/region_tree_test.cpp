// How the region tree renders: priority, aliases, containers, enable.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "mimic/memory/address_space.h"
#include "mimic/memory/flat_view.h"
#include "mimic/memory/memory_region.h"
#include "mimic/memory/transaction.h"

namespace mimic::memory {
namespace {

// A RAM region whose every byte is `fill`, so reads show who answered.
std::unique_ptr<MemoryRegion> filled_ram(const std::string& name, uint64_t size, uint8_t fill) {
    auto region = MemoryRegion::make_ram(name, size);
    std::memset(region->host(), fill, size);
    return region;
}

class RegionTreeTest : public testing::Test {
  protected:
    RegionTreeTest() { root_.init_container("system", UINT64_MAX); }

    // Who answers at addr: the region name, or "" if unassigned.
    std::string owner(uint64_t addr) {
        const FlatRange* range = space_.view()->find(addr);
        return range ? range->region->name() : "";
    }

    MemoryRegion root_;
    AddressSpace space_{root_, "memory"};
};

TEST_F(RegionTreeTest, HigherPriorityWinsOnOverlap) {
    auto low = filled_ram("low", 0x3000, 0x11);
    auto high = filled_ram("high", 0x1000, 0x22);
    root_.add_subregion(0x0, *low, 0);
    root_.add_subregion(0x1000, *high, 1);
    EXPECT_EQ(space_.ldub(0x0fff), 0x11);
    EXPECT_EQ(space_.ldub(0x1000), 0x22);
    EXPECT_EQ(space_.ldub(0x1fff), 0x22);
    EXPECT_EQ(space_.ldub(0x2000), 0x11);
    // The low region keeps its own offsets on both sides of the hole.
    auto ranges = space_.view()->ranges();
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_EQ(ranges[2].region, low.get());
    EXPECT_EQ(ranges[2].offset, 0x2000u);
}

TEST_F(RegionTreeTest, PriorityIsIndependentOfInsertionOrder) {
    auto low = filled_ram("low", 0x1000, 0x11);
    auto high = filled_ram("high", 0x1000, 0x22);
    root_.add_subregion(0x0, *high, 5);
    root_.add_subregion(0x0, *low, -1);
    EXPECT_EQ(owner(0x10), "high");
}

TEST_F(RegionTreeTest, EqualPriorityLaterAddedWins) {
    auto first = filled_ram("first", 0x1000, 0x11);
    auto second = filled_ram("second", 0x1000, 0x22);
    root_.add_subregion(0x0, *first);
    root_.add_subregion(0x0, *second);
    EXPECT_EQ(owner(0x0), "second");
    // Moving a region re-inserts it, so it becomes the newest (QEMU does so).
    first->set_address(0x1000);
    first->set_address(0x0);
    EXPECT_EQ(owner(0x0), "first");
}

TEST_F(RegionTreeTest, ContainerWithoutBackingShowsThrough) {
    auto ram = filled_ram("ram", 0x10000, 0x11);
    MemoryRegion pci;
    pci.init_container("pci", 0x10000);
    auto bar = filled_ram("bar", 0x1000, 0x22);
    pci.add_subregion(0x4000, *bar);
    root_.add_subregion(0, *ram, 0);
    root_.add_subregion(0, pci, 1);  // covers RAM, but only where it has children
    EXPECT_EQ(owner(0x3fff), "ram");
    EXPECT_EQ(owner(0x4000), "bar");
    EXPECT_EQ(owner(0x5000), "ram");
    root_.del_subregion(pci);
}

TEST_F(RegionTreeTest, TerminatingRegionDrawsUnderItsChildren) {
    auto base = filled_ram("base", 0x4000, 0x11);
    auto overlay = filled_ram("overlay", 0x1000, 0x22);
    base->add_subregion(0x1000, *overlay);
    root_.add_subregion(0x10000, *base);
    EXPECT_EQ(owner(0x10000), "base");
    EXPECT_EQ(owner(0x11000), "overlay");
    EXPECT_EQ(owner(0x12000), "base");
    EXPECT_EQ(space_.view()->find(0x12000)->offset_of(0x12000), 0x2000u);
}

TEST_F(RegionTreeTest, ChildrenAreClippedToTheirContainer) {
    MemoryRegion window;
    window.init_container("window", 0x1000);
    auto big = filled_ram("big", 0x4000, 0x33);
    window.add_subregion(0x800, *big);  // sticks out of the 4 KiB window
    root_.add_subregion(0x10000, window);
    EXPECT_EQ(owner(0x107ff), "");
    EXPECT_EQ(owner(0x10800), "big");
    EXPECT_EQ(owner(0x10fff), "big");
    EXPECT_EQ(owner(0x11000), "");
    root_.del_subregion(window);
}

TEST_F(RegionTreeTest, AliasShowsTargetAtOffset) {
    auto ram = MemoryRegion::make_ram("pc.ram", 0x100000);
    for (uint64_t i = 0; i < 0x100000; i += 0x1000) ram->host()[i] = static_cast<uint8_t>(i >> 12);
    auto below = MemoryRegion::make_alias("ram-below-4g", *ram, 0, 0x80000);
    auto above = MemoryRegion::make_alias("ram-above-4g", *ram, 0x80000, 0x80000);
    root_.add_subregion(0, *below);
    root_.add_subregion(0x100000000, *above);
    EXPECT_EQ(space_.ldub(0x7f000), 0x7f);
    EXPECT_EQ(owner(0x80000), "");
    EXPECT_EQ(space_.ldub(0x100000000), 0x80);
    EXPECT_EQ(space_.ldub(0x10007f000), 0xff);
    // The flat range points at the real RAM with the alias's offset.
    const FlatRange* range = space_.view()->find(0x100001000);
    ASSERT_NE(range, nullptr);
    EXPECT_EQ(range->region, ram.get());
    EXPECT_EQ(range->offset_of(0x100001000), 0x81000u);
    // Writes through the alias land in the target.
    space_.stb(0x100000010, 0xab);
    EXPECT_EQ(ram->host()[0x80010], 0xab);
}

TEST_F(RegionTreeTest, AliasOffsetCanMove) {
    auto ram = MemoryRegion::make_ram("vram", 0x4000);
    for (int page = 0; page < 4; ++page)
        ram->host()[page * 0x1000] = static_cast<uint8_t>(0xa0 + page);
    auto window = MemoryRegion::make_alias("bank", *ram, 0, 0x1000);
    root_.add_subregion(0xa0000, *window);
    EXPECT_EQ(space_.ldub(0xa0000), 0xa0);
    window->set_alias_offset(0x2000);
    EXPECT_EQ(space_.ldub(0xa0000), 0xa2);
    window->set_address(0xb0000);
    EXPECT_EQ(space_.ldub(0xa0000), 0xff);
    EXPECT_EQ(space_.ldub(0xb0000), 0xa2);
}

TEST_F(RegionTreeTest, AliasOfContainerSeesItsChildrenAndHonoursTargetEnable) {
    MemoryRegion pci;
    pci.init_container("pci", UINT64_MAX);
    auto rom = filled_ram("option-rom", 0x1000, 0x55);
    pci.add_subregion(0xc0000, *rom);
    // SMRAM-style: an alias of the PCI space over a RAM range.
    auto ram = filled_ram("ram", 0x100000, 0x11);
    auto smram = MemoryRegion::make_alias("smram-region", pci, 0xc0000, 0x20000);
    root_.add_subregion(0, *ram);
    root_.add_subregion(0xc0000, *smram, 1);
    EXPECT_EQ(owner(0xc0000), "option-rom");
    EXPECT_EQ(owner(0xc1000), "ram");  // hole in the aliased container shows through
    pci.set_enabled(false);
    EXPECT_EQ(owner(0xc0000), "ram");
    root_.del_subregion(*smram);
}

TEST_F(RegionTreeTest, AliasOfAnAlias) {
    auto ram = MemoryRegion::make_ram("ram", 0x10000);
    ram->host()[0x3010] = 0x5e;
    auto outer = MemoryRegion::make_alias("outer", *ram, 0x2000, 0x4000);
    auto inner = MemoryRegion::make_alias("inner", *outer, 0x1000, 0x1000);
    root_.add_subregion(0x80000, *inner);
    EXPECT_EQ(space_.ldub(0x80010), 0x5e);
    const FlatRange* range = space_.view()->find(0x80000);
    ASSERT_NE(range, nullptr);
    EXPECT_EQ(range->region, ram.get());
    EXPECT_EQ(range->offset, 0x3000u);
    EXPECT_EQ(range->last, 0x80fffu);
    root_.del_subregion(*inner);
}

// A PCI device's bus-master address space: an alias of system memory as
// root, which the device can switch off (bus mastering disabled).
TEST_F(RegionTreeTest, AddressSpaceOverAnAliasRoot) {
    auto ram = filled_ram("ram", 0x1000, 0x77);
    root_.add_subregion(0x4000, *ram);
    MemoryRegion bus_master;
    bus_master.init_alias("bus master container", root_, 0, UINT64_MAX);
    {
        AddressSpace dma(bus_master, "e1000");
        EXPECT_EQ(dma.ldub(0x4000), 0x77);
        bus_master.set_enabled(false);
        EXPECT_EQ(dma.ldub(0x4000), 0xff);
        EXPECT_EQ(space_.ldub(0x4000), 0x77);
    }
    root_.del_subregion(*ram);
}

TEST_F(RegionTreeTest, EnableAndDisable) {
    auto ram = filled_ram("ram", 0x1000, 0x11);
    auto shadow = filled_ram("shadow", 0x1000, 0x22);
    root_.add_subregion(0, *ram);
    root_.add_subregion(0, *shadow, 1);
    EXPECT_EQ(owner(0), "shadow");
    shadow->set_enabled(false);
    EXPECT_EQ(owner(0), "ram");
    ram->set_enabled(false);
    EXPECT_EQ(owner(0), "");
    shadow->set_enabled(true);
    EXPECT_EQ(owner(0), "shadow");
}

TEST_F(RegionTreeTest, DeletedAndDestroyedRegionsDisappear) {
    auto ram = filled_ram("ram", 0x1000, 0x11);
    root_.add_subregion(0x5000, *ram);
    EXPECT_EQ(owner(0x5000), "ram");
    root_.del_subregion(*ram);
    EXPECT_EQ(owner(0x5000), "");
    root_.add_subregion(0x5000, *ram);
    ram.reset();  // destroying a mapped region unmaps it
    EXPECT_EQ(owner(0x5000), "");
    EXPECT_TRUE(root_.subregions().empty());
}

TEST_F(RegionTreeTest, AdjacentPiecesOfOneRegionMerge) {
    auto ram = filled_ram("ram", 0x4000, 0x11);
    auto hole = filled_ram("hole", 0x1000, 0x22);
    root_.add_subregion(0, *ram);
    root_.add_subregion(0x1000, *hole, 1);
    EXPECT_EQ(space_.view()->ranges().size(), 3u);
    hole->set_enabled(false);
    ASSERT_EQ(space_.view()->ranges().size(), 1u);
    EXPECT_EQ(space_.view()->ranges()[0].last, 0x3fffu);
}

TEST_F(RegionTreeTest, RegionCoveringTheWholeSpace) {
    auto ram = MemoryRegion::make_ram("ram", 0x1000);
    MemoryRegion everything;
    everything.init_container("everything", UINT64_MAX);
    EXPECT_EQ(everything.size(), UINT64_MAX);
    EXPECT_EQ(everything.size128(), static_cast<unsigned __int128>(1) << 64);
    everything.add_subregion(0xfffffffffffff000, *ram);
    root_.add_subregion(0, everything);
    const FlatRange* range = space_.view()->find(UINT64_MAX);
    ASSERT_NE(range, nullptr);
    EXPECT_EQ(range->last, UINT64_MAX);
    EXPECT_EQ(space_.view()->remaining(UINT64_MAX), 1u);
    root_.del_subregion(everything);
}

TEST_F(RegionTreeTest, ReadonlyRamRejectsGuestWrites) {
    auto ram = filled_ram("ram", 0x1000, 0x11);
    root_.add_subregion(0, *ram);
    ram->set_readonly(true);
    EXPECT_EQ(ram->type_name(), std::string("rom"));
    EXPECT_EQ(space_.store(0, 0x22, 1), AccessResult::kRejected);
    EXPECT_EQ(space_.ldub(0), 0x11);
    ram->set_readonly(false);
    EXPECT_EQ(space_.store(0, 0x22, 1), AccessResult::kOk);
    EXPECT_EQ(space_.ldub(0), 0x22);
}

TEST_F(RegionTreeTest, MisuseIsReported) {
    auto ram = MemoryRegion::make_ram("ram", 0x1000);
    MemoryRegion other;
    other.init_container("other", 0x10000);
    root_.add_subregion(0, *ram);
    EXPECT_THROW(other.add_subregion(0, *ram), std::logic_error);
    EXPECT_THROW(other.del_subregion(*ram), std::logic_error);
    EXPECT_THROW(ram->set_romd(true), std::logic_error);
    EXPECT_THROW(ram->init_ram("again", 0x1000), std::logic_error);
}

TEST_F(RegionTreeTest, BadAccessSizesAreCaughtAtInit) {
    MemoryRegion dev;
    MmioOps ops;
    ops.valid = {4, 2, false};
    EXPECT_THROW(dev.init_io("dev", 0x10, ops), std::logic_error);
    ops.valid = {1, 4, false};
    ops.impl = {3, 4, false};
    EXPECT_THROW(dev.init_io("dev", 0x10, ops), std::logic_error);
    ops.impl = {1, 16, false};
    EXPECT_THROW(dev.init_io("dev", 0x10, ops), std::logic_error);
    ops.impl = {1, 8, false};
    EXPECT_NO_THROW(dev.init_io("dev", 0x10, ops));
}

TEST(RegionLifetimeDeathTest, DestroyingAnAliasedRegionAborts) {
    EXPECT_DEATH(
        {
            auto ram = MemoryRegion::make_ram("pc.ram", 0x1000);
            MemoryRegion alias;
            alias.init_alias("window", *ram, 0, 0x1000);
            ram.reset();
        },
        "memory region 'pc.ram' destroyed while aliases point at it");
}

TEST(RegionLifetimeDeathTest, DestroyingTheRootOfAnAddressSpaceAborts) {
    EXPECT_DEATH(
        {
            auto root = MemoryRegion::make_container("system", UINT64_MAX);
            AddressSpace space(*root, "memory");
            root.reset();
        },
        "memory region 'system' destroyed while it is the root of an address space");
}

TEST_F(RegionTreeTest, TransactionDefersRendering) {
    auto a = filled_ram("a", 0x1000, 0x11);
    auto b = filled_ram("b", 0x1000, 0x22);
    root_.add_subregion(0, *a);
    {
        Transaction transaction;
        root_.add_subregion(0, *b, 1);
        EXPECT_EQ(owner(0), "a");  // not visible until commit
        a->set_enabled(false);
    }
    EXPECT_EQ(owner(0), "b");
}

}  // namespace
}  // namespace mimic::memory
