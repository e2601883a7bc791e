// The pc machine's ACPI files and SMBIOS tables, built in-process: the
// loader script is executed here as SeaBIOS's romfile_loader would, then
// every table is checked: signatures, lengths, checksums, and the fields
// QEMU 7.2's pc-i440fx-7.2 tables hold (compared field by field with a
// dump of QEMU's tables).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include "acpi_build.h"
#include "acpi_table.h"
#include "bios_linker_loader.h"
#include "smbios.h"

using mimic::hw::PcAcpiConfig;
using mimic::hw::acpi::BiosLinkerLoader;

namespace {

uint64_t le(const std::vector<uint8_t>& bytes, size_t offset, int size) {
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = value << 8 | bytes.at(offset + static_cast<size_t>(i));
    return value;
}

uint8_t sum(const uint8_t* data, size_t size) {
    uint8_t total = 0;
    for (size_t i = 0; i < size; ++i) total = static_cast<uint8_t>(total + data[i]);
    return total;
}

// Guest memory after a loader run: each allocated file at an address.
struct Loaded {
    std::map<std::string, std::vector<uint8_t>> files;
    std::map<std::string, uint64_t> address;
    std::vector<std::pair<std::string, std::pair<uint32_t, uint32_t>>> checksummed;  // file, (start, length)

