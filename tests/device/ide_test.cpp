// The PIIX3 IDE function through the real binary: ATA disks by PIO and
// bus-master DMA (PRD tables in guest RAM), raw and qcow2 images, -snapshot,
// and an ATAPI CD-ROM (plain files serve as media).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "qtest_client.h"

using mimic::test::QtestClient;
using mimic::test::QtestError;

namespace {

constexpr int kIdeDevfn = 0x09;  // 01.1
constexpr uint16_t kBusMasterBase = 0xc000;
constexpr uint16_t kPrimary = 0x1f0, kSecondary = 0x170;
constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDsc = 0x10, kDrq = 0x08, kErr = 0x01;

std::string temp_path(const std::string& name) {
    return (std::filesystem::path(testing::TempDir()) / ("ide-" + name)).string();
}

// Byte i of 512-byte sector n: recognisable per sector and per offset.
uint8_t disk_byte(uint64_t sector, size_t i) { return static_cast<uint8_t>(sector * 7 + i * 3 + (i >> 8)); }

std::string make_disk(const std::string& name, uint64_t sectors) {
    std::string path = temp_path(name);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    std::vector<char> sector(512);
    for (uint64_t n = 0; n < sectors; ++n) {
        for (size_t i = 0; i < 512; ++i) sector[i] = static_cast<char>(disk_byte(n, i));
        file.write(sector.data(), 512);
    }
    return path;
}

// CD sector n: its number in the first four bytes, then a pattern.
std::string make_iso(const std::string& name, uint32_t sectors) {
    std::string path = temp_path(name);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    std::vector<char> sector(2048);
    for (uint32_t n = 0; n < sectors; ++n) {
        for (size_t i = 0; i < 2048; ++i) sector[i] = static_cast<char>(n + i);
        std::memcpy(sector.data(), &n, 4);
        file.write(sector.data(), 2048);
    }
    return path;
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void pci_write(QtestClient& vm, int devfn, uint8_t offset, uint32_t value) {
    vm.outl(0xcf8, 0x80000000u | (devfn << 8) | offset);
    vm.outl(0xcfc, value);
}
uint32_t pci_read(QtestClient& vm, int devfn, uint8_t offset) {
    vm.outl(0xcf8, 0x80000000u | (devfn << 8) | offset);
    return vm.inl(0xcfc);
}

// What firmware does before using DMA: BAR4 at a port, I/O and bus master on.
void enable_bus_master(QtestClient& vm) {
    pci_write(vm, kIdeDevfn, 0x20, kBusMasterBase | 1);
    pci_write(vm, kIdeDevfn, 0x04, 0x0005);
}

void select_lba(QtestClient& vm, uint16_t base, int unit, uint32_t lba, uint8_t count) {
    vm.outb(base + 6, static_cast<uint8_t>(0xe0 | (unit << 4) | ((lba >> 24) & 0x0f)));
    vm.outb(base + 2, count);
    vm.outb(base + 3, lba & 0xff);
    vm.outb(base + 4, (lba >> 8) & 0xff);
    vm.outb(base + 5, (lba >> 16) & 0xff);
}

std::vector<uint8_t> read_words(QtestClient& vm, uint16_t base, size_t bytes) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < bytes; i += 2) {
        uint16_t w = vm.inw(base);
        out.push_back(w & 0xff);
        out.push_back(w >> 8);
    }
    return out;
}

void write_words(QtestClient& vm, uint16_t base, const std::vector<uint8_t>& data) {
    for (size_t i = 0; i < data.size(); i += 2) vm.outw(base, static_cast<uint16_t>(data[i] | data[i + 1] << 8));
}

std::vector<uint8_t> pio_read(QtestClient& vm, uint32_t lba, uint8_t count) {
    select_lba(vm, kPrimary, 0, lba, count);
    vm.outb(kPrimary + 7, 0x20);
    std::vector<uint8_t> out;
    for (int s = 0; s < (count ? count : 256); ++s) {
        EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc | kDrq);
        auto sector = read_words(vm, kPrimary, 512);
        out.insert(out.end(), sector.begin(), sector.end());
    }
    EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
    return out;
}

void pio_write(QtestClient& vm, uint32_t lba, const std::vector<uint8_t>& data) {
    select_lba(vm, kPrimary, 0, lba, static_cast<uint8_t>(data.size() / 512));
    vm.outb(kPrimary + 7, 0x30);
    for (size_t off = 0; off < data.size(); off += 512) {
        EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc | kDrq);
        write_words(vm, kPrimary, std::vector<uint8_t>(data.begin() + off, data.begin() + off + 512));
    }
    EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
}

std::vector<uint8_t> expected_sectors(uint64_t first, int count) {
    std::vector<uint8_t> out;
    for (int s = 0; s < count; ++s)
        for (size_t i = 0; i < 512; ++i) out.push_back(disk_byte(first + s, i));
    return out;
}

// A PRD table at `table` describing `entries` (address, byte count).
void write_prd(QtestClient& vm, uint64_t table, const std::vector<std::pair<uint32_t, uint32_t>>& entries) {
    for (size_t i = 0; i < entries.size(); ++i) {
        vm.writel(table + 8 * i, entries[i].first);
        uint32_t flags = (entries[i].second & 0xffff) | (i + 1 == entries.size() ? 0x80000000u : 0);
        vm.writel(table + 8 * i + 4, flags);
    }
}

struct PacketResult {
    std::vector<uint8_t> data;
    uint8_t status = 0;
    uint8_t error = 0;
    int drq_blocks = 0;
    size_t largest_block = 0;
};

