// fw_cfg through the real binary: the traditional port interface, the file
// directory and the DMA interface, with the items SeaBIOS reads.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

std::vector<uint8_t> read_item(QtestClient& vm, uint16_t key, size_t size) {
    vm.outw(0x510, key);
    std::vector<uint8_t> out;
    for (size_t i = 0; i < size; ++i) out.push_back(vm.inb(0x511));
    return out;
}

uint64_t le(const std::vector<uint8_t>& bytes, size_t offset, int size) {
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = value << 8 | bytes[offset + static_cast<size_t>(i)];
    return value;
}

uint32_t be32(const std::vector<uint8_t>& bytes, size_t offset) {
    return uint32_t{bytes[offset]} << 24 | uint32_t{bytes[offset + 1]} << 16 | uint32_t{bytes[offset + 2]} << 8 |
           bytes[offset + 3];
}

struct FileEntry {
    uint32_t size;
    uint16_t key;
};

std::map<std::string, FileEntry> directory(QtestClient& vm) {
    auto count_bytes = read_item(vm, 0x19, 4);
    uint32_t count = be32(count_bytes, 0);
    auto all = read_item(vm, 0x19, 4 + count * 64);
    std::map<std::string, FileEntry> files;
    for (uint32_t i = 0; i < count; ++i) {
        size_t at = 4 + i * 64;
        std::string name(reinterpret_cast<const char*>(&all[at + 8]));
        files[name] = {be32(all, at), static_cast<uint16_t>(all[at + 4] << 8 | all[at + 5])};
    }
    return files;
}

// One FWCfgDmaAccess at guest address 0x1000, data to `target`; returns
// the control word the device left.
uint32_t dma(QtestClient& vm, uint32_t control, uint32_t length, uint64_t target = 0x2000) {
    std::vector<uint8_t> access;
    for (int shift = 24; shift >= 0; shift -= 8) access.push_back(static_cast<uint8_t>(control >> shift));
    for (int shift = 24; shift >= 0; shift -= 8) access.push_back(static_cast<uint8_t>(length >> shift));
    for (int shift = 56; shift >= 0; shift -= 8) access.push_back(static_cast<uint8_t>(target >> shift));
    vm.memwrite(0x1000, access);
    // The address register is big-endian: high half at 0x514, low at 0x518.
    vm.outl(0x514, 0);
    vm.outl(0x518, 0x00100000);  // bswap32(0x1000)
    return be32(vm.memread(0x1000, 4), 0);
}

}  // namespace

TEST(FwCfg, SignatureAndIdWithDma) {
    QtestClient vm({});
    EXPECT_EQ(read_item(vm, 0x00, 4), (std::vector<uint8_t>{'Q', 'E', 'M', 'U'}));
    EXPECT_EQ(le(read_item(vm, 0x01, 4), 0, 4), 3u);  // traditional + DMA
    // The DMA register reads back "QEMU CFG" in port byte order.
    EXPECT_EQ(vm.inb(0x514), 'Q');
    EXPECT_EQ(vm.inb(0x517), 'U');
    EXPECT_EQ(vm.inb(0x518), ' ');
    EXPECT_EQ(vm.inb(0x51b), 'G');
}

TEST(FwCfg, MachineItems) {
    QtestClient vm({"-m", "256M", "-smp", "2,maxcpus=4", "-uuid", "550e8400-e29b-41d4-a716-446655440000"});
    EXPECT_EQ(le(read_item(vm, 0x03, 8), 0, 8), 256ull << 20);
    EXPECT_EQ(le(read_item(vm, 0x05, 2), 0, 2), 2u);
    EXPECT_EQ(le(read_item(vm, 0x0f, 2), 0, 2), 4u);
    auto uuid = read_item(vm, 0x02, 16);
    EXPECT_EQ(uuid[0], 0x55);
    EXPECT_EQ(uuid[15], 0x00);
    EXPECT_EQ(uuid[6], 0x41);
    EXPECT_EQ(le(read_item(vm, 0x0d, 8), 0, 8), 0u);  // no NUMA nodes
    EXPECT_EQ(le(read_item(vm, 0x0c, 2), 0, 2), 'c');   // default boot device
}

