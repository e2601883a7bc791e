// The IDE channel and its bus-master engine in-process, on a plain guest
// RAM address space: PRD walking, the active/interrupt bits and ATAPI DMA,
// independent of the PCI function that exposes them on the board.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "bmdma.h"
#include "ide_channel.h"
#include "mimic/block/drive.h"
#include "mimic/main_loop/bql.h"
#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/system/drives.h"

using namespace mimic;
using hw::ide::BusMasterDma;
using hw::ide::IdeChannel;

namespace {

std::string make_image(const std::string& name, size_t bytes) {
    std::string path = (std::filesystem::path(testing::TempDir()) / ("ide-dma-" + name)).string();
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    for (size_t i = 0; i < bytes; ++i) file.put(static_cast<char>(i / 512 + i));
    return path;
}

struct Rig {
    memory::MemoryRegion root, ram;
    std::unique_ptr<memory::AddressSpace> space;
    block::CompletionQueue completions;
    system::DriveInfo info;
    IdeChannel channel;
    BusMasterDma dma;

    Rig(const std::string& image, bool cdrom) {
        if (!bql_locked()) bql_lock();
        root.init_container("system", UINT64_MAX);
        ram.init_ram("ram", 1 << 20);
        root.add_subregion(0, ram);
        space = std::make_unique<memory::AddressSpace>(root, "memory");
        block::OpenOptions options;
        options.filename = image;
        options.format = "raw";
        options.read_only = cdrom;
        info.cdrom = cdrom;
        info.drive = block::Drive::open(options, &completions);
        channel.init(0, {});
        dma.init(channel, *space);
        channel.set_bus_master(&dma);
        channel.attach(0, info);
        channel.reset();
    }
    void out(unsigned reg, uint8_t value) { channel.write_register(reg, value, 1); }
    uint8_t in(unsigned reg) { return static_cast<uint8_t>(channel.read_register(reg, 1)); }
    void prd(uint32_t table, std::vector<std::pair<uint32_t, uint32_t>> entries) {
        for (size_t i = 0; i < entries.size(); ++i) {
            space->stl(table + 8 * i, entries[i].first);
            space->stl(table + 8 * i + 4, (entries[i].second & 0xffff) | (i + 1 == entries.size() ? 0x80000000u : 0));
        }
    }
};

}  // namespace

TEST(IdeDma, ReadDmaScattersIntoThePrdBuffers) {
    Rig rig(make_image("read.raw", 64 * 512), false);
    rig.prd(0x1000, {{0x2000, 512}, {0x8000, 1024}});
    rig.out(6, 0xe0);
    rig.out(2, 3);
    rig.out(3, 4);
    rig.out(4, 0);
    rig.out(5, 0);
    rig.out(7, 0xc8);
    EXPECT_EQ(rig.in(7) & 0x08, 0x08);  // waiting for the engine
    rig.dma.write(4, 0x1000, 4);
    rig.dma.write(0, 0x09, 1);
    EXPECT_EQ(rig.dma.read(2, 1) & 7, 4u);
    EXPECT_EQ(rig.in(7), 0x50);
    std::vector<uint8_t> got(512);
    rig.space->read(0x2000, got.data(), 512);
    EXPECT_EQ(got[0], static_cast<uint8_t>(4 * 512 / 512 + 4 * 512));
    rig.space->read(0x8000 + 512, got.data(), 512);
    EXPECT_EQ(got[1], static_cast<uint8_t>(6 + 6 * 512 + 1));
}

TEST(IdeDma, WriteDmaGathersFromMemory) {
    std::string image = make_image("write.raw", 64 * 512);
    {
        Rig rig(image, false);
        std::vector<uint8_t> data(1024, 0x3c);
        rig.space->write(0x4000, data.data(), data.size());
        rig.prd(0x1000, {{0x4000, 1024}});
        rig.dma.write(4, 0x1000, 4);
        rig.dma.write(0, 0x01, 1);  // started before the command
        rig.out(6, 0xe0);
        rig.out(2, 2);
        rig.out(3, 10);
        rig.out(4, 0);
        rig.out(5, 0);
        rig.out(7, 0xca);
        EXPECT_EQ(rig.in(7), 0x50);
        EXPECT_EQ(rig.dma.read(2, 1) & 7, 4u);
        rig.info.drive->flush();
    }
    std::ifstream file(image, std::ios::binary);
    file.seekg(10 * 512);
    std::vector<char> back(1024);
    file.read(back.data(), 1024);
    for (char c : back) ASSERT_EQ(static_cast<uint8_t>(c), 0x3c);
}

TEST(IdeDma, ShortTableStopsTheEngine) {
    Rig rig(make_image("short.raw", 64 * 512), false);
    rig.prd(0x1000, {{0x2000, 512}});
    rig.dma.write(4, 0x1000, 4);
    rig.out(6, 0xe0);
    rig.out(2, 2);
    rig.out(3, 0);
    rig.out(4, 0);
    rig.out(5, 0);
    rig.out(7, 0xc8);
    rig.dma.write(0, 0x09, 1);
    EXPECT_EQ(rig.dma.read(2, 1) & 1, 0u);  // no longer active
}

TEST(IdeDma, AtapiReadByDma) {
    std::string iso = make_image("cd.iso", 16 * 2048);
    Rig rig(iso, true);
    rig.prd(0x1000, {{0x10000, 4096}});
    rig.dma.write(4, 0x1000, 4);
    rig.out(6, 0xa0);
    rig.out(1, 0x01);
    rig.out(7, 0xa0);
    uint8_t cdb[12] = {0x28, 0, 0, 0, 0, 3, 0, 0, 2};
    for (int i = 0; i < 12; i += 2) rig.channel.write_register(0, cdb[i] | cdb[i + 1] << 8, 2);
    rig.dma.write(0, 0x09, 1);
    EXPECT_EQ(rig.dma.read(2, 1) & 7, 4u);
    EXPECT_EQ(rig.in(7), 0x50);
    EXPECT_EQ(rig.in(2), 3);
    EXPECT_EQ(rig.space->ldub(0x10000), static_cast<uint8_t>(3 * 2048 / 512 + 3 * 2048));
    EXPECT_EQ(rig.space->ldub(0x10000 + 2048), static_cast<uint8_t>(4 * 2048 / 512 + 4 * 2048));
}