// Sends an ATAPI packet to the secondary master and collects the PIO data.
PacketResult atapi(QtestClient& vm, std::vector<uint8_t> cdb, uint16_t byte_limit = 0xfffe) {
    cdb.resize(12);
    vm.outb(kSecondary + 6, 0xa0);
    vm.outb(kSecondary + 1, 0);  // PIO
    vm.outb(kSecondary + 4, byte_limit & 0xff);
    vm.outb(kSecondary + 5, byte_limit >> 8);
    vm.outb(kSecondary + 7, 0xa0);
    EXPECT_TRUE(vm.inb(kSecondary + 7) & kDrq);
    EXPECT_EQ(vm.inb(kSecondary + 2) & 3, 1);  // CoD: waiting for the packet
    write_words(vm, kSecondary, cdb);
    PacketResult result;
    for (int guard = 0; guard < 1000; ++guard) {
        uint8_t status = vm.inb(kSecondary + 7);
        if (!(status & kDrq)) {
            result.status = status;
            break;
        }
        EXPECT_EQ(vm.inb(kSecondary + 2) & 3, 2);  // data to host
        size_t n = vm.inb(kSecondary + 4) | vm.inb(kSecondary + 5) << 8;
        auto chunk = read_words(vm, kSecondary, n);
        result.data.insert(result.data.end(), chunk.begin(), chunk.end());
        ++result.drq_blocks;
        result.largest_block = std::max(result.largest_block, n);
    }
    result.error = vm.inb(kSecondary + 1);
    EXPECT_EQ(vm.inb(kSecondary + 2) & 3, 3);  // status phase
    return result;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

}  // namespace

TEST(Ide, PciFunctionIdentity) {
    QtestClient vm({});
    EXPECT_EQ(pci_read(vm, kIdeDevfn, 0x00), 0x70108086u);
    EXPECT_EQ(pci_read(vm, kIdeDevfn, 0x08) >> 8, 0x010180u);  // IDE, bus master
    // BAR4 is 16 I/O ports.
    pci_write(vm, kIdeDevfn, 0x20, 0xffffffff);
    EXPECT_EQ(pci_read(vm, kIdeDevfn, 0x20), 0xfffffff1u);
}

TEST(Ide, IdentifyDeviceByPio) {
    std::string disk = make_disk("identify.raw", 20480);  // 10 MiB
    QtestClient vm({"-drive", "file=" + disk + ",format=raw,if=ide"});
    vm.outb(kPrimary + 6, 0xa0);
    EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
    EXPECT_EQ(vm.inb(kPrimary + 4), 0);  // ATA signature
    EXPECT_EQ(vm.inb(kPrimary + 5), 0);
    vm.outb(kPrimary + 7, 0xec);
    EXPECT_EQ(vm.inb(0x3f6), kDrdy | kDsc | kDrq);
    auto data = read_words(vm, kPrimary, 512);
    EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
    auto word = [&](int w) { return static_cast<uint16_t>(data[2 * w] | data[2 * w + 1] << 8); };
    EXPECT_EQ(word(0), 0x0040);
    // 20480 sectors: 20 cylinders of 16 heads x 63 sectors.
    EXPECT_EQ(word(1), 20);
    EXPECT_EQ(word(3), 16);
    EXPECT_EQ(word(6), 63);
    EXPECT_EQ(word(60) | word(61) << 16, 20480);
    EXPECT_EQ(word(100) | word(101) << 16, 20480);
    EXPECT_EQ(word(102) | word(103), 0);
    EXPECT_TRUE(word(83) & (1 << 10));  // LBA48
    EXPECT_EQ(word(88) & 0x3f, 0x3f);   // UDMA 0-5
    EXPECT_EQ(word(49) & 0x0300, 0x0300);
    // Strings have their bytes swapped within words.
    std::string model;
    for (int w = 27; w < 47; ++w) {
        model.push_back(static_cast<char>(word(w) >> 8));
        model.push_back(static_cast<char>(word(w) & 0xff));
    }
    EXPECT_EQ(model.substr(0, 14), "MIMIC HARDDISK");
    std::string serial;
    for (int w = 10; w < 14; ++w) {
        serial.push_back(static_cast<char>(word(w) >> 8));
        serial.push_back(static_cast<char>(word(w) & 0xff));
    }
    EXPECT_EQ(serial.substr(0, 7), "QM00001");
    // Checksum: A5h signature and all bytes summing to zero.
    EXPECT_EQ(data[510], 0xa5);
    uint8_t sum = 0;
    for (uint8_t b : data) sum += b;
    EXPECT_EQ(sum, 0);
}

TEST(Ide, AbsentSlaveAndUnknownCommand) {
    std::string disk = make_disk("absent.raw", 2048);
    QtestClient vm({"-drive", "file=" + disk + ",format=raw,if=ide"});
    vm.outb(kPrimary + 6, 0xb0);  // slave: nothing there
    EXPECT_EQ(vm.inb(kPrimary + 7), 0);
    vm.outb(kPrimary + 6, 0xa0);
    vm.outb(kPrimary + 7, 0xa1);  // IDENTIFY PACKET to a disk
    EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kErr);
    EXPECT_EQ(vm.inb(kPrimary + 1), 0x04);  // ABRT
}

