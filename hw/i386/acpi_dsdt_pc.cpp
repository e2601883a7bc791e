// The pc machine's DSDT: the PCI root bridge and its windows, PCI
// interrupt routing through PIIX3's four PIRQ links (plus the SCI link),
// the ISA devices, the HPET, the processors, the fw_cfg device and the
// sleep states, and the ACPI PCI hotplug slots. Its layout and encodings
// follow what QEMU 7.2 generates for pc-i440fx-7.2, leaving out what
// Mimic's board does not have (CPU hotplug registers, floppy, parallel
// port, the acpi-index _DSM of each slot).
#include <cstdio>

#include "../acpi/aml/aml.h"
#include "../acpi/aml/aml_resources.h"
#include "acpi_build.h"
#include "acpi_dsdt_common.h"

namespace mimic::hw {
namespace {

using aml::Aml;
using namespace dsdt;

constexpr uint16_t kGpe0Base = 0xafe0;
constexpr uint16_t kPciHotplugBase = 0xae00;  // hw/acpi/pci_hotplug.h
constexpr int kPciSlots = 32;
constexpr uint64_t kPciHole64Size = 1ull << 31;  // i440FX "pci-hole64-size" default

Aml prt_entry(std::string_view link) {
    Aml package = aml::package(4);
    package.append(aml::integer(0));
    package.append(aml::integer(0));
    package.append(aml::name(link));
    package.append(aml::integer(0));
    return package;
}

// _PRT for all 32 slots: INTx of slot s goes to link (s + x) & 3 (LNKD,
// LNKA, LNKB, LNKC for 0..3, PIIX3's swizzle), except the PM function's
// INTA (slot 1), which is the SCI on LNKS. Computed by a loop in AML, as
// QEMU does, rather than 128 literal entries.
Aml prt_method() {
    Aml method = aml::method("_PRT", 0);
    Aml table = aml::local(0), pin = aml::local(1), slot = aml::local(2), link = aml::local(3),
        route = aml::local(4);
    method.append(aml::store(aml::package(128), table));
    method.append(aml::store(aml::integer(0), pin));
    Aml loop = aml::while_(aml::lless(pin, aml::integer(128)));
    loop.append(aml::store(aml::shift_right(pin, aml::integer(2)), slot));
    loop.append(aml::store(aml::and_(aml::add(pin, slot), aml::integer(3)), link));
    auto route_if = [&](int index, std::string_view name) {
        Aml when = aml::if_(aml::lequal(link, aml::integer(static_cast<uint64_t>(index))));
        when.append(aml::store(prt_entry(name), route));
        return when;
    };
    loop.append(route_if(0, "LNKD"));
    Aml link_a = aml::if_(aml::lequal(link, aml::integer(1)));
    Aml sci = aml::if_(aml::lequal(pin, aml::integer(4)));
    sci.append(aml::store(prt_entry("LNKS"), route));
    link_a.append(sci);
    Aml otherwise = aml::else_();
    otherwise.append(aml::store(prt_entry("LNKA"), route));
    link_a.append(otherwise);
    loop.append(link_a);
    loop.append(route_if(2, "LNKB"));
    loop.append(route_if(3, "LNKC"));
    loop.append(aml::store(aml::or_(aml::shift_left(slot, aml::integer(16)), aml::integer(0xffff)),
                           aml::index(route, aml::integer(0))));
    loop.append(aml::store(aml::and_(pin, aml::integer(3)), aml::index(route, aml::integer(1))));
    loop.append(aml::store(route, aml::index(table, pin)));
    loop.append(aml::increment(pin));
    method.append(loop);
    method.append(aml::return_(table));
    return method;
}

// LNKS: the SCI, fixed at GSI 9 active high (matching the MADT override).
Aml sci_link_device() {
    Aml device = aml::device("LNKS");
    device.append(aml::name_decl("_HID", aml::eisa_id("PNP0C0F")));
    device.append(aml::name_decl("_UID", aml::integer(4)));
    device.append(aml::name_decl("_PRS", link_interrupts({9})));
    Aml status = aml::method("_STA", 0);
    status.append(aml::return_(aml::integer(0x0b)));
    device.append(status);
    device.append(aml::method("_DIS", 0));
    Aml current = aml::method("_CRS", 0);
    current.append(aml::return_(aml::name("_PRS")));
    device.append(current);
    device.append(aml::method("_SRS", 1));
    return device;
}

Aml interrupt_routing() {
    Aml sb = aml::scope("_SB");
    Aml pci0 = aml::scope("PCI0");
    pci0.append(prt_method());
    sb.append(pci0);
    sb.append(irq_status_method());
    // An enabled register holds the IRQ; a disabled one leaves IRQ 0.
    Aml enabled = aml::if_(aml::lless(aml::arg(0), aml::integer(0x80)));
    enabled.append(aml::store(aml::arg(0), aml::name("PRRI")));
    sb.append(irq_current_method(enabled));
    sb.append(link_device("LNKA", 0, "PRQ0"));
    sb.append(link_device("LNKB", 1, "PRQ1"));
    sb.append(link_device("LNKC", 2, "PRQ2"));
    sb.append(link_device("LNKD", 3, "PRQ3"));
    sb.append(sci_link_device());
    return sb;
}

Aml pci_host_resources(const PcAcpiConfig& config) {
    Aml scope = aml::scope("\\_SB.PCI0");
    Aml crs = pci_host_crs_head();
    // The 32-bit hole from the end of low RAM to the IOAPIC, and QEMU's
    // default 64-bit window above RAM.
    auto hole_start = static_cast<uint32_t>(config.ram_below_4g);
    crs.append(aml::dword_memory(aml::Cacheable::kNonCacheable, 0, hole_start, kIoApicBase - 1, 0,
                                 kIoApicBase - hole_start));
    append_pci_hole64(crs, config, kPciHole64Size);
    scope.append(aml::name_decl("_CRS", crs));
    scope.append(gpe0_device(kGpe0Base, 4));
    return scope;
}

// PIIX3 (00:01.0): its PIRQ route registers, which the link devices
// program, and the ISA devices behind it.
void describe_isa_bridge(Aml& bridge, const PcAcpiConfig& config) {
    append_pirq_fields(bridge, "P40C", 4, "PCI0.S08", {"PRQ0", "PRQ1", "PRQ2", "PRQ3"});

    append_isa_devices(bridge, config);
}

std::string slot_name(unsigned devfn) {
    char name[8];
    std::snprintf(name, sizeof name, "S%02X", devfn);
    return name;
}

// One device per slot of bus 0 (function 0), named S<devfn>: built-in
// devices with their _ADR only (and what the ISA bridge and VGA need);
// with hotplug, every other slot, empty or not, is ejectable (_SUN,
// _EJ0) and DVNT notifies it when PCNT finds its bit in the up or down
// bitmap.
Aml pci_slots(const PcAcpiConfig& config) {
    Aml sb = aml::scope("\\_SB");
    Aml pci0 = aml::scope("PCI0");
    if (config.pci_hotplug) pci0.append(aml::name_decl("BSEL", aml::integer(0)));
    Aml notify = aml::method("DVNT", 2);
    for (unsigned slot = 0; slot < kPciSlots; ++slot) {
        const PcAcpiConfig::PciFunction* function = nullptr;
        for (const PcAcpiConfig::PciFunction& f : config.pci_devices) {
            if (f.devfn == slot << 3) function = &f;
        }
        bool ejectable = config.pci_hotplug && (!function || function->hotpluggable);
        if (!function && !ejectable) continue;
        std::string name = slot_name(slot << 3);
        Aml device = aml::device(name);
        device.append(aml::name_decl("_ADR", aml::integer(slot << 16)));
        if (function && function->devfn == 0x08) describe_isa_bridge(device, config);
        if (function && function->vga) append_vga_sleep_methods(device);
        if (ejectable) {
            device.append(aml::name_decl("_SUN", aml::integer(slot)));
            Aml eject = aml::method("_EJ0", 1);
            eject.append(aml::call("PCEJ", {aml::name("BSEL"), aml::name("_SUN")}));
            device.append(eject);
            Aml when = aml::if_(aml::and_(aml::arg(0), aml::integer(1ull << slot)));
            when.append(aml::notify(aml::name(name), aml::arg(1)));
            notify.append(when);
        }
        pci0.append(device);
    }
    if (config.pci_hotplug) {
        pci0.append(notify);
        // Device check (1) for slots that gained a device, eject request
        // (3) for those asked to give theirs up.
        Aml scan = aml::method("PCNT", 0);
        scan.append(aml::store(aml::integer(0), aml::name("BNUM")));
        scan.append(aml::call("DVNT", {aml::name("PCIU"), aml::integer(1)}));
        scan.append(aml::call("DVNT", {aml::name("PCID"), aml::integer(3)}));
        pci0.append(scan);
    }
    sb.append(pci0);
    return sb;
}

}  // namespace

std::vector<uint8_t> build_pc_dsdt_aml(const PcAcpiConfig& config) {
    Aml body = aml::definition_body();
    body.append(debug_scope());

    Aml sb = aml::scope("_SB");
    Aml pci0 = aml::device("PCI0");
    pci0.append(aml::name_decl("_HID", aml::eisa_id("PNP0A03")));
    pci0.append(aml::name_decl("_ADR", aml::integer(0)));
    pci0.append(aml::name_decl("_UID", aml::integer(0)));
    sb.append(pci0);
    body.append(sb);
    if (config.pci_hotplug) body.append(pci_hotplug_registers(kPciHotplugBase));

    body.append(interrupt_routing());
    if (config.hpet) body.append(hpet_scope());
    body.append(gpe_scope());
    body.append(processors(config.cpus));
    body.append(pci_host_resources(config));

    body.append(sleep_states());

    body.append(fw_cfg_scope());
    body.append(pci_slots(config));
    if (config.pci_hotplug) body.append(pci_hotplug_gpe());
    return body.encode();
}

}  // namespace mimic::hw