TEST(FwCfg, BootItemsFollowDashBoot) {
    QtestClient vm({"-boot", "order=dc,menu=on,splash-time=1500"});
    EXPECT_EQ(le(read_item(vm, 0x0c, 2), 0, 2), 'd');
    EXPECT_EQ(le(read_item(vm, 0x0e, 2), 0, 2), 1u);
    auto files = directory(vm);
    ASSERT_TRUE(files.count("etc/boot-menu-wait"));
    EXPECT_EQ(le(read_item(vm, files["etc/boot-menu-wait"].key, 2), 0, 2), 1500u);
}

// etc/boot-fail-wait is always there, as QEMU adds it: -1 (SeaBIOS never
// reboots after "No bootable device") unless -boot reboot-timeout= says.
TEST(FwCfg, BootFailWaitAsQemu) {
    QtestClient vm({});
    auto files = directory(vm);
    ASSERT_TRUE(files.count("etc/boot-fail-wait"));
    EXPECT_EQ(le(read_item(vm, files["etc/boot-fail-wait"].key, 4), 0, 4), 0xffffffffu);
    QtestClient timed({"-boot", "reboot-timeout=5000"});
    files = directory(timed);
    EXPECT_EQ(le(read_item(timed, files["etc/boot-fail-wait"].key, 4), 0, 4), 5000u);
}

TEST(FwCfg, BootOnceLastsUntilTheFirstReset) {
    QtestClient vm({"-boot", "order=c,once=d"});
    EXPECT_EQ(le(read_item(vm, 0x0c, 2), 0, 2), 'd');
    vm.outb(0x70, 0x3d);
    EXPECT_EQ(vm.inb(0x71), 0x03);  // CMOS: CD first
    vm.outb(0xcf9, 0x06);
    EXPECT_EQ(le(read_item(vm, 0x0c, 2), 0, 2), 'c');
    vm.outb(0x70, 0x3d);
    EXPECT_EQ(vm.inb(0x71), 0x02);  // disk again
    vm.outb(0xcf9, 0x06);           // and it stays so
    vm.outb(0x70, 0x3d);
    EXPECT_EQ(vm.inb(0x71), 0x02);
}

TEST(FwCfg, DirectoryIsSortedAndHoldsE820) {
    QtestClient vm({"-m", "128M"});
    auto files = directory(vm);
    ASSERT_TRUE(files.count("etc/e820"));
    EXPECT_EQ(files["etc/e820"].size, 20u);
    EXPECT_FALSE(files.count("etc/sercon-port"));  // only with -nographic
    auto e820 = read_item(vm, files["etc/e820"].key, 20);
    EXPECT_EQ(le(e820, 0, 8), 0u);
    EXPECT_EQ(le(e820, 8, 8), 128ull << 20);
    EXPECT_EQ(le(e820, 16, 4), 1u);  // RAM
}

TEST(FwCfg, LargeRamSplitsAroundTheHole) {
    QtestClient vm({"-m", "4G"});
    auto files = directory(vm);
    ASSERT_EQ(files["etc/e820"].size, 40u);
    auto e820 = read_item(vm, files["etc/e820"].key, 40);
    EXPECT_EQ(le(e820, 8, 8), 0xc0000000ull);
    EXPECT_EQ(le(e820, 20, 8), 1ull << 32);
    EXPECT_EQ(le(e820, 28, 8), 0x40000000ull);
}

TEST(FwCfg, DmaReadsSelectedItemsAndSkips) {
    QtestClient vm({"-m", "128M"});
    auto files = directory(vm);
    uint16_t key = files["etc/e820"].key;
    // SELECT | READ of the whole e820 file.
    EXPECT_EQ(dma(vm, uint32_t{key} << 16 | 0x08 | 0x02, 20), 0u);
    auto e820 = vm.memread(0x2000, 20);
    EXPECT_EQ(le(e820, 8, 8), 128ull << 20);
    // SELECT signature, SKIP 2, READ 2: "MU".
    EXPECT_EQ(dma(vm, 0x08 | 0x04, 2), 0u);
    EXPECT_EQ(dma(vm, 0x02, 2), 0u);
    EXPECT_EQ(vm.memread(0x2000, 2), (std::vector<uint8_t>{'M', 'U'}));
    // Writes are refused with the error bit.
    EXPECT_EQ(dma(vm, 0x10, 1), 1u);
}

