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

namespace mimic::hw {
namespace {

using aml::Aml;

constexpr uint32_t kIoApicBase = 0xfec00000;
constexpr uint32_t kHpetBase = 0xfed00000;
constexpr uint32_t kHpetLength = 0x400;
constexpr uint16_t kGpe0Base = 0xafe0;
constexpr uint16_t kPciHotplugBase = 0xae00;  // hw/acpi/pci_hotplug.h
constexpr int kPciSlots = 32;
constexpr uint16_t kFwCfgPort = 0x510;
constexpr uint16_t kDebugPort = 0x402;
constexpr uint64_t k4GiB = 1ull << 32;
constexpr uint64_t k1GiB = 1ull << 30;
constexpr uint64_t kPciHole64Size = 1ull << 31;  // i440FX "pci-hole64-size" default
// PIIX4 sleep types: \_S3 is 1, \_S4 2 (QEMU's s4_val), \_S5 0, which the
// PM device turns into soft-off.
constexpr uint8_t kS3Type = 1, kS4Type = 2, kS5Type = 0;

Aml sleep_state(std::string_view name, uint8_t type) {
    Aml package = aml::package(4);
    package.append(aml::integer(type));  // PM1a_CNT.SLP_TYP
    package.append(aml::integer(type));  // PM1b_CNT.SLP_TYP (no PM1b)
    package.append(aml::integer(0));
    package.append(aml::integer(0));
    return aml::name_decl(name, package);
}

// \DBUG: prints a value on the debug console port, for AML debugging.
Aml debug_scope() {
    Aml scope = aml::scope("\\");
    scope.append(aml::operation_region("DBG", aml::RegionSpace::kSystemIo, aml::integer(kDebugPort), 1));
    Aml field = aml::field("DBG", aml::FieldAccess::kByte, aml::FieldLock::kNoLock, aml::FieldUpdate::kPreserve);
    field.append(aml::named_field("DBGB", 8));
    scope.append(field);
    Aml method = aml::method("DBUG", 1);
    Aml text = aml::local(0), last = aml::local(1), at = aml::local(2);
    method.append(aml::to_hex_string(aml::arg(0), text));
    method.append(aml::to_buffer(text, text));
    method.append(aml::store(aml::subtract(aml::size_of(text), aml::integer(1)), last));
    method.append(aml::store(aml::integer(0), at));
    Aml loop = aml::while_(aml::lless(at, last));
    loop.append(aml::store(aml::deref_of(aml::index(text, at)), aml::name("DBGB")));
    loop.append(aml::increment(at));
    method.append(loop);
    method.append(aml::store(aml::integer(0x0a), aml::name("DBGB")));
    scope.append(method);
    return scope;
}

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

Aml link_interrupts(const std::vector<uint32_t>& irqs) {
    Aml crs = aml::resource_template();
    crs.append(aml::interrupt(true, aml::IrqTrigger::kLevel, aml::IrqPolarity::kActiveHigh, true, irqs));
    return crs;
}

// IQST: a PIRQ register with bit 7 set is disabled (present, not enabled).
Aml irq_status_method() {
    Aml method = aml::method("IQST", 1);
    Aml disabled = aml::if_(aml::and_(aml::integer(0x80), aml::arg(0)));
    disabled.append(aml::return_(aml::integer(0x09)));
    method.append(disabled);
    method.append(aml::return_(aml::integer(0x0b)));
    return method;
}

// IQCR: the current setting of a PIRQ register as an Interrupt resource.
Aml irq_current_method() {
    Aml method = aml::method("IQCR", 1, aml::Serialize::kSerialized);
    method.append(aml::name_decl("PRR0", link_interrupts({0})));
    method.append(aml::create_dword_field(aml::name("PRR0"), aml::integer(5), "PRRI"));
    Aml enabled = aml::if_(aml::lless(aml::arg(0), aml::integer(0x80)));
    enabled.append(aml::store(aml::arg(0), aml::name("PRRI")));
    method.append(enabled);
    method.append(aml::return_(aml::name("PRR0")));
    return method;
}

// LNKA..LNKD: _SRS writes the chosen IRQ into PIIX3's PIRQ register
// (config 0x60 + n), _DIS sets its disable bit.
Aml link_device(std::string_view name, uint8_t uid, std::string_view pirq) {
    Aml device = aml::device(name);
    device.append(aml::name_decl("_HID", aml::eisa_id("PNP0C0F")));
    device.append(aml::name_decl("_UID", aml::integer(uid)));
    device.append(aml::name_decl("_PRS", link_interrupts({5, 10, 11})));
    Aml status = aml::method("_STA", 0);
    status.append(aml::return_(aml::call("IQST", {aml::name(pirq)})));
    device.append(status);
    Aml disable = aml::method("_DIS", 0);
    disable.append(aml::or_(aml::name(pirq), aml::integer(0x80), aml::name(pirq)));
    device.append(disable);
    Aml current = aml::method("_CRS", 0);
    current.append(aml::return_(aml::call("IQCR", {aml::name(pirq)})));
    device.append(current);
    Aml set = aml::method("_SRS", 1);
    set.append(aml::create_dword_field(aml::arg(0), aml::integer(5), "PRRI"));
    set.append(aml::store(aml::name("PRRI"), aml::name(pirq)));
    device.append(set);
    return device;
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
    sb.append(irq_current_method());
    sb.append(link_device("LNKA", 0, "PRQ0"));
    sb.append(link_device("LNKB", 1, "PRQ1"));
    sb.append(link_device("LNKC", 2, "PRQ2"));
    sb.append(link_device("LNKD", 3, "PRQ3"));
    sb.append(sci_link_device());
    return sb;
}

// The HPET is reported present only if its registers look sane.
Aml hpet_scope() {
    Aml sb = aml::scope("_SB");
    Aml device = aml::device("HPET");
    device.append(aml::name_decl("_HID", aml::eisa_id("PNP0103")));
    device.append(aml::name_decl("_UID", aml::integer(0)));
    device.append(aml::operation_region("HPTM", aml::RegionSpace::kSystemMemory, aml::integer(kHpetBase), kHpetLength));
    Aml field = aml::field("HPTM", aml::FieldAccess::kDword, aml::FieldLock::kLock, aml::FieldUpdate::kPreserve);
    field.append(aml::named_field("VEND", 32));
    field.append(aml::named_field("PRD", 32));
    device.append(field);
    Aml status = aml::method("_STA", 0);
    Aml vendor = aml::local(0), period = aml::local(1);
    status.append(aml::store(aml::name("VEND"), vendor));
    status.append(aml::store(aml::name("PRD"), period));
    status.append(aml::shift_right(vendor, aml::integer(16), vendor));
    Aml no_vendor = aml::if_(aml::lor(aml::lequal(vendor, aml::integer(0)), aml::lequal(vendor, aml::integer(0xffff))));
    no_vendor.append(aml::return_(aml::integer(0)));
    status.append(no_vendor);
    Aml bad_period =
        aml::if_(aml::lor(aml::lequal(period, aml::integer(0)), aml::lgreater(period, aml::integer(100000000))));
    bad_period.append(aml::return_(aml::integer(0)));
    status.append(bad_period);
    status.append(aml::return_(aml::integer(0x0f)));
    device.append(status);
    Aml crs = aml::resource_template();
    crs.append(aml::memory32_fixed(kHpetBase, kHpetLength, false));
    device.append(aml::name_decl("_CRS", crs));
    sb.append(device);
    return sb;
}

// Processor objects under a container; _MAT repeats each MADT entry.
Aml processors(unsigned cpus) {
    Aml sb = aml::scope("_SB");
    Aml container = aml::device("\\_SB.CPUS");
    container.append(aml::name_decl("_HID", aml::string("ACPI0010")));
    container.append(aml::name_decl("_CID", aml::eisa_id("PNP0A05")));
    for (unsigned i = 0; i < cpus; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "C%03X", i);
        Aml cpu = aml::processor(name, static_cast<uint8_t>(i));
        auto id = static_cast<uint8_t>(i);
        cpu.append(aml::name_decl("_MAT", aml::buffer({0x00, 0x08, id, id, 0x01, 0x00, 0x00, 0x00})));
        container.append(cpu);
    }
    sb.append(container);
    return sb;
}

Aml pci_host_resources(const PcAcpiConfig& config) {
    Aml scope = aml::scope("\\_SB.PCI0");
    Aml crs = aml::resource_template();
    crs.append(aml::word_bus_number(0, 0, 0xff, 0, 0x100));
    crs.append(aml::io(aml::IoDecode::kDecode16, 0x0cf8, 0x0cf8, 1, 8));
    crs.append(aml::word_io(0, 0, 0x0cf7, 0, 0x0cf8));
    crs.append(aml::word_io(0, 0x0d00, 0xffff, 0, 0xf300));
    crs.append(aml::dword_memory(aml::Cacheable::kCacheable, 0, 0xa0000, 0xbffff, 0, 0x20000));
    // The 32-bit hole from the end of low RAM to the IOAPIC, and QEMU's
    // default 64-bit window above RAM.
    auto hole_start = static_cast<uint32_t>(config.ram_below_4g);
    crs.append(aml::dword_memory(aml::Cacheable::kNonCacheable, 0, hole_start, kIoApicBase - 1, 0,
                                 kIoApicBase - hole_start));
    uint64_t hole64_start = (k4GiB + config.ram_above_4g + k1GiB - 1) & ~(k1GiB - 1);
    uint64_t hole64_end = (hole64_start + kPciHole64Size + k1GiB - 1) & ~(k1GiB - 1);
    crs.append(aml::qword_memory(aml::Cacheable::kCacheable, 0, hole64_start, hole64_end - 1, 0,
                                 hole64_end - hole64_start));
    scope.append(aml::name_decl("_CRS", crs));

    Aml gpe0 = aml::device("GPE0");
    gpe0.append(aml::name_decl("_HID", aml::string("PNP0A06")));
    gpe0.append(aml::name_decl("_UID", aml::string("GPE0 resources")));
    gpe0.append(aml::name_decl("_STA", aml::integer(0x0b)));
    Aml gpe_crs = aml::resource_template();
    gpe_crs.append(aml::io(aml::IoDecode::kDecode16, kGpe0Base, kGpe0Base, 1, 4));
    gpe0.append(aml::name_decl("_CRS", gpe_crs));
    scope.append(gpe0);
    return scope;
}

Aml fw_cfg_scope() {
    Aml scope = aml::scope("\\_SB.PCI0");
    Aml device = aml::device("FWCF");
    device.append(aml::name_decl("_HID", aml::string("QEMU0002")));
    device.append(aml::name_decl("_STA", aml::integer(0x0b)));
    Aml crs = aml::resource_template();
    crs.append(aml::io(aml::IoDecode::kDecode16, kFwCfgPort, kFwCfgPort, 1, 0x0c));
    device.append(aml::name_decl("_CRS", crs));
    scope.append(device);
    return scope;
}

Aml isa_device(std::string_view name, std::string_view hid, const Aml& crs) {
    Aml device = aml::device(name);
    device.append(aml::name_decl("_HID", aml::eisa_id(hid)));
    device.append(aml::name_decl("_STA", aml::integer(0x0f)));
    device.append(aml::name_decl("_CRS", crs));
    return device;
}

// PIIX3 (00:01.0): its PIRQ route registers, which the link devices
// program, and the ISA devices behind it.
void describe_isa_bridge(Aml& bridge, const PcAcpiConfig& config) {
    bridge.append(aml::operation_region("P40C", aml::RegionSpace::kPciConfig, aml::integer(0x60), 4));
    Aml root = aml::scope("\\_SB");
    Aml field =
        aml::field("PCI0.S08.P40C", aml::FieldAccess::kByte, aml::FieldLock::kNoLock, aml::FieldUpdate::kPreserve);
    for (const char* pirq : {"PRQ0", "PRQ1", "PRQ2", "PRQ3"}) field.append(aml::named_field(pirq, 8));
    root.append(field);
    bridge.append(root);

    if (config.i8042) {
        Aml kbd = aml::resource_template();
        kbd.append(aml::io(aml::IoDecode::kDecode16, 0x60, 0x60, 1, 1));
        kbd.append(aml::io(aml::IoDecode::kDecode16, 0x64, 0x64, 1, 1));
        kbd.append(aml::irq_no_flags(1));
        bridge.append(isa_device("KBD", "PNP0303", kbd));
        Aml mouse = aml::resource_template();
        mouse.append(aml::irq_no_flags(12));
        bridge.append(isa_device("MOU", "PNP0F13", mouse));
    }
    for (const PcAcpiConfig::SerialPort& port : config.serial_ports) {
        char name[16];
        std::snprintf(name, sizeof name, "COM%u", port.index + 1);
        Aml device = aml::device(name);
        device.append(aml::name_decl("_HID", aml::eisa_id("PNP0501")));
        device.append(aml::name_decl("_UID", aml::integer(port.index + 1)));
        device.append(aml::name_decl("_STA", aml::integer(0x0f)));
        Aml crs = aml::resource_template();
        crs.append(aml::io(aml::IoDecode::kDecode16, port.iobase, port.iobase, 0, 8));
        crs.append(aml::irq_no_flags(port.irq));
        device.append(aml::name_decl("_CRS", crs));
        bridge.append(device);
    }
    if (config.rtc) {
        Aml device = aml::device("RTC");
        device.append(aml::name_decl("_HID", aml::eisa_id("PNP0B00")));
        Aml crs = aml::resource_template();
        crs.append(aml::io(aml::IoDecode::kDecode16, 0x70, 0x70, 1, 8));
        crs.append(aml::irq_no_flags(8));
        device.append(aml::name_decl("_CRS", crs));
        bridge.append(device);
    }
}

// The hotplug registers and the methods on them (QEMU's order):
//   PCEJ(bus, slot)  selects the bus and writes the slot's eject bit
// under the BLCK mutex, which _E01 holds while PCNT reads the up and down
// bitmaps.
Aml pci_hotplug_registers() {
    Aml scope = aml::scope("_SB.PCI0");
    auto region = [&](std::string_view name, uint16_t offset, uint32_t size, std::vector<const char*> fields) {
        scope.append(aml::operation_region(name, aml::RegionSpace::kSystemIo,
                                           aml::integer(kPciHotplugBase + offset), size));
        Aml field = aml::field(name, aml::FieldAccess::kDword, aml::FieldLock::kNoLock,
                               aml::FieldUpdate::kWriteAsZeros);
        for (const char* named : fields) field.append(aml::named_field(named, 32));
        scope.append(field);
    };
    region("PCST", 0x00, 8, {"PCIU", "PCID"});
    region("SEJ", 0x08, 4, {"B0EJ"});
    region("BNMR", 0x10, 8, {"BNUM", "PIDX"});
    scope.append(aml::mutex("BLCK", 0));
    Aml eject = aml::method("PCEJ", 2);
    eject.append(aml::acquire(aml::name("BLCK"), 0xffff));
    eject.append(aml::store(aml::arg(0), aml::name("BNUM")));
    eject.append(aml::store(aml::shift_left(aml::integer(1), aml::arg(1)), aml::name("B0EJ")));
    eject.append(aml::release(aml::name("BLCK")));
    eject.append(aml::return_(aml::integer(0)));
    scope.append(eject);
    return scope;
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
        if (function && function->vga) {
            // The display cannot wake the system from S1-S3: D0 only.
            for (const char* state : {"_S1D", "_S2D", "_S3D"}) {
                Aml method = aml::method(state, 0);
                method.append(aml::return_(aml::integer(0)));
                device.append(method);
            }
        }
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

// GPE0 bit 1: the hotplug registers changed.
Aml pci_hotplug_gpe() {
    Aml gpe = aml::scope("_GPE");
    Aml method = aml::method("_E01", 0);
    method.append(aml::acquire(aml::name("\\_SB.PCI0.BLCK"), 0xffff));
    method.append(aml::call("\\_SB.PCI0.PCNT"));
    method.append(aml::release(aml::name("\\_SB.PCI0.BLCK")));
    gpe.append(method);
    return gpe;
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
    if (config.pci_hotplug) body.append(pci_hotplug_registers());

    body.append(interrupt_routing());
    if (config.hpet) body.append(hpet_scope());
    Aml gpe = aml::scope("_GPE");
    gpe.append(aml::name_decl("_HID", aml::string("ACPI0006")));
    body.append(gpe);
    body.append(processors(config.cpus));
    body.append(pci_host_resources(config));

    Aml root = aml::scope("\\");
    root.append(sleep_state("_S3", kS3Type));
    root.append(sleep_state("_S4", kS4Type));
    root.append(sleep_state("_S5", kS5Type));
    body.append(root);

    body.append(fw_cfg_scope());
    body.append(pci_slots(config));
    if (config.pci_hotplug) body.append(pci_hotplug_gpe());
    return body.encode();
}

}  // namespace mimic::hw
