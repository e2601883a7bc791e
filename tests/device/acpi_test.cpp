// ACPI and SMBIOS through fw_cfg on the real binary: the files SeaBIOS
// reads (etc/table-loader, etc/acpi/tables, etc/acpi/rsdp,
// etc/smbios/*), the loader script run as SeaBIOS runs it, every table's
// checksum and the fields that follow the machine's configuration (-smp,
// serial ports, the PM base firmware programs). Debian's ACPICA `iasl`
// must disassemble the DSDT without errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr size_t kLoaderEntry = 128;

uint64_t le(const std::vector<uint8_t>& bytes, size_t offset, int size) {
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = value << 8 | bytes.at(offset + static_cast<size_t>(i));
    return value;
}

uint32_t be32(const std::vector<uint8_t>& bytes, size_t offset) {
    return uint32_t{bytes[offset]} << 24 | uint32_t{bytes[offset + 1]} << 16 | uint32_t{bytes[offset + 2]} << 8 |
           bytes[offset + 3];
}

uint8_t sum(const uint8_t* data, size_t size) {
    uint8_t total = 0;
    for (size_t i = 0; i < size; ++i) total = static_cast<uint8_t>(total + data[i]);
    return total;
}

std::vector<uint8_t> read_item(QtestClient& vm, uint16_t key, size_t size) {
    vm.outw(0x510, key);
    std::vector<uint8_t> out;
    for (size_t i = 0; i < size; ++i) out.push_back(vm.inb(0x511));
    return out;
}

struct FileEntry {
    uint32_t size;
    uint16_t key;
};

std::map<std::string, FileEntry> directory(QtestClient& vm) {
    uint32_t count = be32(read_item(vm, 0x19, 4), 0);
    auto all = read_item(vm, 0x19, 4 + count * 64);
    std::map<std::string, FileEntry> files;
    for (uint32_t i = 0; i < count; ++i) {
        size_t at = 4 + i * 64;
        files[std::string(reinterpret_cast<const char*>(&all[at + 8]))] = {
            be32(all, at), static_cast<uint16_t>(all[at + 4] << 8 | all[at + 5])};
    }
    return files;
}

// A whole file by DMA (SELECT | READ) into guest RAM at 0x10000.
std::vector<uint8_t> read_file(QtestClient& vm, const FileEntry& file) {
    uint32_t control = uint32_t{file.key} << 16 | 0x08 | 0x02;
    std::vector<uint8_t> access = {
        static_cast<uint8_t>(control >> 24), static_cast<uint8_t>(control >> 16), static_cast<uint8_t>(control >> 8),
        static_cast<uint8_t>(control),       static_cast<uint8_t>(file.size >> 24), static_cast<uint8_t>(file.size >> 16),
        static_cast<uint8_t>(file.size >> 8), static_cast<uint8_t>(file.size), 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};
    vm.memwrite(0x1000, access);
    vm.outl(0x514, 0);
    vm.outl(0x518, 0x00100000);  // bswap32(0x1000)
    EXPECT_EQ(be32(vm.memread(0x1000, 4), 0), 0u);
    return vm.memread(0x10000, file.size);
}

// The files as SeaBIOS leaves them, with every file "loaded" at address 0
// so pointers stay offsets into etc/acpi/tables.
struct Acpi {
    std::vector<uint8_t> tables, rsdp;
    std::map<std::string, std::vector<uint8_t>> by_signature;  // RSDT entries, FACS, DSDT, RSDT
    int allocations = 0;
};

std::vector<uint8_t> table_at(const std::vector<uint8_t>& tables, uint64_t offset) {
    size_t length = le(tables, offset + 4, 4);
    return {tables.begin() + static_cast<long>(offset), tables.begin() + static_cast<long>(offset + length)};
}