TEST(Ide, PioReadWriteAndMultiple) {
    std::string disk = make_disk("pio.raw", 2048);
    {
        QtestClient vm({"-drive", "file=" + disk + ",format=raw,if=ide"});
        EXPECT_EQ(pio_read(vm, 5, 3), expected_sectors(5, 3));
        // Registers point past the transfer afterwards.
        EXPECT_EQ(vm.inb(kPrimary + 3), 8);

        std::vector<uint8_t> data(1024);
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(0xa0 ^ i);
        pio_write(vm, 100, data);
        EXPECT_EQ(pio_read(vm, 100, 2), data);

        // READ MULTIPLE with 4 sectors per DRQ block.
        vm.outb(kPrimary + 2, 4);
        vm.outb(kPrimary + 7, 0xc6);
        EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
        select_lba(vm, kPrimary, 0, 20, 8);
        vm.outb(kPrimary + 7, 0xc4);
        std::vector<uint8_t> got;
        for (int block = 0; block < 2; ++block) {
            EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc | kDrq);
            auto part = read_words(vm, kPrimary, 2048);
            got.insert(got.end(), part.begin(), part.end());
        }
        EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
        EXPECT_EQ(got, expected_sectors(20, 8));

        // FLUSH CACHE, CHECK POWER MODE.
        vm.outb(kPrimary + 7, 0xe7);
        EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
        vm.outb(kPrimary + 7, 0xe5);
        EXPECT_EQ(vm.inb(kPrimary + 2), 0xff);
        // Out of range: aborted.
        select_lba(vm, kPrimary, 0, 2047, 2);
        vm.outb(kPrimary + 7, 0x20);
        EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kErr);
        vm.quit();
    }
    auto bytes = read_file_bytes(disk);
    std::vector<uint8_t> on_disk(bytes.begin() + 100 * 512, bytes.begin() + 102 * 512);
    for (size_t i = 0; i < on_disk.size(); ++i) ASSERT_EQ(on_disk[i], static_cast<uint8_t>(0xa0 ^ i)) << i;
}

TEST(Ide, Lba48AndChsAddressing) {
    std::string disk = make_disk("lba48.raw", 4096);
    QtestClient vm({"-drive", "file=" + disk + ",format=raw,if=ide"});
    // READ SECTORS EXT: high-order bytes first, then low.
    vm.outb(kPrimary + 6, 0x40);
    vm.outb(kPrimary + 2, 0);
    vm.outb(kPrimary + 3, 0);
    vm.outb(kPrimary + 4, 0);
    vm.outb(kPrimary + 5, 0);
    vm.outb(kPrimary + 2, 1);
    vm.outb(kPrimary + 3, 0x34);
    vm.outb(kPrimary + 4, 0x0c);  // LBA 0xc34 = 3124
    vm.outb(kPrimary + 5, 0);
    vm.outb(kPrimary + 7, 0x24);
    EXPECT_EQ(read_words(vm, kPrimary, 512), expected_sectors(3124, 1));
    // CHS: cylinder 1, head 2, sector 3 with 16 heads x 63 sectors.
    vm.outb(kPrimary + 6, 0xa2);
    vm.outb(kPrimary + 2, 1);
    vm.outb(kPrimary + 3, 3);
    vm.outb(kPrimary + 4, 1);
    vm.outb(kPrimary + 5, 0);
    vm.outb(kPrimary + 7, 0x20);
    EXPECT_EQ(read_words(vm, kPrimary, 512), expected_sectors((1 * 16 + 2) * 63 + 2, 1));
}

TEST(Ide, BusMasterDmaReadAndWrite) {
    std::string disk = make_disk("dma.raw", 2048);
    QtestClient vm({"-m", "64M", "-drive", "file=" + disk + ",format=raw,if=ide"});
    enable_bus_master(vm);

    // READ DMA of 3 sectors into two buffers.
    write_prd(vm, 0x10000, {{0x20000, 1024}, {0x30000, 512}});
    select_lba(vm, kPrimary, 0, 7, 3);
    vm.outb(kPrimary + 7, 0xc8);
    vm.outl(kBusMasterBase + 4, 0x10000);
    vm.outb(kBusMasterBase, 0x09);  // start, device to memory
    uint8_t bm_status = vm.inb(kBusMasterBase + 2);
    EXPECT_EQ(bm_status & 0x07, 0x04);  // interrupt, not active, no error
    EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
    auto expected = expected_sectors(7, 3);
    EXPECT_EQ(vm.memread(0x20000, 1024), std::vector<uint8_t>(expected.begin(), expected.begin() + 1024));
    EXPECT_EQ(vm.memread(0x30000, 512), std::vector<uint8_t>(expected.begin() + 1024, expected.end()));
    vm.outb(kBusMasterBase, 0x00);
    vm.outb(kBusMasterBase + 2, 0x04);  // write 1 to clear
    EXPECT_EQ(vm.inb(kBusMasterBase + 2) & 0x04, 0);

    // WRITE DMA EXT from memory, started before the command.
    std::vector<uint8_t> data(1024);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
    vm.memwrite(0x40000, data);
    write_prd(vm, 0x11000, {{0x40000, 1024}});
    vm.outl(kBusMasterBase + 4, 0x11000);
    vm.outb(kBusMasterBase, 0x01);  // start, memory to device
    vm.outb(kPrimary + 6, 0x40);
    vm.outb(kPrimary + 2, 0);
    vm.outb(kPrimary + 3, 0);
    vm.outb(kPrimary + 4, 0);
    vm.outb(kPrimary + 5, 0);
    vm.outb(kPrimary + 2, 2);
    vm.outb(kPrimary + 3, 200);
    vm.outb(kPrimary + 4, 0);
    vm.outb(kPrimary + 5, 0);
    vm.outb(kPrimary + 7, 0x35);
    EXPECT_EQ(vm.inb(kBusMasterBase + 2) & 0x07, 0x04);
    EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
    vm.outb(kBusMasterBase, 0x00);
    EXPECT_EQ(pio_read(vm, 200, 2), data);

    // A table longer than the data leaves the engine active.
    write_prd(vm, 0x12000, {{0x50000, 4096}});
    vm.outl(kBusMasterBase + 4, 0x12000);
    select_lba(vm, kPrimary, 0, 0, 1);
    vm.outb(kPrimary + 7, 0xc8);
    vm.outb(kBusMasterBase, 0x09);
    EXPECT_EQ(vm.inb(kBusMasterBase + 2) & 0x05, 0x05);
    vm.outb(kBusMasterBase, 0x00);
    EXPECT_EQ(vm.inb(kBusMasterBase + 2) & 0x01, 0);
}