TEST(FwCfg, NographicAsksSeabiosForTheSerialConsole) {
    QtestClient vm({"-nographic"});
    auto files = directory(vm);
    ASSERT_TRUE(files.count("etc/sercon-port"));
    EXPECT_EQ(le(read_item(vm, files["etc/sercon-port"].key, 2), 0, 2), 0x3f8u);
}

TEST(FwCfg, DmaDescriptorInUnassignedMemoryIsAnError) {
    QtestClient vm({"-m", "128M"});
    vm.limit_address_space(512ull << 20);
    // Reads back as all ones: a READ of 0xffffffff bytes, if it were taken
    // as a descriptor. It is not, and nothing is transferred.
    vm.outl(0x518, 0x5abf1199);
    EXPECT_EQ(vm.inb(0x510), 0u);
    EXPECT_EQ(read_item(vm, 0x00, 4), (std::vector<uint8_t>{'Q', 'E', 'M', 'U'}));
}

TEST(FwCfg, DmaLengthIsStreamedNotAllocated) {
    QtestClient vm({"-m", "128M"});
    vm.limit_address_space(512ull << 20);
    vm.memwrite(0x100000, {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa});
    vm.memwrite(0x7fffffc, {0xbb, 0xbb, 0xbb, 0xbb});
    // SELECT signature | READ 4 GiB - 1 at 1 MiB: the item, then zeros up
    // to the end of RAM, where the transfer runs into unassigned memory.
    EXPECT_EQ(dma(vm, 0x08 | 0x02, 0xffffffff, 0x100000), 1u);
    EXPECT_EQ(vm.memread(0x100000, 6), (std::vector<uint8_t>{'Q', 'E', 'M', 'U', 0, 0}));
    EXPECT_EQ(vm.memread(0x7fffffc, 4), (std::vector<uint8_t>{0, 0, 0, 0}));
}

TEST(FwCfg, DmaReadPastTheItemGivesZerosAndStaysAtItsEnd) {
    QtestClient vm({"-m", "128M"});
    vm.memwrite(0x2000, std::vector<uint8_t>(8, 0xcc));
    EXPECT_EQ(dma(vm, 0x08 | 0x04, 2), 0u);  // SELECT signature, SKIP 2
    EXPECT_EQ(dma(vm, 0x02, 8), 0u);         // "MU" and six zeros
    EXPECT_EQ(vm.memread(0x2000, 8), (std::vector<uint8_t>{'M', 'U', 0, 0, 0, 0, 0, 0}));
    // The port interface goes on from the end of the item, not beyond it.
    EXPECT_EQ(vm.inb(0x511), 0u);
}

TEST(FwCfg, DmaIntoUnassignedMemorySetsTheErrorBit) {
    QtestClient vm({"-m", "128M"});
    EXPECT_EQ(dma(vm, 0x08 | 0x02, 4, 0x20000000), 1u);
    // A SKIP moves no data and succeeds.
    EXPECT_EQ(dma(vm, 0x08 | 0x04, 4, 0x20000000), 0u);
}

// The ACPI tables SeaBIOS installs come from fw_cfg only while ACPI is on.
TEST(FwCfg, AcpiTablesOnlyWithAcpi) {
    QtestClient with_acpi({});
    auto files = directory(with_acpi);
    for (const char* name : {"etc/acpi/tables", "etc/acpi/rsdp", "etc/table-loader"})
        EXPECT_EQ(files.count(name), 1u) << name;
    QtestClient without({"-no-acpi"});
    files = directory(without);
    for (const char* name : {"etc/acpi/tables", "etc/acpi/rsdp", "etc/table-loader"})
        EXPECT_EQ(files.count(name), 0u) << name;
    EXPECT_EQ(files.count("etc/smbios/smbios-tables"), 1u);
}
