// DSDT pieces shared by the pc and q35 machines (acpi_dsdt_common.h).
#include "acpi_dsdt_common.h"

#include <cstdio>

#include "../acpi/aml/aml_resources.h"

namespace mimic::hw::dsdt {
namespace {

using aml::Aml;

constexpr uint32_t kHpetBase = 0xfed00000;
constexpr uint32_t kHpetLength = 0x400;
constexpr uint16_t kFwCfgPort = 0x510;
constexpr uint16_t kDebugPort = 0x402;
// Sleep types of PIIX4 and ICH9 alike: \_S3 is 1, \_S4 2 (QEMU's s4_val),
// \_S5 0, which the PM device turns into soft-off.
constexpr uint8_t kS3Type = 1, kS4Type = 2, kS5Type = 0;

Aml sleep_state(std::string_view name, uint8_t type) {
    Aml package = aml::package(4);
    package.append(aml::integer(type));  // PM1a_CNT.SLP_TYP
    package.append(aml::integer(type));  // PM1b_CNT.SLP_TYP (no PM1b)
    package.append(aml::integer(0));
    package.append(aml::integer(0));
    return aml::name_decl(name, package);
}

Aml isa_device(std::string_view name, std::string_view hid, const Aml& crs) {
    Aml device = aml::device(name);
    device.append(aml::name_decl("_HID", aml::eisa_id(hid)));
    device.append(aml::name_decl("_STA", aml::integer(0x0f)));
    device.append(aml::name_decl("_CRS", crs));
    return device;
}

}  // namespace

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

Aml sleep_states() {
    Aml root = aml::scope("\\");
    root.append(sleep_state("_S3", kS3Type));
    root.append(sleep_state("_S4", kS4Type));
    root.append(sleep_state("_S5", kS5Type));
    return root;
}

Aml gpe_scope() {
    Aml gpe = aml::scope("_GPE");
    gpe.append(aml::name_decl("_HID", aml::string("ACPI0006")));
    return gpe;
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

Aml irq_current_method(const Aml& fill) {
    Aml method = aml::method("IQCR", 1, aml::Serialize::kSerialized);
    method.append(aml::name_decl("PRR0", link_interrupts({0})));
    method.append(aml::create_dword_field(aml::name("PRR0"), aml::integer(5), "PRRI"));
    method.append(fill);
    method.append(aml::return_(aml::name("PRR0")));
    return method;
}

void append_pirq_fields(Aml& bridge, std::string_view region, uint32_t length, std::string_view bridge_path,
                        const std::vector<std::string>& names) {
    bridge.append(aml::operation_region(region, aml::RegionSpace::kPciConfig, aml::integer(0x60), length));
    Aml root = aml::scope("\\_SB");
    Aml field = aml::field(std::string(bridge_path) + "." + std::string(region), aml::FieldAccess::kByte,
                           aml::FieldLock::kNoLock, aml::FieldUpdate::kPreserve);
    unsigned gap = 0;  // bits left out before the next field: one Offset() for a run
    for (const std::string& name : names) {
        if (name.empty()) {
            gap += 8;
            continue;
        }
        if (gap) field.append(aml::reserved_field(gap));
        gap = 0;
        field.append(aml::named_field(name, 8));
    }
    root.append(field);
    bridge.append(root);
}

// LNKx: _SRS writes the chosen IRQ into the chipset's PIRQ route register
// (a field named `pirq`), _DIS sets its disable bit.
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

Aml pci_host_crs_head() {
    Aml crs = aml::resource_template();
    crs.append(aml::word_bus_number(0, 0, 0xff, 0, 0x100));
    crs.append(aml::io(aml::IoDecode::kDecode16, 0x0cf8, 0x0cf8, 1, 8));
    crs.append(aml::word_io(0, 0, 0x0cf7, 0, 0x0cf8));
    crs.append(aml::word_io(0, 0x0d00, 0xffff, 0, 0xf300));
    crs.append(aml::dword_memory(aml::Cacheable::kCacheable, 0, 0xa0000, 0xbffff, 0, 0x20000));
    return crs;
}

Aml reserved_ports_device(std::string_view name, std::string_view uid, uint16_t base, uint8_t length) {
    Aml device = aml::device(name);
    device.append(aml::name_decl("_HID", aml::string("PNP0A06")));
    device.append(aml::name_decl("_UID", aml::string(uid)));
    device.append(aml::name_decl("_STA", aml::integer(0x0b)));
    Aml crs = aml::resource_template();
    crs.append(aml::io(aml::IoDecode::kDecode16, base, base, 1, length));
    device.append(aml::name_decl("_CRS", crs));
    return device;
}

Aml gpe0_device(uint16_t base, uint8_t length) { return reserved_ports_device("GPE0", "GPE0 resources", base, length); }

void append_pci_hole64(Aml& crs, const PcAcpiConfig& config, uint64_t size) {
    constexpr uint64_t k4GiB = 1ull << 32, k1GiB = 1ull << 30;
    uint64_t start = (k4GiB + config.ram_above_4g + k1GiB - 1) & ~(k1GiB - 1);
    uint64_t end = (start + size + k1GiB - 1) & ~(k1GiB - 1);
    crs.append(aml::qword_memory(aml::Cacheable::kCacheable, 0, start, end - 1, 0, end - start));
}

void append_isa_devices(Aml& bridge, const PcAcpiConfig& config) {
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

void append_vga_sleep_methods(Aml& device) {
    for (const char* state : {"_S1D", "_S2D", "_S3D"}) {
        Aml method = aml::method(state, 0);
        method.append(aml::return_(aml::integer(0)));
        device.append(method);
    }
}

// The hotplug registers and the methods on them (QEMU's order):
//   PCEJ(bus, slot)  selects the bus and writes the slot's eject bit
// under the BLCK mutex, which _E01 holds while PCNT reads the up and down
// bitmaps.
Aml pci_hotplug_registers(uint16_t base) {
    Aml scope = aml::scope("_SB.PCI0");
    auto region = [&](std::string_view name, uint16_t offset, uint32_t size, std::vector<const char*> fields) {
        scope.append(aml::operation_region(name, aml::RegionSpace::kSystemIo,
                                           aml::integer(base + offset), size));
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

}  // namespace mimic::hw::dsdt
