// SMBIOS tables as QEMU 7.2 gives them to SeaBIOS on the pc machine:
// fw_cfg files "etc/smbios/smbios-tables" (the structures) and
// "etc/smbios/smbios-anchor" (a 32-bit "_SM_" entry point, version 2.8,
// whose table address the firmware fills in when it places the tables).
//
// Structures: type 0 only when -smbios type=0 gives fields (otherwise
// SeaBIOS adds its own), 1 (system), 3 (chassis), 4 per socket, 16 (memory
// array), 17 per 16 GiB DIMM, 19 per RAM range, 32 (boot status), 127.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mimic::hw {

struct SmbiosConfig {
    // Defaults QEMU derives from the machine type.
    std::string manufacturer = "QEMU";
    std::string product = "Standard PC (i440FX + PIIX, 1996)";
    std::string version = "pc-i440fx-7.2";
    // -smbios type=0,... and type=1,... fields by QEMU's names (vendor,
    // version, date, release, uefi; manufacturer, product, version, serial,
    // uuid, sku, family).
    std::map<std::string, std::string> type0;
    std::map<std::string, std::string> type1;
    std::string uuid;  // -uuid, "" for none (all zeros)
    unsigned sockets = 1, cores = 1, threads = 1;
    uint64_t ram_size = 0;
    struct Range {
        uint64_t start, size;
    };
    std::vector<Range> ram_ranges;  // as in the e820 map
    uint64_t processor_id = 0;      // CPUID leaf 1: EAX, then EDX in the high half
};

struct SmbiosFiles {
    std::vector<uint8_t> anchor;
    std::vector<uint8_t> tables;
};

inline constexpr const char* kSmbiosAnchorFile = "etc/smbios/smbios-anchor";
inline constexpr const char* kSmbiosTablesFile = "etc/smbios/smbios-tables";

SmbiosFiles build_smbios(const SmbiosConfig& config);

}  // namespace mimic::hw