Acpi load_acpi(QtestClient& vm) {
    auto files = directory(vm);
    for (const char* name : {"etc/acpi/tables", "etc/acpi/rsdp", "etc/table-loader"})
        EXPECT_TRUE(files.count(name)) << name;
    Acpi acpi;
    acpi.tables = read_file(vm, files["etc/acpi/tables"]);
    acpi.rsdp = read_file(vm, files["etc/acpi/rsdp"]);
    std::vector<uint8_t> script = read_file(vm, files["etc/table-loader"]);
    auto file_of = [&](const std::vector<uint8_t>& entry, size_t offset) -> std::vector<uint8_t>& {
        std::string name(reinterpret_cast<const char*>(&entry[offset]));
        return name == "etc/acpi/rsdp" ? acpi.rsdp : acpi.tables;
    };
    for (size_t at = 0; at + kLoaderEntry <= script.size(); at += kLoaderEntry) {
        std::vector<uint8_t> entry(script.begin() + static_cast<long>(at),
                                   script.begin() + static_cast<long>(at + kLoaderEntry));
        uint32_t command = static_cast<uint32_t>(le(entry, 0, 4));
        if (command == 1) {
            ++acpi.allocations;
        } else if (command == 3) {
            std::vector<uint8_t>& data = file_of(entry, 4);
            size_t offset = le(entry, 60, 4), start = le(entry, 64, 4), length = le(entry, 68, 4);
            data.at(offset) = static_cast<uint8_t>(data[offset] - sum(&data.at(start), length));
        } else {
            EXPECT_TRUE(command == 0 || command == 2) << command;  // pointers: +0
        }
    }
    EXPECT_EQ(std::string(acpi.rsdp.begin(), acpi.rsdp.begin() + 8), "RSD PTR ");
    EXPECT_EQ(sum(acpi.rsdp.data(), 20), 0);
    std::vector<uint8_t> rsdt = table_at(acpi.tables, le(acpi.rsdp, 16, 4));
    acpi.by_signature["RSDT"] = rsdt;
    for (size_t at = 36; at + 4 <= rsdt.size(); at += 4) {
        std::vector<uint8_t> table = table_at(acpi.tables, le(rsdt, at, 4));
        acpi.by_signature[std::string(table.begin(), table.begin() + 4)] = table;
    }
    const std::vector<uint8_t>& fadt = acpi.by_signature.at("FACP");
    acpi.by_signature["FACS"] = table_at(acpi.tables, le(fadt, 36, 4));
    acpi.by_signature["DSDT"] = table_at(acpi.tables, le(fadt, 40, 4));
    return acpi;
}

bool contains(const std::vector<uint8_t>& haystack, const std::string& needle) {
    return std::string(haystack.begin(), haystack.end()).find(needle) != std::string::npos;
}

// PIIX4 PM (00:01.3): I/O base and enable, as SeaBIOS programs them.
void program_pm_base(QtestClient& vm, uint16_t base) {
    vm.outl(0xcf8, 0x80000000u | 0x0b << 8 | 0x40);
    vm.outl(0xcfc, base | 1u);
    vm.outl(0xcf8, 0x80000000u | 0x0b << 8 | 0x80);
    vm.outb(0xcfc, 1);
}

// The DSDT as Debian's iasl disassembles it; fails the test on any error.
std::string disassemble(const std::vector<uint8_t>& dsdt) {
    char dir[] = "/tmp/mimic-acpi-XXXXXX";
    if (!mkdtemp(dir)) {
        ADD_FAILURE() << "mkdtemp";
        return {};
    }
    std::string base = std::string(dir) + "/dsdt";
    {
        std::ofstream out(base + ".dat", std::ios::binary);
        out.write(reinterpret_cast<const char*>(dsdt.data()), static_cast<std::streamsize>(dsdt.size()));
    }
    std::string command = "iasl -d " + base + ".dat > " + base + ".log 2>&1";
    int status = std::system(command.c_str());
    std::ifstream log_file(base + ".log"), dsl_file(base + ".dsl");
    std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
    std::string dsl((std::istreambuf_iterator<char>(dsl_file)), std::istreambuf_iterator<char>());
    std::filesystem::remove_all(dir);
    [&] {
        ASSERT_TRUE(WIFEXITED(status)) << log;
        ASSERT_NE(WEXITSTATUS(status), 127) << "iasl is missing: scripts/setup.sh installs acpica-tools";
        EXPECT_EQ(WEXITSTATUS(status), 0) << log;
        EXPECT_EQ(log.find("Error"), std::string::npos) << log;
    }();
    return dsl;
}

}  // namespace

