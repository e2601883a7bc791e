// DSDT pieces the pc (acpi_dsdt_pc.cpp) and q35 (acpi_dsdt_q35.cpp)
// machines share: QEMU 7.2 generates them the same way for both.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../acpi/aml/aml.h"
#include "acpi_build.h"

namespace mimic::hw::dsdt {

inline constexpr uint32_t kIoApicBase = 0xfec00000;

// \DBUG: prints a value on the debug console port, for AML debugging.
aml::Aml debug_scope();
// Scope (\) with \_S3, \_S4 and \_S5 (both chipsets use the same types).
aml::Aml sleep_states();
// Scope (_GPE) naming the GPE block device.
aml::Aml gpe_scope();

// Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) { irqs }.
aml::Aml link_interrupts(const std::vector<uint32_t>& irqs);
// IQST: a PIRQ register with bit 7 set is disabled (present, not enabled).
aml::Aml irq_status_method();
// IQCR: the current setting of a PIRQ register (Arg0) as an Interrupt
// resource; `fill` stores the IRQ into its PRRI field.
aml::Aml irq_current_method(const aml::Aml& fill);
// The chipset's PIRQ route registers in the ISA bridge's config space
// (at 0x60, `length` bytes), as byte fields of \_SB named `names` ("" for
// a byte left out) on the bridge at `bridge_path`.
void append_pirq_fields(aml::Aml& bridge, std::string_view region, uint32_t length, std::string_view bridge_path,
                        const std::vector<std::string>& names);
// LNKx: a PCI interrupt link on the PIRQ route register field `pirq`,
// routable to IRQ 5, 10 or 11.
aml::Aml link_device(std::string_view name, uint8_t uid, std::string_view pirq);

aml::Aml hpet_scope();
aml::Aml processors(unsigned cpus);
aml::Aml fw_cfg_scope();

// The first entries of PCI0's _CRS: bus numbers, the config ports and
// the I/O windows around them, the VGA window. The memory windows follow.
aml::Aml pci_host_crs_head();
// The 64-bit window above RAM, `size` bytes (QEMU's pci-hole64-size).
void append_pci_hole64(aml::Aml& crs, const PcAcpiConfig& config, uint64_t size);
// PCI0.GPE0: reserves the GPE0 block's ports.
aml::Aml gpe0_device(uint16_t base, uint8_t length);
// A PNP0A06 container reserving `length` ports at `base` (GPE0, PHPR).
aml::Aml reserved_ports_device(std::string_view name, std::string_view uid, uint16_t base, uint8_t length);

// The ISA devices behind the bridge (keyboard, mouse, serial ports, RTC).
void append_isa_devices(aml::Aml& bridge, const PcAcpiConfig& config);
// The display cannot wake the system from S1-S3: D0 only.
void append_vga_sleep_methods(aml::Aml& device);

// The PCI hotplug registers at `base` and PCEJ on them (QEMU's layout).
aml::Aml pci_hotplug_registers(uint16_t base);
// GPE0 bit 1: the hotplug registers changed.
aml::Aml pci_hotplug_gpe();

}  // namespace mimic::hw::dsdt
