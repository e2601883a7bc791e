// Host memory behind RAM and ROM regions.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/util/error.h"

namespace mimic::memory {
namespace {

// Host pages of [data, data + size) currently resident.
size_t resident_pages(const uint8_t* data, uint64_t size) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> vec((size + page - 1) / page);
    EXPECT_EQ(mincore(const_cast<uint8_t*>(data), size, vec.data()), 0);
    size_t count = 0;
    for (unsigned char v : vec) count += v & 1;
    return count;
}

TEST(Ram, LargeRegionCostsNothingUntilUsed) {
    constexpr uint64_t kGiB = uint64_t{1} << 30;
    MemoryRegion root;
    root.init_container("system", UINT64_MAX);
    AddressSpace space(root, "memory");
    MemoryRegion ram;
    ram.init_ram("pc.ram", kGiB);
    root.add_subregion(0, ram);
    EXPECT_EQ(resident_pages(ram.host(), kGiB), 0u);

    space.stl(0x12345678, 0xdeadbeef);
    // One host page, or one transparent huge page (2 MiB) where the host gives one.
    const size_t resident = resident_pages(ram.host(), kGiB);
    EXPECT_TRUE(resident == 1u || resident == (2u << 20) / static_cast<size_t>(sysconf(_SC_PAGESIZE))) << resident;
    EXPECT_EQ(space.ldl(0x12345678), 0xdeadbeefu);
    root.del_subregion(ram);
}

// Guest RAM of 2 MiB or more can be backed by the host's 2 MiB pages: it
// starts on a 2 MiB boundary. Smaller blocks need only host pages.
TEST(Ram, LargeRamStartsOnAHugePageBoundary) {
    for (uint64_t size : {uint64_t{2} << 20, uint64_t{3} << 20, uint64_t{640} << 20}) {
        auto ram = MemoryRegion::make_ram("ram", size);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(ram->host()) % (2u << 20), 0u) << size;
        ram->host()[size - 1] = 1;   // the whole size is there
    }
    auto small = MemoryRegion::make_ram("small", 0x3000);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(small->host()) % static_cast<uintptr_t>(sysconf(_SC_PAGESIZE)), 0u);
}

TEST(Ram, FreshMemoryReadsAsZero) {
    auto ram = MemoryRegion::make_ram("ram", 0x3000);
    for (uint64_t i = 0; i < 0x3000; i += 0x7ff) EXPECT_EQ(ram->host()[i], 0);
    EXPECT_EQ(ram->ram_block()->size(), 0x3000u);
    EXPECT_EQ(ram->ram_block()->code_pages().pages(), 3u);
}

TEST(Ram, ImpossibleSizeIsAClearError) {
    MemoryRegion ram;
    try {
        ram.init_ram("pc.ram", uint64_t{1} << 62);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "cannot set up guest memory 'pc.ram': Cannot allocate memory");
    }
    // Sizes that would wrap when rounded to pages fail the same way.
    EXPECT_THROW(MemoryRegion::make_rom("pc.bios", UINT64_MAX - 1), Error);
    // The region stays uninitialised and can still be set up.
    ram.init_ram("pc.ram", 0x1000);
    EXPECT_EQ(ram.kind(), RegionKind::kRam);
}

TEST(Ram, RomIsWritableByTheHost) {
    auto rom = MemoryRegion::make_rom("pc.bios", 0x1000);
    EXPECT_EQ(rom->kind(), RegionKind::kRom);
    EXPECT_TRUE(rom->readonly());
    rom->host()[0xff0] = 0xea;  // loading an image
    EXPECT_EQ(rom->host()[0xff0], 0xea);
}

TEST(Ram, ZeroSizedRegionHasNoMemory) {
    auto ram = MemoryRegion::make_ram("empty", 0);
    EXPECT_EQ(ram->host(), nullptr);
    EXPECT_EQ(ram->size(), 0u);
}

}  // namespace
}  // namespace mimic::memory