TEST(Ide, SoftwareResetRestoresSignatureAndNienMasks) {
    std::string disk = make_disk("srst.raw", 2048);
    QtestClient vm({"-drive", "file=" + disk + ",format=raw,if=ide"});
    vm.outb(kPrimary + 4, 0x55);
    vm.outb(0x3f6, 0x04);  // SRST
    EXPECT_TRUE(vm.inb(0x3f6) & kBsy);
    vm.outb(0x3f6, 0x00);
    EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kDsc);
    EXPECT_EQ(vm.inb(kPrimary + 1), 0x01);  // diagnostic code
    EXPECT_EQ(vm.inb(kPrimary + 2), 1);
    EXPECT_EQ(vm.inb(kPrimary + 3), 1);
    EXPECT_EQ(vm.inb(kPrimary + 4), 0);
}

TEST(Ide, Qcow2WriteReadsBackAfterRestart) {
    std::string image = temp_path("disk.qcow2");
    std::filesystem::remove(image);
    std::string create = "qemu-img create -q -f qcow2 " + image + " 8M";
    if (std::system(create.c_str()) != 0) GTEST_SKIP() << "qemu-img not available";
    std::vector<uint8_t> data(512 * 3);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i ^ 0x5a);
    {
        QtestClient vm({"-drive", "file=" + image + ",format=qcow2,if=ide"});
        pio_write(vm, 1000, data);
        vm.quit();
    }
    {
        QtestClient vm({"-hda", image});
        EXPECT_EQ(pio_read(vm, 1000, 3), data);
        EXPECT_EQ(pio_read(vm, 0, 1), std::vector<uint8_t>(512, 0));
        vm.quit();
    }
    std::string check = "qemu-img check -q " + image;
    EXPECT_EQ(std::system(check.c_str()), 0);
}

TEST(Ide, SnapshotLeavesTheImageUnchanged) {
    std::string disk = make_disk("snapshot.raw", 2048);
    auto before = read_file_bytes(disk);
    {
        QtestClient vm({"-snapshot", "-hda", disk});
        std::vector<uint8_t> data(512, 0xee);
        pio_write(vm, 3, data);
        EXPECT_EQ(pio_read(vm, 3, 1), data);
        vm.quit();
    }
    EXPECT_EQ(read_file_bytes(disk), before);
}

TEST(Ide, DiskWithoutMediumIsRefused) {
    try {
        QtestClient vm({"-drive", "if=ide"});
        FAIL() << "started";
    } catch (const QtestError& e) {
        EXPECT_NE(std::string(e.what()).find("-drive if=ide: Device needs media, but drive is empty"),
                  std::string::npos)
            << e.what();
    }
}

TEST(Atapi, SignatureIdentifyAndInquiry) {
    std::string iso = make_iso("inquiry.iso", 64);
    QtestClient vm({"-cdrom", iso});
    vm.outb(kSecondary + 6, 0xa0);
    EXPECT_EQ(vm.inb(kSecondary + 4), 0x14);
    EXPECT_EQ(vm.inb(kSecondary + 5), 0xeb);
    // IDENTIFY DEVICE aborts; IDENTIFY PACKET DEVICE answers.
    vm.outb(kSecondary + 7, 0xec);
    EXPECT_EQ(vm.inb(kSecondary + 7) & kErr, kErr);
    vm.outb(kSecondary + 7, 0xa1);
    auto id = read_words(vm, kSecondary, 512);
    EXPECT_EQ(id[0] | id[1] << 8, 0x85c0);
    uint8_t sum = 0;
    for (uint8_t b : id) sum += b;
    EXPECT_EQ(sum, 0);

    auto inquiry = atapi(vm, {0x12, 0, 0, 0, 36});
    ASSERT_EQ(inquiry.data.size(), 36u);
    EXPECT_EQ(inquiry.data[0], 0x05);
    EXPECT_EQ(inquiry.data[1], 0x80);
    EXPECT_EQ(std::string(inquiry.data.begin() + 8, inquiry.data.begin() + 16), "MIMIC   ");
    EXPECT_EQ(inquiry.status, kDrdy | kDsc);
}

