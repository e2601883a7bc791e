// The pc and q35 machines' ACPI tables, as QEMU 7.2's pc-i440fx-7.2 and
// pc-q35-7.2 provide them: fw_cfg files "etc/acpi/tables" (FACS, DSDT,
// FADT, MADT, HPET when the board has one, for q35 MCFG once MMCONFIG is
// on and DMAR with an intel-iommu, WAET, RSDT), "etc/acpi/rsdp" (RSDP
// revision 0) and the loader script "etc/table-loader" that places and
// links them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "mimic/hw/fw_cfg.h"
#include "mimic/hw/intel_iommu.h"

namespace mimic::hw {

// What the tables describe, read from the machine when they are built.
struct PcAcpiConfig {
    enum class Chipset { kI440fx, kQ35 };
    Chipset chipset = Chipset::kI440fx;
    unsigned cpus = 1;  // APIC IDs 0..cpus-1
    uint64_t ram_below_4g = 0;
    uint64_t ram_above_4g = 0;
    uint16_t pm_io_base = 0;  // the PM block's I/O base as firmware programmed it (0: not yet)
    uint16_t sci_irq = 9;
    uint64_t mmconfig_base = 0, mmconfig_size = 0;  // Q35's MMCONFIG (size 0: off)
    std::optional<IntelIommuInfo> intel_iommu;      // the DMAR table's subject
    bool hpet = false;
    bool i8042 = true;
    bool rtc = true;
    struct SerialPort {
        unsigned index;  // COM1 = 0
        uint16_t iobase;
        uint8_t irq;
    };
    std::vector<SerialPort> serial_ports;
    struct PciFunction {
        uint8_t devfn;
        bool vga;
        bool hotpluggable = false;  // device_del may remove it
    };
    std::vector<PciFunction> pci_devices;  // bus 0, function 0 of each slot
    std::vector<PciFunction> pci_functions;  // bus 0, every function (q35's DSDT and DMAR)
    // Bus 0 hot-plugs through the ACPI PCI hotplug registers at 0xAE00:
    // every slot but those of built-in devices gets _SUN and _EJ0, and
    // GPE0 bit 1 notifies them.
    bool pci_hotplug = false;
};

struct PcAcpiFiles {
    std::vector<uint8_t> tables;
    std::vector<uint8_t> rsdp;
    std::vector<uint8_t> table_loader;
};

inline constexpr const char* kAcpiTablesFile = "etc/acpi/tables";
inline constexpr const char* kAcpiRsdpFile = "etc/acpi/rsdp";
inline constexpr const char* kTableLoaderFile = "etc/table-loader";
// QEMU pads the files to fixed sizes so that rebuilding them (the PM base
// changes when firmware programs it) never changes the directory.
inline constexpr size_t kAcpiTablesSize = 0x20000;
inline constexpr size_t kTableLoaderSize = 0x1000;

PcAcpiFiles build_pc_acpi(const PcAcpiConfig& config);
// The DSDT's definition block body: acpi_dsdt_pc.cpp for the i440FX,
// acpi_dsdt_q35.cpp for the Q35.
std::vector<uint8_t> build_pc_dsdt_aml(const PcAcpiConfig& config);
std::vector<uint8_t> build_q35_dsdt_aml(const PcAcpiConfig& config);

// Adds the three files to fw_cfg and rebuilds them from `describe()`
// whenever the guest selects one, as QEMU does after firmware has
// programmed the chipset.
void install_pc_acpi(FwCfg& fw_cfg, std::function<PcAcpiConfig()> describe);

}  // namespace mimic::hw