TEST(Acpi, TablesLoadAndChecksum) {
    QtestClient vm({"-smp", "2", "-serial", "null"});
    program_pm_base(vm, 0x600);
    Acpi acpi = load_acpi(vm);
    EXPECT_EQ(acpi.allocations, 2);
    for (const auto& [signature, table] : acpi.by_signature) {
        if (signature == "FACS") continue;  // no checksum
        EXPECT_EQ(sum(table.data(), table.size()), 0) << signature;
        EXPECT_EQ(std::string(table.begin() + 10, table.begin() + 16), "BOCHS ") << signature;
    }
    for (const char* signature : {"FACP", "APIC", "WAET", "DSDT", "FACS"})
        EXPECT_TRUE(acpi.by_signature.count(signature)) << signature;
    EXPECT_EQ(le(acpi.by_signature["FACS"], 4, 4), 64u);

    const std::vector<uint8_t>& fadt = acpi.by_signature["FACP"];
    EXPECT_EQ(le(fadt, 46, 2), 9u);
    EXPECT_EQ(le(fadt, 56, 4), 0x600u);
    EXPECT_EQ(le(fadt, 64, 4), 0x604u);
    EXPECT_EQ(le(fadt, 76, 4), 0x608u);

    // -smp 2: two local APICs, IDs 0 and 1, then the IOAPIC.
    const std::vector<uint8_t>& madt = acpi.by_signature["APIC"];
    EXPECT_EQ(std::vector<uint8_t>(madt.begin() + 44, madt.begin() + 60),
              (std::vector<uint8_t>{0, 8, 0, 0, 1, 0, 0, 0, 0, 8, 1, 1, 1, 0, 0, 0}));
    EXPECT_EQ(madt[60], 1);
    EXPECT_EQ(le(madt, 64, 4), 0xfec00000u);

    const std::vector<uint8_t>& dsdt = acpi.by_signature["DSDT"];
    for (const char* name : {"PCI0", "_PRT", "LNKA", "LNKD", "LNKS", "_S5_", "RTC_", "KBD_", "COM1", "C000", "C001"})
        EXPECT_TRUE(contains(dsdt, name)) << name;
    EXPECT_FALSE(contains(dsdt, "COM2"));
    // The HPET is described in both tables or in neither, following the
    // machine's devices.
    EXPECT_EQ(acpi.by_signature.count("HPET") == 1, contains(dsdt, "HPTM"));
}

TEST(Acpi, TablesFollowThePmBaseFirmwareProgrammed) {
    QtestClient vm({});
    Acpi before = load_acpi(vm);
    EXPECT_EQ(le(before.by_signature["FACP"], 56, 4), 0u);
    program_pm_base(vm, 0xb000);
    Acpi after = load_acpi(vm);
    EXPECT_EQ(le(after.by_signature["FACP"], 56, 4), 0xb000u);
    EXPECT_EQ(before.tables.size(), after.tables.size());
}