TEST(Atapi, ReadCapacityAndReadByPioAndDma) {
    std::string iso = make_iso("read.iso", 64);
    QtestClient vm({"-m", "64M", "-cdrom", iso});
    auto tur = atapi(vm, {0x00});
    EXPECT_EQ(tur.status, kDrdy | kDsc);

    auto capacity = atapi(vm, {0x25});
    ASSERT_EQ(capacity.data.size(), 8u);
    EXPECT_EQ(be32(capacity.data.data()), 63u);
    EXPECT_EQ(be32(capacity.data.data() + 4), 2048u);

    // READ(10) of 3 sectors with a 2048-byte limit: one DRQ block each.
    auto read = atapi(vm, {0x28, 0, 0, 0, 0, 10, 0, 0, 3}, 2048);
    ASSERT_EQ(read.data.size(), 3u * 2048);
    EXPECT_EQ(read.drq_blocks, 3);
    for (uint32_t s = 0; s < 3; ++s) {
        uint32_t n;
        std::memcpy(&n, read.data.data() + s * 2048, 4);
        EXPECT_EQ(n, 10 + s);
        EXPECT_EQ(read.data[s * 2048 + 100], static_cast<uint8_t>(10 + s + 100));
    }
    // READ(12), unlimited block size: one DRQ block.
    auto read12 = atapi(vm, {0xa8, 0, 0, 0, 0, 62, 0, 0, 0, 2});
    EXPECT_EQ(read12.data.size(), 2u * 2048);
    EXPECT_EQ(read12.drq_blocks, 1);
    // Past the end: ILLEGAL REQUEST.
    auto beyond = atapi(vm, {0x28, 0, 0, 0, 0, 63, 0, 0, 2});
    EXPECT_EQ(beyond.status & kErr, kErr);
    EXPECT_EQ(beyond.error >> 4, 0x05);

    // The same by DMA.
    enable_bus_master(vm);
    write_prd(vm, 0x10000, {{0x20000, 4096}});
    vm.outl(kBusMasterBase + 8 + 4, 0x10000);  // secondary channel's engine
    vm.outb(kSecondary + 6, 0xa0);
    vm.outb(kSecondary + 1, 0x01);  // DMA
    vm.outb(kSecondary + 7, 0xa0);
    write_words(vm, kSecondary, {0x28, 0, 0, 0, 0, 20, 0, 0, 2, 0, 0, 0});
    vm.outb(kBusMasterBase + 8, 0x09);
    EXPECT_EQ(vm.inb(kBusMasterBase + 8 + 2) & 0x07, 0x04);
    EXPECT_EQ(vm.inb(kSecondary + 7), kDrdy | kDsc);
    EXPECT_EQ(vm.readl(0x20000), 20u);
    EXPECT_EQ(vm.readl(0x20000 + 2048), 21u);
}

TEST(Atapi, TocConfigurationModeSenseAndEvents) {
    std::string iso = make_iso("toc.iso", 64);
    QtestClient vm({"-cdrom", iso});
    auto toc = atapi(vm, {0x43, 0, 0, 0, 0, 0, 0, 0, 100});
    ASSERT_EQ(toc.data.size(), 20u);
    EXPECT_EQ(toc.data[1], 18);
    EXPECT_EQ(toc.data[6], 1);                       // track 1
    EXPECT_EQ(be32(toc.data.data() + 16), 64u);      // lead-out
    auto session = atapi(vm, {0x43, 0, 1, 0, 0, 0, 0, 0, 12});
    EXPECT_EQ(session.data.size(), 12u);

    auto config = atapi(vm, {0x46, 0, 0, 0, 0, 0, 0, 0, 255});
    ASSERT_GE(config.data.size(), 8u);
    EXPECT_EQ(config.data[6] << 8 | config.data[7], 0x0008);  // CD-ROM profile

    auto mode = atapi(vm, {0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 255});
    ASSERT_EQ(mode.data.size(), 28u);
    EXPECT_EQ(mode.data[8], 0x2a);
    auto saved = atapi(vm, {0x5a, 0, 0xea, 0, 0, 0, 0, 0, 255});
    EXPECT_EQ(saved.status & kErr, kErr);

    auto event = atapi(vm, {0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8});
    ASSERT_EQ(event.data.size(), 8u);
    EXPECT_EQ(event.data[2], 0x04);
    EXPECT_EQ(event.data[5], 0x02);  // medium present, tray closed

    auto disc = atapi(vm, {0x51, 0, 0, 0, 0, 0, 0, 0, 34});
    EXPECT_EQ(disc.data.size(), 34u);
    auto mechanism = atapi(vm, {0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8});
    EXPECT_EQ(mechanism.data.size(), 8u);
}

TEST(Atapi, EjectLoadGivesUnitAttention) {
    std::string iso = make_iso("eject.iso", 16);
    QtestClient vm({"-cdrom", iso});
    // Locked: the eject is refused.
    EXPECT_EQ(atapi(vm, {0x1e, 0, 0, 0, 1}).status, kDrdy | kDsc);
    EXPECT_EQ(atapi(vm, {0x1b, 0, 0, 0, 0x02}).status & kErr, kErr);
    EXPECT_EQ(atapi(vm, {0x1e, 0, 0, 0, 0}).status, kDrdy | kDsc);
    EXPECT_EQ(atapi(vm, {0x1b, 0, 0, 0, 0x02}).status, kDrdy | kDsc);
    auto open = atapi(vm, {0x00});
    EXPECT_EQ(open.error >> 4, 0x02);  // NOT READY
    auto sense = atapi(vm, {0x03, 0, 0, 0, 18});
    EXPECT_EQ(sense.data[12], 0x3a);
    EXPECT_EQ(sense.data[13], 0x02);  // tray open
    EXPECT_EQ(atapi(vm, {0x1b, 0, 0, 0, 0x03}).status, kDrdy | kDsc);
    auto attention = atapi(vm, {0x00});
    EXPECT_EQ(attention.error >> 4, 0x06);
    sense = atapi(vm, {0x03, 0, 0, 0, 18});
    EXPECT_EQ(sense.data[2], 0x06);
    EXPECT_EQ(sense.data[12], 0x28);
    EXPECT_EQ(atapi(vm, {0x00}).status, kDrdy | kDsc);
}

