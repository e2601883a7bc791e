// The pc machine's ACPI files and SMBIOS tables, built in-process: the
// loader script is executed here as SeaBIOS's romfile_loader would, then
// every table is checked: signatures, lengths, checksums, and the fields
// QEMU 7.2's pc-i440fx-7.2 tables hold (compared field by field with a
// dump of QEMU's tables).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "acpi_build.h"
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
