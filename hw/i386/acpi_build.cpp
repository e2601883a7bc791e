// The pc and q35 machines' ACPI tables (see acpi_build.h), laid out in
// etc/acpi/tables in QEMU's order: FACS, DSDT, FADT, MADT, HPET, then for
// q35 MCFG and DMAR, WAET, RSDT; the RSDP in its own file for the F
// segment.
#include "acpi_build.h"

#include <memory>

#include "../acpi/acpi_table.h"

namespace mimic::hw {
namespace {

using acpi::BiosLinkerLoader;
using acpi::put_le;
using acpi::set_le;

constexpr uint16_t kSciIrq = 9;
constexpr uint8_t kApmControlPort = 0xb2;
// What firmware writes to the APM port to switch ACPI on and off: PIIX4
// and ICH9 (QEMU's ICH9_APM_ACPI_ENABLE/DISABLE) differ.
constexpr uint8_t kAcpiEnable = 0xf1;
constexpr uint8_t kAcpiDisable = 0xf0;
constexpr uint8_t kIch9AcpiEnable = 0x02;
constexpr uint8_t kIch9AcpiDisable = 0x03;
constexpr uint16_t kGpe0Base = 0xafe0;
constexpr uint16_t kIch9Gpe0Offset = 0x20;  // GPE0 at PMBASE + 0x20, 16 bytes
constexpr uint8_t kIch9Gpe0Length = 0x10;
constexpr uint16_t kResetControlPort = 0xcf9;
constexpr uint8_t kResetValue = 0x0f;  // QEMU's: full reset, CPU reset, system reset
constexpr uint8_t kRtcCenturyIndex = 0x32;
constexpr uint32_t kLocalApicBase = 0xfee00000;
constexpr uint32_t kIoApicBase = 0xfec00000;
constexpr uint8_t kIoApicId = 0;  // QEMU's ACPI_BUILD_IOAPIC_ID
constexpr uint64_t kHpetBase = 0xfed00000;
constexpr uint32_t kHpetBlockId = 0x8086a201;  // the event timer block ID QEMU's HPET reports

// FADT flags: WBINVD, PROC_C1, SLP_BUTTON, RTC_S4, USE_PLATFORM_CLOCK;
// q35's revision 3 adds RESET_REG_SUP.
constexpr uint32_t kFadtFlags = 1u << 0 | 1u << 2 | 1u << 5 | 1u << 7 | 1u << 15;
constexpr uint32_t kFadtResetRegSupported = 1u << 10;
constexpr uint16_t kBootArch8042 = 1u << 1;  // IAPC_BOOT_ARCH: keyboard controller at 0x60/0x64
constexpr uint8_t kGasSystemIo = 1;
// MADT interrupt source override flags: active high, level triggered.
constexpr uint16_t kLevelActiveHigh = 0x000d;

size_t build_facs(std::vector<uint8_t>& blob) {
    size_t start = blob.size();
    for (char c : {'F', 'A', 'C', 'S'}) blob.push_back(static_cast<uint8_t>(c));
    put_le(blob, 64, 4);
    blob.resize(start + 64, 0);
    return start;
}

size_t build_dsdt(std::vector<uint8_t>& blob, BiosLinkerLoader& linker, const PcAcpiConfig& config) {
    acpi::TableWriter table(blob, "DSDT", 1);
    std::vector<uint8_t> aml = config.chipset == PcAcpiConfig::Chipset::kQ35 ? build_q35_dsdt_aml(config)
                                                                             : build_pc_dsdt_aml(config);
    blob.insert(blob.end(), aml.begin(), aml.end());
    return table.finish(linker, kAcpiTablesFile);
}

// The FADT as QEMU 7.2 builds it: revision 1 (ACPI 1.0, 116 bytes) for
// pc; revision 3 (ACPI 2.0, 244 bytes) for q35, with the reset register,
// IAPC_BOOT_ARCH and the 64-bit X_ copies of the blocks (X_FACS left 0,
// as QEMU).
size_t build_fadt(std::vector<uint8_t>& blob, BiosLinkerLoader& linker, const PcAcpiConfig& config, size_t facs,
                  size_t dsdt) {
    bool q35 = config.chipset == PcAcpiConfig::Chipset::kQ35;
    acpi::TableWriter table(blob, "FACP", q35 ? 3 : 1);
    size_t facs_field = blob.size();
    put_le(blob, facs, 4);
    linker.add_pointer(kAcpiTablesFile, static_cast<uint32_t>(facs_field), 4, kAcpiTablesFile);
    size_t dsdt_field = blob.size();
    put_le(blob, dsdt, 4);
    linker.add_pointer(kAcpiTablesFile, static_cast<uint32_t>(dsdt_field), 4, kAcpiTablesFile);
    blob.push_back(1);  // INT_MODEL (reserved in ACPI 2.0+; 1 = multiple APIC)
    blob.push_back(0);  // preferred PM profile: unspecified
    put_le(blob, q35 ? config.sci_irq : kSciIrq, 2);
    put_le(blob, kApmControlPort, 4);
    blob.push_back(q35 ? kIch9AcpiEnable : kAcpiEnable);
    blob.push_back(q35 ? kIch9AcpiDisable : kAcpiDisable);
    blob.push_back(0);  // S4BIOS_REQ
    blob.push_back(0);  // PSTATE_CNT
    uint32_t pm = config.pm_io_base;
    uint32_t gpe0 = q35 ? pm + kIch9Gpe0Offset : kGpe0Base;
    uint8_t gpe0_length = q35 ? kIch9Gpe0Length : 4;
    put_le(blob, pm, 4);      // PM1a_EVT_BLK
    put_le(blob, 0, 4);       // PM1b_EVT_BLK
    put_le(blob, pm + 4, 4);  // PM1a_CNT_BLK
    put_le(blob, 0, 4);       // PM1b_CNT_BLK
    put_le(blob, 0, 4);       // PM2_CNT_BLK
    put_le(blob, pm + 8, 4);  // PM_TMR_BLK
    put_le(blob, gpe0, 4);
    put_le(blob, 0, 4);  // GPE1_BLK
    blob.push_back(4);   // PM1_EVT_LEN
    blob.push_back(2);   // PM1_CNT_LEN
    blob.push_back(0);   // PM2_CNT_LEN
    blob.push_back(4);   // PM_TMR_LEN
    blob.push_back(gpe0_length);
    blob.push_back(0);   // GPE1_BLK_LEN
    blob.push_back(0);   // GPE1_BASE
    blob.push_back(0);   // CST_CNT
    put_le(blob, 0x0fff, 2);  // P_LVL2_LAT: C2 not supported
    put_le(blob, 0x0fff, 2);  // P_LVL3_LAT: C3 not supported
    put_le(blob, 0, 2);       // FLUSH_SIZE
    put_le(blob, 0, 2);       // FLUSH_STRIDE
    blob.push_back(0);        // DUTY_OFFSET
    blob.push_back(0);        // DUTY_WIDTH
    blob.push_back(0);        // DAY_ALRM
    blob.push_back(0);        // MON_ALRM
    blob.push_back(kRtcCenturyIndex);
    put_le(blob, q35 && config.i8042 ? kBootArch8042 : 0, 2);  // IAPC_BOOT_ARCH (ACPI 2.0+)
    blob.push_back(0);   // reserved
    put_le(blob, q35 ? kFadtFlags | kFadtResetRegSupported : kFadtFlags, 4);
    if (!q35) return table.finish(linker, kAcpiTablesFile);

    acpi::put_gas(blob, kGasSystemIo, 8, 0, 0, kResetControlPort);  // RESET_REG
    blob.push_back(kResetValue);
    put_le(blob, 0, 3);  // reserved (ARM_BOOT_ARCH, minor revision in later revisions)
    put_le(blob, 0, 8);  // X_FACS: QEMU gives the FACS by its 32-bit address only
    size_t x_dsdt_field = blob.size();
    put_le(blob, dsdt, 8);
    linker.add_pointer(kAcpiTablesFile, static_cast<uint32_t>(x_dsdt_field), 8, kAcpiTablesFile);
    auto io_block = [&](uint8_t bits, uint32_t address) { acpi::put_gas(blob, kGasSystemIo, bits, 0, 0, address); };
    auto no_block = [&] { acpi::put_gas(blob, 0, 0, 0, 0, 0); };
    io_block(32, pm);      // X_PM1a_EVT_BLK
    no_block();            // X_PM1b_EVT_BLK
    io_block(16, pm + 4);  // X_PM1a_CNT_BLK
    no_block();            // X_PM1b_CNT_BLK
    no_block();            // X_PM2_CNT_BLK
    io_block(32, pm + 8);  // X_PM_TMR_BLK
    io_block(static_cast<uint8_t>(gpe0_length * 8), gpe0);  // X_GPE0_BLK
    no_block();            // X_GPE1_BLK
    return table.finish(linker, kAcpiTablesFile);
}

size_t build_madt(std::vector<uint8_t>& blob, BiosLinkerLoader& linker, const PcAcpiConfig& config) {
    acpi::TableWriter table(blob, "APIC", 1);
    put_le(blob, kLocalApicBase, 4);
    put_le(blob, 1, 4);  // PCAT_COMPAT: dual 8259s present
    for (unsigned cpu = 0; cpu < config.cpus; ++cpu) {
        blob.insert(blob.end(), {0, 8, static_cast<uint8_t>(cpu), static_cast<uint8_t>(cpu)});
        put_le(blob, 1, 4);  // enabled
    }
    blob.insert(blob.end(), {1, 12, kIoApicId, 0});
    put_le(blob, kIoApicBase, 4);
    put_le(blob, 0, 4);  // GSI base
    auto source_override = [&](uint8_t irq, uint32_t gsi, uint16_t flags) {
        blob.insert(blob.end(), {2, 10, 0, irq});
        put_le(blob, gsi, 4);
        put_le(blob, flags, 2);
    };
    // The PIT's IRQ 0 is wired to IOAPIC pin 2; the PCI link IRQs and the
    // SCI are level triggered, active high.
    source_override(0, 2, 0);
    for (uint8_t irq : {5, 9, 10, 11}) source_override(irq, irq, kLevelActiveHigh);
    blob.insert(blob.end(), {4, 6, 0xff, 0, 0, 1});  // LINT1 of every CPU is NMI
    return table.finish(linker, kAcpiTablesFile);
}

size_t build_hpet(std::vector<uint8_t>& blob, BiosLinkerLoader& linker) {
    acpi::TableWriter table(blob, "HPET", 1);
    put_le(blob, kHpetBlockId, 4);
    acpi::put_gas(blob, 0, 0, 0, 0, kHpetBase);
    blob.push_back(0);   // HPET number
    put_le(blob, 0, 2);  // minimum clock tick in periodic mode
    blob.push_back(0);   // page protection
    return table.finish(linker, kAcpiTablesFile);
}

// PCI Express memory-mapped configuration: one allocation for segment 0,
// the buses MMCONFIG covers.
size_t build_mcfg(std::vector<uint8_t>& blob, BiosLinkerLoader& linker, const PcAcpiConfig& config) {
    acpi::TableWriter table(blob, "MCFG", 1);
    put_le(blob, 0, 8);  // reserved
    put_le(blob, config.mmconfig_base, 8);
    put_le(blob, 0, 2);  // PCI segment group
    blob.push_back(0);   // start bus
    blob.push_back(static_cast<uint8_t>((config.mmconfig_size - 1) >> 20));  // end bus: 1 MiB each
    put_le(blob, 0, 4);  // reserved
    return table.finish(linker, kAcpiTablesFile);
}

// DMA remapping (VT-d spec 8.1): one remapping unit whose scope lists the
// IOAPIC (on QEMU's pseudo bus) and every function of pcie.0 by path, as
// QEMU 7.2 enumerates them rather than setting INCLUDE_PCI_ALL; an ATSR
// covering all root ports when device-iotlb is on.
size_t build_dmar(std::vector<uint8_t>& blob, BiosLinkerLoader& linker, const PcAcpiConfig& config) {
    constexpr uint16_t kDrhd = 0, kAtsr = 2;
    constexpr uint8_t kScopePciEndpoint = 1, kScopeIoapic = 3;
    constexpr uint8_t kIntrRemap = 1u << 0, kAtsrAllPorts = 1u << 0;
    const IntelIommuInfo& iommu = *config.intel_iommu;
    acpi::TableWriter table(blob, "DMAR", 1);
    blob.push_back(static_cast<uint8_t>(iommu.host_address_width - 1));  // HAW is width - 1
    blob.push_back(iommu.interrupt_remapping ? kIntrRemap : 0);
    put_le(blob, 0, 10);  // reserved

    size_t drhd = blob.size();
    put_le(blob, kDrhd, 2);
    put_le(blob, 0, 2);  // length, below
    blob.push_back(0);   // flags: the scope is explicit
    blob.push_back(0);   // reserved
    put_le(blob, 0, 2);  // segment
    put_le(blob, kIntelIommuBase, 8);
    auto scope = [&](uint8_t type, uint8_t enumeration_id, uint8_t bus, uint8_t devfn) {
        blob.insert(blob.end(), {type, 8, 0, 0, enumeration_id, bus, static_cast<uint8_t>(devfn >> 3),
                                 static_cast<uint8_t>(devfn & 7)});
    };
    scope(kScopeIoapic, kIoApicId, kQ35PseudoBusPlatform, kQ35PseudoDevfnIoapic);
    for (const PcAcpiConfig::PciFunction& function : config.pci_functions)
        scope(kScopePciEndpoint, 0, 0, function.devfn);
    set_le(blob, drhd + 2, blob.size() - drhd, 2);

    if (iommu.device_iotlb) {
        put_le(blob, kAtsr, 2);
        put_le(blob, 8, 2);
        blob.push_back(kAtsrAllPorts);
        blob.push_back(0);   // reserved
        put_le(blob, 0, 2);  // segment
    }
    return table.finish(linker, kAcpiTablesFile);
}

// Windows ACPI Emulated devices Table: the PM timer needs a single read.
size_t build_waet(std::vector<uint8_t>& blob, BiosLinkerLoader& linker) {
    acpi::TableWriter table(blob, "WAET", 1);
    put_le(blob, 1u << 1, 4);  // ACPI PM timer good
    return table.finish(linker, kAcpiTablesFile);
}

size_t build_rsdt(std::vector<uint8_t>& blob, BiosLinkerLoader& linker, const std::vector<size_t>& tables) {
    acpi::TableWriter table(blob, "RSDT", 1);
    for (size_t offset : tables) {
        size_t field = blob.size();
        put_le(blob, offset, 4);
        linker.add_pointer(kAcpiTablesFile, static_cast<uint32_t>(field), 4, kAcpiTablesFile);
    }
    return table.finish(linker, kAcpiTablesFile);
}

std::vector<uint8_t> build_rsdp(BiosLinkerLoader& linker, size_t rsdt) {
    std::vector<uint8_t> rsdp;
    for (char c : std::string_view("RSD PTR ")) rsdp.push_back(static_cast<uint8_t>(c));
    rsdp.push_back(0);  // checksum
    for (char c : std::string_view("BOCHS ")) rsdp.push_back(static_cast<uint8_t>(c));
    rsdp.push_back(0);  // revision 0: ACPI 1.0, RSDT only
    put_le(rsdp, rsdt, 4);
    linker.allocate(kAcpiRsdpFile, 16, BiosLinkerLoader::Zone::kFseg);
    linker.add_pointer(kAcpiRsdpFile, 16, 4, kAcpiTablesFile);
    linker.add_checksum(kAcpiRsdpFile, 0, static_cast<uint32_t>(rsdp.size()), 8);
    return rsdp;
}

}  // namespace

PcAcpiFiles build_pc_acpi(const PcAcpiConfig& config) {
    PcAcpiFiles files;
    BiosLinkerLoader linker;
    std::vector<uint8_t>& blob = files.tables;
    // The FACS must be 64-byte aligned: it opens the file, allocated so.
    linker.allocate(kAcpiTablesFile, 64, BiosLinkerLoader::Zone::kHigh);
    size_t facs = build_facs(blob);
    size_t dsdt = build_dsdt(blob, linker, config);
    std::vector<size_t> listed;
    listed.push_back(build_fadt(blob, linker, config, facs, dsdt));
    listed.push_back(build_madt(blob, linker, config));
    if (config.hpet) listed.push_back(build_hpet(blob, linker));
    if (config.chipset == PcAcpiConfig::Chipset::kQ35) {
        // QEMU leaves MCFG out until firmware has enabled MMCONFIG.
        if (config.mmconfig_size) listed.push_back(build_mcfg(blob, linker, config));
        if (config.intel_iommu) listed.push_back(build_dmar(blob, linker, config));
    }
    listed.push_back(build_waet(blob, linker));
    size_t rsdt = build_rsdt(blob, linker, listed);
    files.rsdp = build_rsdp(linker, rsdt);
    files.table_loader = linker.bytes();
    if (blob.size() < kAcpiTablesSize) blob.resize(kAcpiTablesSize, 0);
    if (files.table_loader.size() < kTableLoaderSize) files.table_loader.resize(kTableLoaderSize, 0);
    return files;
}

void install_pc_acpi(FwCfg& fw_cfg, std::function<PcAcpiConfig()> describe) {
    auto shared = std::make_shared<std::function<PcAcpiConfig()>>(std::move(describe));
    auto rebuild = [&fw_cfg, shared] {
        PcAcpiFiles files = build_pc_acpi((*shared)());
        fw_cfg.add_file(kAcpiTablesFile, std::move(files.tables));
        fw_cfg.add_file(kAcpiRsdpFile, std::move(files.rsdp));
        fw_cfg.add_file(kTableLoaderFile, std::move(files.table_loader));
    };
    // Sizes must be known when the guest first reads the directory (before
    // it selects anything), and the contents are rebuilt at each select.
    fw_cfg.before_first_access(rebuild);
    for (const char* file : {kAcpiTablesFile, kAcpiRsdpFile, kTableLoaderFile}) fw_cfg.on_select(file, rebuild);
}

}  // namespace mimic::hw