TEST(Atapi, EmptyDriveReportsNoMedium) {
    QtestClient vm({"-drive", "if=ide,index=2,media=cdrom"});
    auto tur = atapi(vm, {0x00});
    EXPECT_EQ(tur.status & kErr, kErr);
    EXPECT_EQ(tur.error >> 4, 0x02);
    auto sense = atapi(vm, {0x03, 0, 0, 0, 18});
    ASSERT_EQ(sense.data.size(), 18u);
    EXPECT_EQ(sense.data[0], 0x70);
    EXPECT_EQ(sense.data[2], 0x02);
    EXPECT_EQ(sense.data[12], 0x3a);
    EXPECT_EQ(sense.data[13], 0x01);
    auto event = atapi(vm, {0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8});
    EXPECT_EQ(event.data[5], 0x00);
    auto capacity = atapi(vm, {0x25});
    EXPECT_EQ(capacity.error >> 4, 0x02);
}

TEST(Atapi, ByteCountLimitBelowASectorSplitsIt) {
    std::string iso = make_iso("limit.iso", 16);
    QtestClient vm({"-cdrom", iso});
    // An odd limit counts as the even value below it; no DRQ block may
    // exceed it, so each sector goes out as 1000 + 1000 + 48 bytes.
    auto read = atapi(vm, {0x28, 0, 0, 0, 0, 5, 0, 0, 2}, 1001);
    ASSERT_EQ(read.data.size(), 2u * 2048);
    EXPECT_EQ(read.drq_blocks, 6);
    EXPECT_EQ(read.largest_block, 1000u);
    EXPECT_EQ(read.status, kDrdy | kDsc);
    for (uint32_t s = 0; s < 2; ++s) {
        uint32_t n;
        std::memcpy(&n, read.data.data() + s * 2048, 4);
        EXPECT_EQ(n, 5 + s);
        for (size_t i : {4u, 999u, 1000u, 2000u, 2047u}) {
            EXPECT_EQ(read.data[s * 2048 + i], static_cast<uint8_t>(5 + s + i)) << "sector " << s << " byte " << i;
        }
    }
    // A reply (INQUIRY) is cut to the limit the same way.
    auto inquiry = atapi(vm, {0x12, 0, 0, 0, 36}, 16);
    EXPECT_EQ(inquiry.data.size(), 36u);
    EXPECT_EQ(inquiry.drq_blocks, 3);
    EXPECT_EQ(inquiry.largest_block, 16u);
}

// An ISO 9660 image made by xorriso (what -cdrom users bring): the volume
// descriptors, the root directory and a file's contents, by PIO and DMA.
TEST(Atapi, ReadsAnIsoMadeByXorriso) {
    std::string root = temp_path("xorriso-root");
    std::filesystem::create_directories(root);
    std::string content;
    for (int i = 0; i < 400; ++i) content += "line " + std::to_string(i) + " of the file on the CD\n";
    std::ofstream(root + "/HELLO.TXT", std::ios::binary) << content;
    std::string iso = temp_path("xorriso.iso");
    std::filesystem::remove(iso);
    std::string command = "xorriso -as mkisofs -quiet -V MIMICTEST -o " + iso + " " + root + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "xorriso failed (scripts/setup.sh installs it)";

    QtestClient vm({"-m", "64M", "-cdrom", iso});
    auto capacity = atapi(vm, {0x25});
    ASSERT_EQ(capacity.data.size(), 8u);
    uint32_t sectors = be32(capacity.data.data()) + 1;
    EXPECT_EQ(uint64_t{sectors} * 2048, std::filesystem::file_size(iso));

    // Primary volume descriptor at LBA 16.
    auto pvd = atapi(vm, {0x28, 0, 0, 0, 0, 16, 0, 0, 1}, 2048);
    ASSERT_EQ(pvd.data.size(), 2048u);
    EXPECT_EQ(pvd.data[0], 1);
    EXPECT_EQ(std::string(pvd.data.begin() + 1, pvd.data.begin() + 6), "CD001");
    EXPECT_EQ(std::string(pvd.data.begin() + 40, pvd.data.begin() + 49), "MIMICTEST");
    EXPECT_EQ(be32(pvd.data.data() + 84), sectors);  // volume space size, big-endian half
    // The root directory's extent (big-endian halves of its record at 156).
    uint32_t root_lba = be32(pvd.data.data() + 156 + 6);
    uint32_t root_size = be32(pvd.data.data() + 156 + 14);
    ASSERT_GT(root_size, 0u);
    uint32_t root_sectors = (root_size + 2047) / 2048;
    auto dir = atapi(vm, {0xa8, 0, uint8_t(root_lba >> 24), uint8_t(root_lba >> 16), uint8_t(root_lba >> 8),
                          uint8_t(root_lba), 0, 0, 0, uint8_t(root_sectors)});
    ASSERT_EQ(dir.data.size(), root_sectors * 2048u);
    uint32_t file_lba = 0, file_size = 0;
    for (size_t off = 0; off + 33 < dir.data.size() && dir.data[off];) {
        const uint8_t* record = dir.data.data() + off;
        std::string name(record + 33, record + 33 + record[32]);
        if (name.rfind("HELLO.TXT", 0) == 0) {
            file_lba = be32(record + 6);
            file_size = be32(record + 14);
        }
        off += record[0];
    }
    ASSERT_NE(file_lba, 0u) << "HELLO.TXT not in the root directory";
    ASSERT_EQ(file_size, content.size());
    uint32_t file_sectors = (file_size + 2047) / 2048;

    // The file by PIO...
    auto file = atapi(vm, {0x28, 0, uint8_t(file_lba >> 24), uint8_t(file_lba >> 16), uint8_t(file_lba >> 8),
                           uint8_t(file_lba), 0, 0, uint8_t(file_sectors)});
    ASSERT_EQ(file.data.size(), file_sectors * 2048u);
    EXPECT_EQ(std::string(file.data.begin(), file.data.begin() + file_size), content);

    // ...and by bus-master DMA into guest RAM.
    enable_bus_master(vm);
    write_prd(vm, 0x10000, {{0x30000, file_sectors * 2048}});
    vm.outl(kBusMasterBase + 8 + 4, 0x10000);
    vm.outb(kSecondary + 6, 0xa0);
    vm.outb(kSecondary + 1, 0x01);  // DMA
    vm.outb(kSecondary + 7, 0xa0);
    write_words(vm, kSecondary, {0x28, 0, uint8_t(file_lba >> 24), uint8_t(file_lba >> 16), uint8_t(file_lba >> 8),
                                 uint8_t(file_lba), 0, 0, uint8_t(file_sectors), 0, 0, 0});
    vm.outb(kBusMasterBase + 8, 0x09);
    EXPECT_EQ(vm.inb(kBusMasterBase + 8 + 2) & 0x07, 0x04);
    EXPECT_EQ(vm.inb(kSecondary + 7), kDrdy | kDsc);
    std::string in_ram;
    for (uint32_t i = 0; i < file_size; ++i) in_ram += static_cast<char>(vm.readb(0x30000 + i));
    EXPECT_EQ(in_ram, content);
}