    // A table by physical address, checked against its own length.
    std::vector<uint8_t> table_at(uint64_t physical) const {
        for (const auto& [name, base] : address) {
            const std::vector<uint8_t>& data = files.at(name);
            if (physical >= base && physical < base + data.size()) {
                size_t offset = physical - base;
                size_t length = le(data, offset + 4, 4);
                return {data.begin() + static_cast<long>(offset), data.begin() + static_cast<long>(offset + length)};
            }
        }
        ADD_FAILURE() << "no table at " << physical;
        return {};
    }
};

std::string name_at(const std::vector<uint8_t>& entry, size_t offset) {
    return std::string(reinterpret_cast<const char*>(&entry[offset]));
}

Loaded run_loader(const mimic::hw::PcAcpiFiles& files) {
    Loaded loaded;
    std::map<std::string, const std::vector<uint8_t>*> sources = {
        {mimic::hw::kAcpiTablesFile, &files.tables}, {mimic::hw::kAcpiRsdpFile, &files.rsdp}};
    const std::vector<uint8_t>& script = files.table_loader;
    EXPECT_EQ(script.size() % BiosLinkerLoader::kEntrySize, 0u);
    uint64_t high = 0x07fe0000, fseg = 0xf5000;
    for (size_t at = 0; at + BiosLinkerLoader::kEntrySize <= script.size(); at += BiosLinkerLoader::kEntrySize) {
        std::vector<uint8_t> entry(script.begin() + static_cast<long>(at),
                                   script.begin() + static_cast<long>(at + BiosLinkerLoader::kEntrySize));
        switch (le(entry, 0, 4)) {
        case BiosLinkerLoader::kAllocate: {
            std::string file = name_at(entry, 4);
            uint32_t align = static_cast<uint32_t>(le(entry, 60, 4));
            uint8_t zone = entry[64];
            EXPECT_TRUE(sources.count(file)) << file;
            loaded.files[file] = *sources[file];
            uint64_t& next = zone == 1 ? high : fseg;
            EXPECT_TRUE(zone == 1 || zone == 2);
            next = (next + align - 1) / align * align;
            loaded.address[file] = next;
            next += sources[file]->size();
            break;
        }
        case BiosLinkerLoader::kAddPointer: {
            std::string dest = name_at(entry, 4), src = name_at(entry, 60);
            uint32_t offset = static_cast<uint32_t>(le(entry, 116, 4));
            int size = entry[120];
            std::vector<uint8_t>& data = loaded.files.at(dest);
            uint64_t value = le(data, offset, size) + loaded.address.at(src);
            for (int i = 0; i < size; ++i) data[offset + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
            break;
        }
        case BiosLinkerLoader::kAddChecksum: {
            std::string file = name_at(entry, 4);
            auto offset = static_cast<uint32_t>(le(entry, 60, 4));
            auto start = static_cast<uint32_t>(le(entry, 64, 4));
            auto length = static_cast<uint32_t>(le(entry, 68, 4));
            std::vector<uint8_t>& data = loaded.files.at(file);
            data[offset] = static_cast<uint8_t>(data[offset] - sum(&data[start], length));
            loaded.checksummed.push_back({file, {start, length}});
            break;
        }
        case 0:
            break;  // padding
        default:
            ADD_FAILURE() << "unknown loader command";
        }
    }
    return loaded;
}

struct Tables {
    Loaded loaded;
    std::vector<uint8_t> rsdp, rsdt, fadt, facs, dsdt;
    std::map<std::string, std::vector<uint8_t>> by_signature;
};

Tables install(const PcAcpiConfig& config) {
    Tables t;
    t.loaded = run_loader(mimic::hw::build_pc_acpi(config));
    t.rsdp = t.loaded.files.at(mimic::hw::kAcpiRsdpFile);
    t.rsdt = t.loaded.table_at(le(t.rsdp, 16, 4));
    for (size_t at = 36; at + 4 <= t.rsdt.size(); at += 4) {
        std::vector<uint8_t> table = t.loaded.table_at(le(t.rsdt, at, 4));
        t.by_signature[std::string(table.begin(), table.begin() + 4)] = table;
    }
    t.fadt = t.by_signature.at("FACP");
    t.facs = t.loaded.table_at(le(t.fadt, 36, 4));
    t.dsdt = t.loaded.table_at(le(t.fadt, 40, 4));
    return t;
}

PcAcpiConfig pc_config(unsigned cpus, bool hpet) {
    PcAcpiConfig config;
    config.cpus = cpus;
    config.ram_below_4g = 128 << 20;
    config.pm_io_base = 0x600;
    config.hpet = hpet;
    config.serial_ports = {{0, 0x3f8, 4}};
    config.pci_devices = {{0x00, false}, {0x08, false}, {0x10, true}};
    return config;
}

std::vector<uint8_t> hex(const std::string& text) {
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i + 1 < text.size(); i += 2) bytes.push_back(static_cast<uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
    return bytes;
}

}  // namespace

// Fields wider than 8 bytes (DMAR's 10 reserved bytes) are zero-extended.
TEST(AcpiTable, WideFieldsAreZeroExtended) {
    std::vector<uint8_t> out;
    mimic::hw::acpi::put_le(out, 0x1122334455667788, 10);
    EXPECT_EQ(out, (std::vector<uint8_t>{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0, 0}));
    mimic::hw::acpi::set_le(out, 0, 0xff, 10);
    EXPECT_EQ(out, (std::vector<uint8_t>{0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(PcAcpi, FilesHaveQemusFixedSizesAndAllocations) {
    mimic::hw::PcAcpiFiles files = mimic::hw::build_pc_acpi(pc_config(1, true));
    EXPECT_EQ(files.tables.size(), 0x20000u);
    EXPECT_EQ(files.table_loader.size(), 0x1000u);
    EXPECT_EQ(files.rsdp.size(), 20u);
    // First command: the tables file, 64-byte aligned, high memory.
    EXPECT_EQ(le(files.table_loader, 0, 4), 1u);
    EXPECT_EQ(name_at(files.table_loader, 4), "etc/acpi/tables");
    EXPECT_EQ(le(files.table_loader, 60, 4), 64u);
    EXPECT_EQ(files.table_loader[64], 1);
}

TEST(PcAcpi, EveryTableIsChecksummedWholeAndSumsToZero) {
    Tables t = install(pc_config(2, true));
    EXPECT_EQ(sum(t.rsdp.data(), 20), 0);
    EXPECT_EQ(std::string(t.rsdp.begin(), t.rsdp.begin() + 8), "RSD PTR ");
    EXPECT_EQ(t.rsdp[15], 0);  // revision 0, as QEMU's pc
    std::vector<std::string> signatures;
    for (const auto& [signature, table] : t.by_signature) {
        signatures.push_back(signature);
        EXPECT_EQ(sum(table.data(), table.size()), 0) << signature;
    }
    EXPECT_EQ(signatures, (std::vector<std::string>{"APIC", "FACP", "HPET", "WAET"}));
    EXPECT_EQ(sum(t.rsdt.data(), t.rsdt.size()), 0);
    EXPECT_EQ(sum(t.dsdt.data(), t.dsdt.size()), 0);
    // One checksum command per table, covering exactly its length.
    for (const auto& [file, range] : t.loaded.checksummed) {
        if (file != mimic::hw::kAcpiTablesFile) continue;
        EXPECT_EQ(range.second, le(t.loaded.files.at(file), range.first + 4, 4));
    }
    EXPECT_EQ(t.loaded.checksummed.size(), 7u);  // DSDT FACP APIC HPET WAET RSDT + RSDP
}

TEST(PcAcpi, FadtMatchesQemu) {
    Tables t = install(pc_config(1, true));
    // QEMU 7.2's FADT for pc-i440fx-7.2 after SeaBIOS set the PM base to
    // 0x600, with the FACS and DSDT pointers and checksum zeroed.
    std::vector<uint8_t> fadt = t.fadt;
    fadt[9] = 0;
    std::fill(fadt.begin() + 36, fadt.begin() + 44, 0);
    EXPECT_EQ(fadt, hex("46414350740000000100424f434853204258504320202020010000004258504301000000000000000000000001000900"
                        "b2000000f1f00000000600000000000004060000000000000000000008060000e0af0000000000000402000404000000"
                        "ff0fff0f000000000000000032000000a5800000"));
    EXPECT_EQ(std::string(fadt.begin(), fadt.begin() + 4), "FACP");
    EXPECT_EQ(fadt.size(), 116u);
    EXPECT_EQ(fadt[8], 1);                    // revision 1
    EXPECT_EQ(le(fadt, 46, 2), 9u);          // SCI
    EXPECT_EQ(le(fadt, 48, 4), 0xb2u);       // SMI command port
    EXPECT_EQ(fadt[52], 0xf1);                // ACPI enable
    EXPECT_EQ(fadt[53], 0xf0);                // ACPI disable
    EXPECT_EQ(le(fadt, 56, 4), 0x600u);      // PM1a event block
    EXPECT_EQ(le(fadt, 64, 4), 0x604u);      // PM1a control block
    EXPECT_EQ(le(fadt, 76, 4), 0x608u);      // PM timer
    EXPECT_EQ(le(fadt, 80, 4), 0xafe0u);     // GPE0
    EXPECT_EQ(le(fadt, 88, 4), 0x04000204u); // PM1 evt 4, cnt 2, PM2 0, timer 4
    EXPECT_EQ(fadt[92], 4);                   // GPE0 length
    EXPECT_EQ(le(fadt, 96, 4), 0x0fff0fffu); // no C2/C3
    EXPECT_EQ(fadt[108], 0x32);               // RTC century
    EXPECT_EQ(le(fadt, 112, 4), 0x80a5u);    // flags
    EXPECT_EQ(std::string(t.facs.begin(), t.facs.begin() + 4), "FACS");
    EXPECT_EQ(t.facs.size(), 64u);
    EXPECT_EQ(le(t.fadt, 36, 4) % 64, 0u);  // the FACS is 64-byte aligned
}

TEST(PcAcpi, MadtMatchesQemu) {
    // QEMU 7.2 -machine pc -smp 2: the MADT body after the header.
    Tables t = install(pc_config(2, false));
    const std::vector<uint8_t>& madt = t.by_signature.at("APIC");
    std::vector<uint8_t> body(madt.begin() + 36, madt.end());
    EXPECT_EQ(body, hex("0000e0fe01000000"
                        "0008000001000000" "0008010101000000"
                        "010c00000000c0fe00000000"
                        "020a000002000000" "0000"
                        "020a000505000000" "0d00"
                        "020a000909000000" "0d00"
                        "020a000a0a000000" "0d00"
                        "020a000b0b000000" "0d00"
                        "0406ff000001"));
    EXPECT_EQ(t.by_signature.count("HPET"), 0u);
}

TEST(PcAcpi, HpetTableMatchesQemu) {
    Tables t = install(pc_config(1, true));
    const std::vector<uint8_t>& hpet = t.by_signature.at("HPET");
    EXPECT_EQ(std::vector<uint8_t>(hpet.begin() + 36, hpet.end()),
              hex("01a28680" "000000000000d0fe00000000" "00" "0000" "00"));
    // The table header QEMU writes for every table.
    EXPECT_EQ(std::vector<uint8_t>(hpet.begin() + 8, hpet.begin() + 9), hex("01"));
    EXPECT_EQ(std::vector<uint8_t>(hpet.begin() + 10, hpet.begin() + 36),
              hex("424f43485320" "4258504320202020" "01000000" "42585043" "01000000"));
}

TEST(PcAcpi, DsdtHoldsTheRootBridgeLinksAndSleepStates) {
    Tables t = install(pc_config(1, true));
    std::string dsdt(t.dsdt.begin(), t.dsdt.end());
    auto contains = [&](const std::string& bytes) { return dsdt.find(bytes) != std::string::npos; };
    auto raw = [](const std::string& text) {
        std::vector<uint8_t> bytes = hex(text);
        return std::string(bytes.begin(), bytes.end());
    };
    EXPECT_TRUE(contains(raw("085f4849440c41d00a03")));      // Name (_HID, EisaId ("PNP0A03"))
    EXPECT_TRUE(contains(raw("085f53355f12060400000000")));  // \_S5: SLP_TYP 0, PIIX4 soft-off
    EXPECT_TRUE(contains(raw("085f53345f1208040a020a020000")));
    for (const char* link : {"LNKA", "LNKB", "LNKC", "LNKD", "LNKS", "_PRT", "HPET", "COM1", "RTC_", "KBD_", "MOU_",
                             "FWCF", "C000", "S10_"})
        EXPECT_TRUE(contains(link)) << link;
    // The 32-bit PCI window starts where low RAM ends.
    EXPECT_TRUE(contains(raw("871700000c010000000000000008ffffbffe000000000000c0f6")));
    Tables no_hpet = install(pc_config(1, false));
    std::string without(no_hpet.dsdt.begin(), no_hpet.dsdt.end());
    EXPECT_EQ(without.find("HPTM"), std::string::npos);
}

// The q35 machine as QEMU 7.2 -machine q35 -m 512 -nodefaults -vga std
// -serial null describes it once SeaBIOS has set PMBASE to 0x600 and
// MMCONFIG to 0xB0000000 (Mimic's board lacks the AHCI at 1f.2).
PcAcpiConfig q35_config() {
    PcAcpiConfig config;
    config.chipset = PcAcpiConfig::Chipset::kQ35;
    config.cpus = 1;
    config.ram_below_4g = 512 << 20;
    config.pm_io_base = 0x600;
    config.hpet = true;
    config.serial_ports = {{0, 0x3f8, 4}};
    config.mmconfig_base = 0xb0000000;
    config.mmconfig_size = 0x10000000;
    config.pci_devices = {{0x00, false}, {0x08, true}, {0xf8, false}};
    config.pci_functions = {{0x00, false}, {0x08, true}, {0xf8, false}, {0xfb, false}};
    return config;
}

bool holds(const std::vector<uint8_t>& table, const std::string& hex_bytes) {
    std::vector<uint8_t> bytes = hex(hex_bytes);
    return std::search(table.begin(), table.end(), bytes.begin(), bytes.end()) != table.end();
}

TEST(Q35Acpi, TablesComeInQemusOrder) {
    PcAcpiConfig config = q35_config();
    config.intel_iommu = mimic::hw::IntelIommuInfo{};
    Tables t = install(config);
    EXPECT_EQ(t.rsdp[15], 0);  // still revision 0, RSDT only
    std::vector<std::string> order;
    uint64_t last = 0;
    for (size_t at = 36; at + 4 <= t.rsdt.size(); at += 4) {
        std::vector<uint8_t> table = t.loaded.table_at(le(t.rsdt, at, 4));
        order.push_back(std::string(table.begin(), table.begin() + 4));
        EXPECT_EQ(sum(table.data(), table.size()), 0) << order.back();
        EXPECT_GT(le(t.rsdt, at, 4), last) << "laid out in RSDT order";
        last = le(t.rsdt, at, 4);
    }
    EXPECT_EQ(order, (std::vector<std::string>{"FACP", "APIC", "HPET", "MCFG", "DMAR", "WAET"}));
    EXPECT_EQ(sum(t.dsdt.data(), t.dsdt.size()), 0);
    // Before firmware enables MMCONFIG there is no MCFG; no DMAR without
    // an intel-iommu.
    config.mmconfig_size = 0;
    config.intel_iommu.reset();
    Tables bare = install(config);
    EXPECT_EQ(bare.by_signature.count("MCFG"), 0u);
    EXPECT_EQ(bare.by_signature.count("DMAR"), 0u);
}

TEST(Q35Acpi, FadtMatchesQemu) {
    Tables t = install(q35_config());
    // QEMU 7.2's pc-q35-7.2 FADT (revision 3, 244 bytes) with the FACS,
    // DSDT and X_DSDT pointers and the checksum zeroed.
    std::vector<uint8_t> fadt = t.fadt;
    fadt[9] = 0;
    std::fill(fadt.begin() + 36, fadt.begin() + 44, 0);
    std::fill(fadt.begin() + 140, fadt.begin() + 148, 0);
    EXPECT_EQ(fadt, hex("46414350f40000000300424f434853204258504320202020010000004258504301000000000000000000000001000900"
                        "b20000000203000000060000000000000406000000000000000000000806000020060000000000000402000410000000"
                        "ff0fff0f000000000000000032020000a584000001080000f90c0000000000000f000000000000000000000000000000"
                        "000000000120000000060000000000000000000000000000000000000110000004060000000000000000000000000000"
                        "000000000000000000000000000000000120000008060000000000000180000020060000000000000000000000000000"
                        "00000000"));
    // X_DSDT points at the DSDT as the 32-bit field does; X_FACS stays 0.
    EXPECT_EQ(le(t.fadt, 140, 8), le(t.fadt, 40, 4));
    EXPECT_EQ(le(t.fadt, 132, 8), 0u);
    // The PM blocks follow PMBASE wherever firmware puts it.
    PcAcpiConfig moved = q35_config();
    moved.pm_io_base = 0xb000;
    moved.i8042 = false;
    Tables m = install(moved);
    EXPECT_EQ(le(m.fadt, 80, 4), 0xb020u);   // GPE0
    EXPECT_EQ(le(m.fadt, 224, 8), 0xb020u);  // X_GPE0
    EXPECT_EQ(le(m.fadt, 176, 8), 0xb004u);  // X_PM1a_CNT
    EXPECT_EQ(le(m.fadt, 109, 2), 0u);       // no 8042
}

TEST(Q35Acpi, McfgMatchesQemu) {
    Tables t = install(q35_config());
    EXPECT_EQ(t.by_signature.at("MCFG"),
              hex("4d4346473c000000018c424f4348532042585043202020200100000042585043010000000000000000000000000000b0"
                  "00000000000000ff00000000"));
}

TEST(Q35Acpi, DmarMatchesQemu) {
    // -device intel-iommu (interrupt remapping on by default under TCG)
    // and -device intel-iommu,intremap=on,device-iotlb=on,aw-bits=48 on
    // QEMU's board, whose 1f.2 (AHCI) is listed here too.
    PcAcpiConfig config = q35_config();
    config.pci_functions = {{0x00, false}, {0x08, true}, {0xf8, false}, {0xfa, false}, {0xfb, false}};
    config.intel_iommu = mimic::hw::IntelIommuInfo{39, true, false};
    EXPECT_EQ(install(config).by_signature.at("DMAR"),
              hex("444d4152700000000128424f43485320425850432020202001000000425850430100000026010000000000000000000000"
                  "004000000000000000d9fe000000000308000000ff0000010800000000000001080000000001000108000000001f000108"
                  "000000001f020108000000001f03"));
    config.intel_iommu = mimic::hw::IntelIommuInfo{48, true, true};
    EXPECT_EQ(install(config).by_signature.at("DMAR"),
              hex("444d415278000000010c424f4348532042585043202020200100000042585043010000002f010000000000000000000000"
                  "004000000000000000d9fe000000000308000000ff0000010800000000000001080000000001000108000000001f000108"
                  "000000001f020108000000001f030200080001000000"));
    config.intel_iommu = mimic::hw::IntelIommuInfo{39, false, false};
    EXPECT_EQ(install(config).by_signature.at("DMAR")[37], 0);  // no INTR_REMAP
}

TEST(Q35Acpi, DsdtObjectsMatchQemu) {
    Tables t = install(q35_config());
    const std::vector<uint8_t>& dsdt = t.dsdt;
    // Objects cut from QEMU 7.2's pc-q35-7.2 DSDT.
    const std::map<std::string, std::string> objects = {
        {"PCI0 _HID/_CID", "085f4849440c41d00a08085f4349440c41d00a03"},
        {"_OSC", "144c075f4f5343048a6b0043445731a04e05936811130a105b4ddb33f71f1c4096577441c03dd7668a6b0a04434457328a6b"
                 "0a08434457337043445733607b600a1e60a010929369017d434457310a0843445731a013929343445733607d434457310a"
                 "1043445731706043445733a10c7d434457310a0443445731a46b"},
        {"DRAC", "5b823844524143085f4849440d504e503043303100085f435253111f0a1c871700000c0100000000000000b0ffffffbf0000"
                 "0000000000107900"},
        {"PICF/_PIC", "085049434600140c5f50494301706850494346"},
        {"_PRT", "141a5f50525400a00c935049434600a450525450a106a450525441"},
        {"PRTP", "0850525450124b7380120b040bffff004c4e4b4500120b040bffff014c4e4b4600120c040bffff0a024c4e4b4700120c"
                 "040bffff0a034c4e4b4800120d"},
        {"PRTA", "0850525441124b7380120b040bffff004753494500120b040bffff014753494600120c040bffff0a024753494700120c"
                 "040bffff0a034753494800120d"},
        {"IQCR", "143449514352090850525230110e0a0b89060009010000000079008a505252300a0550525249707b680a0f0050525249a4"
                 "50525230"},
        {"LNKE", "5b824d074c4e4b45085f4849440c41d00c0f085f5549440a04085f50525311160a13890e000903050000000a0000000b00"
                 "00007900140f5f53544100a4495153545052514514115f444953007d505251450a8050525145140f5f43525300a4495143"
                 "525052514514175f535253018a680a0550525249705052524950525145"},
        {"GSIA", "5b824d0447534941085f4849440c41d00c0f085f5549440a10085f505253110e0a0b8906000901100000007900085f4352"
                 "53110e0a0b890600090110000000790014065f4449530014065f53525301"},
        {"PCI0 _CRS", "085f435253114a0b0ab6880d00020c0000000000ff00000000014701f80cf80c0108880d00010c0300000000f70c0000"
                      "f80c880d00010c030000000dffff000000f3871700000c030000000000000a00ffff0b00000000000000020087170000"
                      "0c010000000000000020ffffffaf0000000000000090871700000c0100000000000000c0ffffbffe000000000000c03e"
                      "8a2b00000c0300000000000000000000000001000000ffffffff08000000000000000000000000000000080000007900"},
        {"GPE0", "5b82430447504530085f4849440d504e503041303600085f5549440d47504530207265736f757263657300085f5354410a"
                 "0b085f435253110d0a0a47012006200601107900"},
        {"PHPR", "5b824a0450485052085f4849440d504e503041303600085f5549440d50434920486f74706c7567207265736f7572636573"
                 "00085f5354410a0b085f435253110d0a0a4701c00cc00c01187900"},
        {"SF8 and the PIRQ fields", "5b8246115346385f085f4144520c00001f005b8050495251020a600a0c1043045c5f53425f5b813a2f"
                                    "03504349305346385f5049525101505251410850525142085052514308505251440800205052514508"
                                    "505251460850525147085052514808"},
        {"S00", "5b820b5330305f085f41445200"},
        {"SFB", "5b820f5346425f085f4144520c03001f00"},
        {"PCNT", "140650434e5400"},
    };
    for (const auto& [what, bytes] : objects) EXPECT_TRUE(holds(dsdt, bytes)) << what;
    // Native PCIe: no ejectable slots, no pc-only objects.
    std::string text(dsdt.begin(), dsdt.end());
    for (const char* absent : {"_EJ0", "BSEL", "_SUN", "LNKS", "P40C"})
        EXPECT_EQ(text.find(absent), std::string::npos) << absent;
    for (const char* present : {"HPET", "COM1", "RTC_", "KBD_", "MOU_", "FWCF", "C000", "_S5_", "_E01", "DBUG"})
        EXPECT_NE(text.find(present), std::string::npos) << present;
}

TEST(Q35Acpi, SerialPortsInQemusOrder) {
    // QEMU lists the ISA devices last-created first: COM2 before COM1.
    PcAcpiConfig config = q35_config();
    config.serial_ports = {{0, 0x3f8, 4}, {1, 0x2f8, 3}};
    std::vector<uint8_t> dsdt = install(config).dsdt;
    std::string text(dsdt.begin(), dsdt.end());
    ASSERT_NE(text.find("COM1"), std::string::npos);
    EXPECT_LT(text.find("COM2"), text.find("COM1"));
    EXPECT_LT(text.find("MOU_"), text.find("COM2"));
    EXPECT_LT(text.find("COM1"), text.find("RTC_"));
}

// Every _PRT entry: PIC mode on LNKx, APIC mode on GSIx, the PIRQ the LPC
// routes the slot's pin to (QEMU's tables, and lpc_ich9.cpp's wiring).
TEST(Q35Acpi, PrtFollowsTheLpcRouting) {
    Tables t = install(q35_config());
    for (const std::string prefix : {"LNK", "GSI"}) {
        std::string name = prefix == "LNK" ? "PRTP" : "PRTA";
        auto at = std::search(t.dsdt.begin(), t.dsdt.end(), name.begin(), name.end());
        ASSERT_NE(at, t.dsdt.end());
        size_t pos = static_cast<size_t>(at - t.dsdt.begin()) + 4;
        ASSERT_EQ(t.dsdt[pos], 0x12);  // PackageOp, two-byte PkgLength, 128 elements
        ASSERT_EQ(t.dsdt[pos + 3], 0x80);
        pos += 4;
        for (int slot = 0; slot < 32; ++slot) {
            for (int pin = 0; pin < 4; ++pin) {
                ASSERT_EQ(t.dsdt[pos], 0x12);
                size_t end = pos + 1 + t.dsdt[pos + 1];
                pos += 3;  // PackageOp, PkgLength, count
                uint64_t address = t.dsdt[pos] == 0x0b ? le(t.dsdt, pos + 1, 2) : le(t.dsdt, pos + 1, 4);
                pos += t.dsdt[pos] == 0x0b ? 3 : 5;
                int encoded_pin = t.dsdt[pos] == 0x0a ? t.dsdt[pos + 1] : t.dsdt[pos];
                pos += t.dsdt[pos] == 0x0a ? 2 : 1;
                std::string link(t.dsdt.begin() + static_cast<long>(pos), t.dsdt.begin() + static_cast<long>(pos + 4));
                int pirq = slot == 30 ? 4 + pin : slot >= 25 ? pin : (slot + pin) % 4 + 4;
                EXPECT_EQ(address, static_cast<uint64_t>(slot) << 16 | 0xffff);
                EXPECT_EQ(encoded_pin, pin);
                EXPECT_EQ(link, prefix + static_cast<char>('A' + pirq)) << "slot " << slot << " pin " << pin;
                pos = end;
            }
        }
    }
}

TEST(PcSmbios, StructuresMatchQemu) {
    mimic::hw::SmbiosConfig config;
    config.ram_size = 128 << 20;
    config.ram_ranges = {{0, 128 << 20}};
    config.processor_id = 0x078bfbfd00060fb1ull;  // QEMU's qemu64, to compare with its dump
    mimic::hw::SmbiosFiles files = mimic::hw::build_smbios(config);
    // QEMU 7.2's etc/smbios/smbios-tables for -machine pc -m 128 (types
    // 1, 3, 4, 16, 17, 19, 32, 127; SeaBIOS adds type 0).
    EXPECT_EQ(files.tables,
              hex("011b0001010203000000000000000000000000000000000006000051454d55005374616e646172642050432028693434"
                  "304658202b20504949582c2031393936290070632d6934343066782d372e320000031600030101020000030303020000"
                  "0000000000000051454d550070632d6934343066782d372e320000042a000401030102b10f0600fdfb8b0703000000d0"
                  "07d0074101ffffffffffff0000000101010200010043505520300051454d550070632d6934343066782d372e32000010"
                  "17001001030600000200feff010000000000000000000000112800110010feffffffffff800009000100070200000002"
                  "0000000000000000000000000000000044494d4d20300051454d550000131f001300000000ffff010000100100000000"
                  "0000000000000000000000000000200b00200000000000000000007f04007f0000"));
    ASSERT_EQ(files.anchor.size(), 31u);
    EXPECT_EQ(std::string(files.anchor.begin(), files.anchor.begin() + 4), "_SM_");
    EXPECT_EQ(sum(files.anchor.data(), 31), 0);
    EXPECT_EQ(sum(files.anchor.data() + 16, 15), 0);
    EXPECT_EQ(files.anchor[6], 2);
    EXPECT_EQ(files.anchor[7], 8);
    EXPECT_EQ(le(files.anchor, 22, 2), files.tables.size());
    EXPECT_EQ(le(files.anchor, 28, 2), 8u);     // structures
    EXPECT_EQ(le(files.anchor, 8, 2), 81u);     // largest: type 1 with its strings
    EXPECT_EQ(files.anchor[30], 0x28);
}

TEST(PcSmbios, CommandLineFieldsAndLargeMemory) {
    mimic::hw::SmbiosConfig config;
    config.type0 = {{"vendor", "Acme"}, {"release", "1.2"}, {"uefi", "on"}};
    config.type1 = {{"serial", "S1"}, {"family", "F"}};
    config.uuid = "550e8400-e29b-41d4-a716-446655440000";
    config.sockets = 2;
    config.cores = 2;
    config.ram_size = 20ull << 30;  // two DIMMs: 16 GiB and 4 GiB
    config.ram_ranges = {{0, 3ull << 30}, {1ull << 32, 17ull << 30}};
    mimic::hw::SmbiosFiles files = mimic::hw::build_smbios(config);

    std::vector<std::pair<int, std::vector<uint8_t>>> structures;  // type, formatted area
    std::vector<std::vector<std::string>> strings;
    for (size_t at = 0; at < files.tables.size();) {
        uint8_t type = files.tables[at], length = files.tables[at + 1];
        structures.push_back({type, {files.tables.begin() + static_cast<long>(at),
                                     files.tables.begin() + static_cast<long>(at + length)}});
        at += length;
        std::vector<std::string> texts;
        while (files.tables.at(at) != 0) {
            std::string text(reinterpret_cast<const char*>(&files.tables[at]));
            texts.push_back(text);
            at += text.size() + 1;
        }
        at += texts.empty() ? 2 : 1;
        strings.push_back(texts);
    }
    std::vector<int> types;
    for (const auto& s : structures) types.push_back(s.first);
    EXPECT_EQ(types, (std::vector<int>{0, 1, 3, 4, 4, 16, 17, 17, 19, 19, 32, 127}));
    EXPECT_EQ(le(files.anchor, 28, 2), types.size());

    const auto& bios = structures[0].second;
    EXPECT_EQ(strings[0], (std::vector<std::string>{"Acme"}));
    EXPECT_EQ(bios[0x13], 0x1c);  // VM, targeted content distribution, UEFI
    EXPECT_EQ(bios[0x14], 1);     // release 1.2
    EXPECT_EQ(bios[0x15], 2);
    const auto& system = structures[1].second;
    EXPECT_EQ(strings[1], (std::vector<std::string>{"QEMU", "Standard PC (i440FX + PIIX, 1996)", "pc-i440fx-7.2",
                                                   "S1", "F"}));
    // UUID: the first three fields little-endian.
    EXPECT_EQ(std::vector<uint8_t>(system.begin() + 8, system.begin() + 24),
              hex("00840e559be2d441a716446655440000"));
    EXPECT_EQ(le(structures[4].second, 2, 2), 0x0401u);  // second socket
    EXPECT_EQ(structures[4].second[0x23], 2);            // cores
    EXPECT_EQ(strings[4][0], "CPU 1");
    EXPECT_EQ(le(structures[5].second, 7, 4), 20ull << 20);  // array capacity in KiB
    EXPECT_EQ(le(structures[5].second, 13, 2), 2u);           // devices
    EXPECT_EQ(le(structures[6].second, 12, 2), 16384u);       // DIMM 0: 16 GiB in MiB
    EXPECT_EQ(le(structures[7].second, 12, 2), 4096u);
    EXPECT_EQ(le(structures[9].second, 4, 4), 4ull << 20);               // 4 GiB in KiB
    EXPECT_EQ(le(structures[9].second, 8, 4), (21ull << 20) - 1);        // last KiB
}
