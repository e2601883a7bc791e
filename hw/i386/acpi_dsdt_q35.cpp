// The q35 machine's DSDT: PCI0 as a PCI Express root (PNP0A08) with _OSC
// and the MMCONFIG reservation, PCI interrupt routing through ICH9's eight
// PIRQ links (PIC mode) or straight to GSIs 16-23 (APIC mode), the LPC's
// ISA devices, the HPET, the processors, the fw_cfg device, the sleep
// states and the devices of pcie.0. Its layout and encodings follow what
// QEMU 7.2 generates for pc-q35-7.2, leaving out what Mimic's board does
// not have (CPU hotplug registers, the acpi-index methods AIDX/PDSM).
// pcie.0 is not hot-pluggable through ACPI (QEMU's q35 leaves it to native
// PCIe), so its slots have no _SUN/_EJ0 and PCNT is empty; the hotplug
// registers, PHPR and _E01 are there as QEMU has them for bridges.
#include <algorithm>
#include <cstdio>

#include "../acpi/aml/aml.h"
#include "../acpi/aml/aml_resources.h"
#include "acpi_build.h"
#include "acpi_dsdt_common.h"
#include "mimic/hw/ich9.h"

namespace mimic::hw {
namespace {

using aml::Aml;
using namespace dsdt;

constexpr uint16_t kPciHotplugBase = 0x0cc0;  // QEMU's ICH9 ACPI_PCIHP_ADDR_ICH9
constexpr uint8_t kPciHotplugLength = 0x18;
constexpr uint16_t kGpe0Offset = 0x20;  // from PMBASE
constexpr uint8_t kGpe0Length = 0x10;
constexpr uint64_t kPciHole64Size = 1ull << 35;  // Q35 "pci-hole64-size" default
constexpr int kPciSlots = 32;
constexpr int kPirqCount = 8;  // PIRQA-H
constexpr uint32_t kFirstPirqGsi = 16;
// _OSC control bits granted to the OS: all but native PCIe hot-plug,
// which QEMU withholds while ACPI hot-plug for bridges is on.
constexpr uint64_t kOscControlMask = 0x1e;

// PCI0's _OSC (PCI Firmware spec 4.5): grants what kOscControlMask allows,
// reporting "capabilities masked" if the OS asked for more.
Aml osc_method() {
    Aml method = aml::method("_OSC", 4);
    method.append(aml::create_dword_field(aml::arg(3), aml::integer(0), "CDW1"));
    Aml pci_host = aml::if_(aml::lequal(aml::arg(0), aml::to_uuid("33db4d5b-1ff7-401c-9657-7441c03dd766")));
    pci_host.append(aml::create_dword_field(aml::arg(3), aml::integer(4), "CDW2"));
    pci_host.append(aml::create_dword_field(aml::arg(3), aml::integer(8), "CDW3"));
    Aml control = aml::local(0);
    pci_host.append(aml::store(aml::name("CDW3"), control));
    pci_host.append(aml::and_(control, aml::integer(kOscControlMask), control));
    Aml bad_revision = aml::if_(aml::lnot(aml::lequal(aml::arg(1), aml::integer(1))));
    bad_revision.append(aml::or_(aml::name("CDW1"), aml::integer(0x08), aml::name("CDW1")));
    pci_host.append(bad_revision);
    Aml masked = aml::if_(aml::lnot(aml::lequal(aml::name("CDW3"), control)));
    masked.append(aml::or_(aml::name("CDW1"), aml::integer(0x10), aml::name("CDW1")));
    pci_host.append(masked);
    pci_host.append(aml::store(control, aml::name("CDW3")));
    method.append(pci_host);
    Aml unknown_uuid = aml::else_();
    unknown_uuid.append(aml::or_(aml::name("CDW1"), aml::integer(0x04), aml::name("CDW1")));
    method.append(unknown_uuid);
    method.append(aml::return_(aml::arg(3)));
    return method;
}

// DRAC: the MMCONFIG window, a motherboard resource so that the OS
// trusts the MCFG table and keeps PCI BARs out of it.
Aml mmconfig_reservation(const PcAcpiConfig& config) {
    Aml device = aml::device("DRAC");
    device.append(aml::name_decl("_HID", aml::string("PNP0C01")));
    Aml crs = aml::resource_template();
    auto base = static_cast<uint32_t>(config.mmconfig_base);
    auto size = static_cast<uint32_t>(config.mmconfig_size);
    crs.append(aml::dword_memory(aml::Cacheable::kNonCacheable, 0, base, base + size - 1, 0, size));
    device.append(aml::name_decl("_CRS", crs));
    return device;
}

Aml pci_root(const PcAcpiConfig& config) {
    Aml sb = aml::scope("_SB");
    Aml pci0 = aml::device("PCI0");
    pci0.append(aml::name_decl("_HID", aml::eisa_id("PNP0A08")));
    pci0.append(aml::name_decl("_CID", aml::eisa_id("PNP0A03")));
    pci0.append(aml::name_decl("_ADR", aml::integer(0)));
    pci0.append(aml::name_decl("_UID", aml::integer(0)));
    pci0.append(osc_method());
    sb.append(pci0);
    if (config.mmconfig_size) sb.append(mmconfig_reservation(config));
    return sb;
}

// The PIRQ (0-7 for A-H) behind INTx (0-3 for A-D) of a slot on pcie.0,
// as the LPC routes it by default (lpc_ich9.cpp): slots 0-24 rotate over
// PIRQE-H, 25-31 take PIRQA-D except the DMI-to-PCI bridge's 30 (E-H).
int pirq_of(int slot, int pin) {
    if (slot == 30) return 4 + pin;
    if (slot >= 25) return pin;
    return (slot + pin) % 4 + 4;
}

std::string link_name(const char* prefix, int pirq) {
    char name[8];
    std::snprintf(name, sizeof name, "%s%c", prefix, 'A' + pirq);
    return name;
}

// 128 literal entries, one per slot and pin, to the links named
// prefix + A..H (LNKx in PIC mode, GSIx in APIC mode).
Aml routing_table(const char* prefix) {
    Aml table = aml::package(kPciSlots * 4);
    for (int slot = 0; slot < kPciSlots; ++slot) {
        for (int pin = 0; pin < 4; ++pin) {
            Aml entry = aml::package(4);
            entry.append(aml::integer(static_cast<uint64_t>(slot) << 16 | 0xffff));
            entry.append(aml::integer(static_cast<uint64_t>(pin)));
            entry.append(aml::name(link_name(prefix, pirq_of(slot, pin))));
            entry.append(aml::integer(0));
            table.append(entry);
        }
    }
    return table;
}

// \_PIC tells which interrupt model the OS chose; _PRT answers with the
// matching table.
Aml pic_mode() {
    Aml method = aml::method("_PIC", 1);
    method.append(aml::store(aml::arg(0), aml::name("PICF")));
    return method;
}

Aml prt_method() {
    Aml method = aml::method("_PRT", 0);
    Aml pic = aml::if_(aml::lequal(aml::name("PICF"), aml::integer(0)));
    pic.append(aml::return_(aml::name("PRTP")));
    method.append(pic);
    Aml apic = aml::else_();
    apic.append(aml::return_(aml::name("PRTA")));
    method.append(apic);
    return method;
}

// GSIx: PIRQx in APIC mode, hard-wired to IOAPIC input 16 + x.
Aml gsi_link_device(int pirq) {
    Aml device = aml::device(link_name("GSI", pirq));
    uint32_t gsi = kFirstPirqGsi + static_cast<uint32_t>(pirq);
    device.append(aml::name_decl("_HID", aml::eisa_id("PNP0C0F")));
    device.append(aml::name_decl("_UID", aml::integer(gsi)));
    device.append(aml::name_decl("_PRS", link_interrupts({gsi})));
    device.append(aml::name_decl("_CRS", link_interrupts({gsi})));
    device.append(aml::method("_DIS", 0));
    device.append(aml::method("_SRS", 1));
    return device;
}

Aml interrupt_routing() {
    Aml sb = aml::scope("_SB");
    Aml pci0 = aml::scope("PCI0");
    pci0.append(aml::name_decl("PRTP", routing_table("LNK")));
    pci0.append(aml::name_decl("PRTA", routing_table("GSI")));
    pci0.append(prt_method());
    sb.append(pci0);
    sb.append(irq_status_method());
    // The register's IRQ field; the disabled bit is _STA's business.
    sb.append(irq_current_method(aml::store(aml::and_(aml::arg(0), aml::integer(0x0f)), aml::name("PRRI"))));
    for (int pirq = 0; pirq < kPirqCount; ++pirq) {
        sb.append(link_device(link_name("LNK", pirq), static_cast<uint8_t>(pirq), link_name("PRQ", pirq)));
    }
    for (int pirq = 0; pirq < kPirqCount; ++pirq) sb.append(gsi_link_device(pirq));
    return sb;
}

// PCI0's windows: the 32-bit hole from the end of low RAM to the IOAPIC
// less MMCONFIG, and the 64-bit one above RAM.
Aml pci_host_resources(const PcAcpiConfig& config) {
    Aml scope = aml::scope("\\_SB.PCI0");
    Aml crs = pci_host_crs_head();
    auto hole_start = static_cast<uint32_t>(config.ram_below_4g);
    auto window = [&](uint32_t from, uint32_t to) {
        crs.append(aml::dword_memory(aml::Cacheable::kNonCacheable, 0, from, to - 1, 0, to - from));
    };
    auto mmconfig_start = static_cast<uint32_t>(config.mmconfig_base);
    auto mmconfig_end = static_cast<uint32_t>(config.mmconfig_base + config.mmconfig_size);
    if (config.mmconfig_size && mmconfig_start >= hole_start && mmconfig_end <= kIoApicBase) {
        if (mmconfig_start > hole_start) window(hole_start, mmconfig_start);
        if (mmconfig_end < kIoApicBase) window(mmconfig_end, kIoApicBase);
    } else {
        window(hole_start, kIoApicBase);
    }
    append_pci_hole64(crs, config, kPciHole64Size);
    scope.append(aml::name_decl("_CRS", crs));
    scope.append(gpe0_device(static_cast<uint16_t>(config.pm_io_base + kGpe0Offset), kGpe0Length));
    scope.append(reserved_ports_device("PHPR", "PCI Hotplug resources", kPciHotplugBase, kPciHotplugLength));
    return scope;
}

// ICH9 LPC (1f.0): its PIRQA-D (0x60-0x63) and PIRQE-H (0x68-0x6b) route
// registers, which the LNKx devices program, and the ISA devices.
void describe_lpc(Aml& lpc, const PcAcpiConfig& config) {
    std::vector<std::string> fields;
    for (int pirq = 0; pirq < kPirqCount; ++pirq) {
        if (pirq == 4) fields.insert(fields.end(), 4, "");  // 0x64-0x67
        fields.push_back(link_name("PRQ", pirq));
    }
    append_pirq_fields(lpc, "PIRQ", 0x0c, "PCI0.SF8", fields);
    // QEMU lists the ISA bus's devices last-created first: COM2 before COM1.
    PcAcpiConfig isa = config;
    std::reverse(isa.serial_ports.begin(), isa.serial_ports.end());
    append_isa_devices(lpc, isa);
}

// One device per function of pcie.0, named S<devfn>, with its _ADR (and
// what the LPC and the VGA need).
Aml pci_devices(const PcAcpiConfig& config) {
    Aml sb = aml::scope("\\_SB");
    Aml pci0 = aml::scope("PCI0");
    for (const PcAcpiConfig::PciFunction& function : config.pci_functions) {
        char name[8];
        std::snprintf(name, sizeof name, "S%02X", function.devfn);
        Aml device = aml::device(name);
        device.append(aml::name_decl("_ADR", aml::integer(static_cast<uint64_t>(function.devfn >> 3) << 16 |
                                                          (function.devfn & 7u))));
        if (function.devfn == kIch9LpcDevfn) describe_lpc(device, config);
        if (function.vga) append_vga_sleep_methods(device);
        pci0.append(device);
    }
    pci0.append(aml::method("PCNT", 0));  // no hot-pluggable slot to scan
    sb.append(pci0);
    return sb;
}

}  // namespace

std::vector<uint8_t> build_q35_dsdt_aml(const PcAcpiConfig& config) {
    Aml body = aml::definition_body();
    body.append(debug_scope());
    body.append(pci_root(config));
    body.append(pci_hotplug_registers(kPciHotplugBase));
    body.append(aml::name_decl("PICF", aml::integer(0)));
    body.append(pic_mode());
    body.append(interrupt_routing());
    if (config.hpet) body.append(hpet_scope());
    body.append(gpe_scope());
    body.append(processors(config.cpus));
    body.append(pci_host_resources(config));
    body.append(sleep_states());
    body.append(fw_cfg_scope());
    body.append(pci_devices(config));
    body.append(pci_hotplug_gpe());
    return body.encode();
}

}  // namespace mimic::hw