TEST(Atapi, ReadTocStartTrackAndMsf) {
    std::string iso = make_iso("toc-msf.iso", 300);
    QtestClient vm({"-cdrom", iso});
    // MSF: track 1 at 00:02:00 (the 2 s lead-in), lead-out at LBA 300 + 150
    // frames = 00:06:00.
    auto toc = atapi(vm, {0x43, 0x02, 0, 0, 0, 0, 0, 0, 100});
    ASSERT_EQ(toc.data.size(), 20u);
    EXPECT_EQ(toc.data[2], 1);  // first track
    EXPECT_EQ(toc.data[3], 1);  // last track
    EXPECT_EQ(toc.data[5], 0x14);
    EXPECT_EQ(be32(toc.data.data() + 8), 0x00000200u);
    EXPECT_EQ(toc.data[14], 0xaa);
    EXPECT_EQ(be32(toc.data.data() + 16), 0x00000600u);
    // Starting at the lead-out: only its descriptor.
    auto leadout = atapi(vm, {0x43, 0, 0, 0, 0, 0, 0xaa, 0, 100});
    ASSERT_EQ(leadout.data.size(), 12u);
    EXPECT_EQ(leadout.data[1], 10);
    EXPECT_EQ(leadout.data[6], 0xaa);
    EXPECT_EQ(be32(leadout.data.data() + 8), 300u);
    // A track the disc does not have.
    auto beyond = atapi(vm, {0x43, 0, 0, 0, 0, 0, 2, 0, 100});
    EXPECT_EQ(beyond.status & kErr, kErr);
    auto sense = atapi(vm, {0x03, 0, 0, 0, 18});
    EXPECT_EQ(sense.data[2], 0x05);
    EXPECT_EQ(sense.data[12], 0x24);
    // The allocation length cuts the reply.
    auto cut = atapi(vm, {0x43, 0, 0, 0, 0, 0, 0, 0, 4});
    ASSERT_EQ(cut.data.size(), 4u);
    EXPECT_EQ(cut.data[1], 18);
    // Format 1 (multi-session) in the old position (byte 9's top bits).
    auto session = atapi(vm, {0x43, 0, 0, 0, 0, 0, 0, 0, 12, 0x40});
    ASSERT_EQ(session.data.size(), 12u);
    EXPECT_EQ(session.data[1], 10);
    EXPECT_EQ(session.data[6], 1);
}

TEST(Atapi, EventStatusReportsNewMediaOnceAfterALoad) {
    std::string iso = make_iso("gesn.iso", 16);
    QtestClient vm({"-cdrom", iso});
    auto gesn = [&](uint8_t polled, uint8_t classes) {
        return atapi(vm, {0x4a, polled, 0, 0, classes, 0, 0, 0, 8});
    };
    auto quiet = gesn(1, 0x10);
    ASSERT_EQ(quiet.data.size(), 8u);
    EXPECT_EQ(quiet.data[1], 6);     // event data length
    EXPECT_EQ(quiet.data[3], 0x10);  // supported classes: media only
    EXPECT_EQ(quiet.data[4], 0);     // no change
    // Asynchronous operation is not supported.
    EXPECT_EQ(gesn(0, 0x10).error >> 4, 0x05);
    // A class the drive does not support: "no event available", header only.
    auto other = gesn(1, 0x04);
    ASSERT_EQ(other.data.size(), 4u);
    EXPECT_EQ(other.data[2], 0x80);

    // Open the tray, then close it: the tray state shows, and the load is a
    // new-media event reported once. GESN is allowed through the pending
    // unit attention.
    EXPECT_EQ(atapi(vm, {0x1b, 0, 0, 0, 0x02}).status, kDrdy | kDsc);
    auto open = gesn(1, 0x10);
    EXPECT_EQ(open.data[5], 0x01);  // tray open, no medium present
    EXPECT_EQ(atapi(vm, {0x1b, 0, 0, 0, 0x03}).status, kDrdy | kDsc);
    auto loaded = gesn(1, 0x10);
    EXPECT_EQ(loaded.status, kDrdy | kDsc);
    EXPECT_EQ(loaded.data[4], 0x02);  // new media
    EXPECT_EQ(loaded.data[5], 0x02);  // medium present, tray closed
    EXPECT_EQ(gesn(1, 0x10).data[4], 0x00);

    // The unit attention still stops other commands, until REQUEST SENSE
    // has reported it (ATAPI has no autosense).
    for (int i = 0; i < 2; ++i) {
        auto read = atapi(vm, {0x28, 0, 0, 0, 0, 1, 0, 0, 1});
        EXPECT_EQ(read.error >> 4, 0x06);
        EXPECT_TRUE(read.data.empty());
    }
    auto sense = atapi(vm, {0x03, 0, 0, 0, 18});
    EXPECT_EQ(sense.data[2], 0x06);
    EXPECT_EQ(sense.data[12], 0x28);  // medium may have changed
    EXPECT_EQ(atapi(vm, {0x28, 0, 0, 0, 0, 1, 0, 0, 1}).data.size(), 2048u);
}