TEST(Acpi, IaslDisassemblesTheDsdt) {
    QtestClient vm({"-serial", "null", "-serial", "null"});
    program_pm_base(vm, 0x600);
    Acpi acpi = load_acpi(vm);
    std::string dsl = disassemble(acpi.by_signature["DSDT"]);
    if (HasFatalFailure()) return;
    EXPECT_NE(dsl.find("Device (PCI0)"), std::string::npos);
    EXPECT_NE(dsl.find("Name (_S5, Package (0x04)"), std::string::npos) << dsl;
    EXPECT_NE(dsl.find("Device (COM2)"), std::string::npos);
    EXPECT_NE(dsl.find("Method (_SRS, 1, NotSerialized)"), std::string::npos);
    // ACPI PCI hotplug as QEMU 7.2 describes it: the registers, PCEJ, a
    // slot device per slot with _SUN/_EJ0 where a device may come and go
    // (not VGA's S10), DVNT/PCNT and the GPE handler.
    for (const char* line : {"OperationRegion (PCST, SystemIO, 0xAE00, 0x08)",
                             "OperationRegion (SEJ, SystemIO, 0xAE08, 0x04)",
                             "OperationRegion (BNMR, SystemIO, 0xAE10, 0x08)", "Method (PCEJ, 2, NotSerialized)",
                             "Name (BSEL, Zero)", "Device (S18)", "Name (_SUN, 0x1F)", "Device (SF8)",
                             "PCEJ (BSEL, _SUN)", "Method (DVNT, 2, NotSerialized)", "Notify (SF8, Arg1)",
                             "DVNT (PCID, 0x03)", "Method (_E01, 0, NotSerialized)", "\\_SB.PCI0.PCNT ()"}) {
        EXPECT_NE(dsl.find(line), std::string::npos) << line;
    }
    size_t vga = dsl.find("Device (S10)");
    ASSERT_NE(vga, std::string::npos);
    EXPECT_GT(dsl.find("_EJ0", vga), dsl.find("Device (S18)", vga));
    EXPECT_EQ(dsl.find("Notify (S10"), std::string::npos);
}

TEST(Smbios, AnchorAndTables) {
    QtestClient vm({"-m", "256M", "-smbios", "type=1,serial=XYZ-42"});
    auto files = directory(vm);
    ASSERT_TRUE(files.count("etc/smbios/smbios-anchor"));
    ASSERT_TRUE(files.count("etc/smbios/smbios-tables"));
    std::vector<uint8_t> anchor = read_file(vm, files["etc/smbios/smbios-anchor"]);
    std::vector<uint8_t> tables = read_file(vm, files["etc/smbios/smbios-tables"]);
    ASSERT_EQ(anchor.size(), 31u);
    EXPECT_EQ(std::string(anchor.begin(), anchor.begin() + 4), "_SM_");
    EXPECT_EQ(std::string(anchor.begin() + 16, anchor.begin() + 21), "_DMI_");
    EXPECT_EQ(le(anchor, 22, 2), tables.size());
    // Walk the structures: types in QEMU's order, the last one 127.
    std::vector<int> types;
    size_t at = 0;
    while (at < tables.size()) {
        types.push_back(tables[at]);
        at += tables[at + 1];
        while (tables.at(at) != 0 || tables.at(at + 1) != 0) ++at;
        at += 2;
    }
    EXPECT_EQ(at, tables.size());
    EXPECT_EQ(types, (std::vector<int>{1, 3, 4, 16, 17, 19, 32, 127}));
    EXPECT_EQ(le(anchor, 28, 2), types.size());
    EXPECT_TRUE(contains(tables, "XYZ-42"));
    EXPECT_TRUE(contains(tables, "Standard PC (i440FX + PIIX, 1996)"));
}

namespace {

// -machine q35: the ICH9 LPC's PMBASE/ACPI_CNTL and the MCH's PCIEXBAR as
// SeaBIOS programs them.
void program_q35(QtestClient& vm, uint16_t pm_base) {
    auto config_write = [&](uint32_t devfn, uint8_t offset, uint32_t value) {
        vm.outl(0xcf8, 0x80000000u | devfn << 8 | offset);
        vm.outl(0xcfc, value);
    };
    config_write(0xf8, 0x40, pm_base | 1u);
    config_write(0xf8, 0x44, 0x80);  // ACPI_CNTL: PM block enabled, SCI on IRQ 9
    config_write(0x00, 0x64, 0);
    config_write(0x00, 0x60, 0xb0000001);  // 256 MiB at 0xB0000000, enabled
}

}  // namespace