TEST(Ide, InterruptOnCompletionAckedByStatusAndMaskedByNien) {
    std::string disk = make_disk("irq.raw", 2048);
    QtestClient vm({"-drive", "file=" + disk + ",format=raw,if=ide"});
    vm.irq_intercept_in("pic");
    vm.outb(kPrimary + 6, 0xa0);
    vm.outb(kPrimary + 7, 0xe7);  // FLUSH CACHE: completion interrupt
    EXPECT_TRUE(vm.irq_level(14));
    vm.inb(0x3f6);  // alternate status does not acknowledge
    EXPECT_TRUE(vm.irq_level(14));
    vm.inb(kPrimary + 7);
    EXPECT_FALSE(vm.irq_level(14));
    vm.outb(0x3f6, 0x02);  // nIEN
    vm.outb(kPrimary + 7, 0xe7);
    EXPECT_FALSE(vm.irq_level(14));
    vm.outb(0x3f6, 0x00);  // the pending interrupt shows once enabled
    EXPECT_TRUE(vm.irq_level(14));
}

namespace {

// Starts READ DMA of `count` sectors at LBA 0 on the primary master.
void start_read_dma(QtestClient& vm, uint32_t prd_table, uint8_t count) {
    vm.outl(kBusMasterBase + 4, prd_table);
    select_lba(vm, kPrimary, 0, 0, count);
    vm.outb(kPrimary + 7, 0xc8);
    vm.outb(kBusMasterBase, 0x09);
}

}  // namespace

// READ(12) may ask for the whole medium at once: the data streams through
// the bus master in pieces (here until the PRD table ends), never as one
// host buffer of the guest's size.
TEST(Atapi, DmaOfTheWholeMediumIsStreamed) {
    std::string iso = temp_path("giant.iso");
    std::ofstream(iso, std::ios::trunc).close();
    std::filesystem::resize_file(iso, 4ull << 30);
    QtestClient vm({"-m", "64M", "-cdrom", iso});
    vm.limit_address_space(512ull << 20);
    enable_bus_master(vm);
    vm.memwrite(0x20000, {0xaa, 0xaa});
    write_prd(vm, 0x10000, {{0x20000, 0}, {0x30000, 0}});  // 0 means 64 KiB
    vm.outl(kBusMasterBase + 8 + 4, 0x10000);
    vm.outb(kSecondary + 6, 0xa0);
    vm.outb(kSecondary + 1, 0x01);  // DMA
    vm.outb(kSecondary + 7, 0xa0);
    write_words(vm, kSecondary, {0xa8, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0});  // 2M sectors
    vm.outb(kBusMasterBase + 8, 0x09);
    EXPECT_EQ(vm.inb(kBusMasterBase + 8 + 2) & 0x07, 0x04);  // table ended: stopped, interrupt
    EXPECT_EQ(vm.inb(kSecondary + 7), kDrdy | kDsc);
    EXPECT_EQ(vm.memread(0x20000, 2), (std::vector<uint8_t>{0, 0}));
    std::filesystem::remove(iso);
}

// A PRD table or a buffer nothing decodes is a PCI master abort: the bus
// master's error bit, the engine stopped, the command aborted, and the
// function's Received Master Abort status bit.
TEST(Ide, BusMasterReportsAddressesOutsideMemory) {
    std::string disk = make_disk("abort.raw", 64);
    QtestClient vm({"-m", "64M", "-drive", "file=" + disk + ",format=raw,if=ide"});
    enable_bus_master(vm);
    for (bool table_outside : {true, false}) {
        SCOPED_TRACE(table_outside ? "table outside memory" : "buffer outside memory");
        write_prd(vm, 0x10000, {{0x10000000, 1024}});  // 256 MiB: beyond RAM
        start_read_dma(vm, table_outside ? 0x10000000 : 0x10000, 2);
        EXPECT_EQ(vm.inb(kBusMasterBase + 2) & 0x07, 0x06);  // interrupt, error, not active
        EXPECT_EQ(vm.inb(kPrimary + 7), kDrdy | kErr);
        EXPECT_EQ(vm.inb(kPrimary + 1), 0x04);  // ABRT
        EXPECT_EQ(pci_read(vm, kIdeDevfn, 0x04) >> 16 & 0x2000, 0x2000u);  // received master abort
        pci_write(vm, kIdeDevfn, 0x04, 0x2000u << 16 | 0x0005);             // write 1 to clear
        EXPECT_EQ(pci_read(vm, kIdeDevfn, 0x04) >> 16 & 0x2000, 0u);
        vm.outb(kBusMasterBase, 0x00);
        vm.outb(kBusMasterBase + 2, 0x06);  // write 1 to clear
        EXPECT_EQ(vm.inb(kBusMasterBase + 2) & 0x07, 0x00);
    }
    // The engine works again afterwards.
    write_prd(vm, 0x10000, {{0x20000, 1024}});
    start_read_dma(vm, 0x10000, 2);
    EXPECT_EQ(vm.inb(kBusMasterBase + 2) & 0x07, 0x04);
    EXPECT_EQ(vm.memread(0x20000, 1024), expected_sectors(0, 2));
}