// The q35 tables built from the board: revision 3 FADT at the PMBASE
// firmware chose, MCFG once MMCONFIG is on, a DMAR naming each function
// of pcie.0, and a DSDT iasl reads cleanly.
TEST(Acpi, Q35TablesFollowTheBoard) {
    QtestClient vm({"-machine", "q35", "-nodefaults", "-vga", "std", "-device", "intel-iommu", "-serial", "null"});
    Acpi before = load_acpi(vm);
    EXPECT_EQ(before.by_signature.count("MCFG"), 0u);  // MMCONFIG still off
    program_q35(vm, 0x600);
    Acpi acpi = load_acpi(vm);
    EXPECT_EQ(before.tables.size(), acpi.tables.size());
    for (const auto& [signature, table] : acpi.by_signature) {
        if (signature == "FACS") continue;  // no checksum
        EXPECT_EQ(sum(table.data(), table.size()), 0) << signature;
    }
    const std::vector<uint8_t>& fadt = acpi.by_signature["FACP"];
    EXPECT_EQ(fadt[8], 3);
    EXPECT_EQ(fadt.size(), 244u);
    EXPECT_EQ(le(fadt, 56, 4), 0x600u);
    EXPECT_EQ(le(fadt, 80, 4), 0x620u);  // GPE0
    EXPECT_EQ(fadt[52], 0x02);          // ICH9's ACPI enable command
    const std::vector<uint8_t>& mcfg = acpi.by_signature["MCFG"];
    EXPECT_EQ(le(mcfg, 44, 8), 0xb0000000u);
    EXPECT_EQ(mcfg[55], 0xff);
    // DMAR: the IOAPIC, then 00.0 (MCH), 01.0 (VGA), 1f.0 (LPC), 1f.2
    // (AHCI), 1f.3 (SMBus), as QEMU lists them.
    const std::vector<uint8_t>& dmar = acpi.by_signature["DMAR"];
    ASSERT_EQ(dmar.size(), 48u + 16u + 6u * 8u);
    EXPECT_EQ(dmar[36], 38);  // aw-bits 39
    EXPECT_EQ(dmar[37], 1);   // interrupt remapping (intremap=auto under TCG)
    std::vector<std::pair<int, int>> paths;
    for (size_t at = 64; at < dmar.size(); at += 8) paths.push_back({dmar[at + 6], dmar[at + 7]});
    EXPECT_EQ(paths, (std::vector<std::pair<int, int>>{{0, 0}, {0, 0}, {1, 0}, {0x1f, 0}, {0x1f, 2}, {0x1f, 3}}));
    EXPECT_EQ(dmar[64], 3);     // IOAPIC scope
    EXPECT_EQ(dmar[69], 0xff);  // on the pseudo bus

    std::string dsl = disassemble(acpi.by_signature["DSDT"]);
    if (HasFatalFailure()) return;
    for (const char* line : {"Name (_HID, EisaId (\"PNP0A08\")", "Method (_OSC, 4, NotSerialized)", "Device (DRAC)",
                             "0xB0000000,         // Range Minimum", "Method (_PIC, 1, NotSerialized)",
                             "Device (LNKH)", "Device (GSIH)", "Field (PCI0.SF8.PIRQ, ByteAcc, NoLock, Preserve)",
                             "Device (SF8)", "Device (SFB)", "Device (COM1)", "Device (KBD)", "Device (HPET)",
                             "Name (_S5, Package (0x04)", "Method (_E01, 0, NotSerialized)"}) {
        EXPECT_NE(dsl.find(line), std::string::npos) << line;
    }
    for (const char* absent : {"_EJ0", "BSEL", "LNKS"}) EXPECT_EQ(dsl.find(absent), std::string::npos) << absent;
}
