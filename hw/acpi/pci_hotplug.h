// ACPI PCI hotplug: the register block QEMU's pc machine gives its DSDT at
// I/O 0xAE00 (24 bytes, dword access only), through which the guest's
// AML learns of hot-plugged devices and ejects unplugged ones.
//
//   +0x00 PCIU  up: slots whose device was hot-plugged (cleared by reading)
//   +0x04 PCID  down: slots whose device device_del asked to remove
//   +0x08 B0EJ  eject: writing bit n removes the hotpluggable devices of
//               slot n (and clears its up and down bits); reads 0
//   +0x0c RMV   removable slots: every slot but those of devices that
//               cannot be unplugged
//   +0x10 BNUM  bus select (BSEL): which bus the other registers mean;
//               pci.0 is bus 0, there is no other
//   +0x14 PIDX  ACPI index: writing a slot bit latches the device's
//               acpi-index for one read (Mimic's devices have none: 0)
//
// Each change of up or down raises GPE0 bit 1, whose _E01 method runs the
// DSDT's PCNT: Notify(Sxx, 1) for up slots (device check) and
// Notify(Sxx, 3) for down slots (eject request). The guest's OS then
// removes its driver and calls the slot's _EJ0, which writes B0EJ.
//
// A device leaves its bus when the guest ejects it or at machine reset
// with its request pending; DEVICE_DELETED is then emitted.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "mimic/memory/memory_region.h"
#include "mimic/qom/bus.h"

namespace mimic::hw {

inline constexpr uint16_t kAcpiPciHotplugBase = 0xae00;
inline constexpr uint64_t kAcpiPciHotplugSize = 0x18;
// The GPE0 status bit the hotplug event sets (QEMU's ACPI_PCI_HOTPLUG_STATUS).
inline constexpr unsigned kGpePciHotplugBit = 1;

class AcpiPciHotplug final : public qom::HotplugHandler {
public:
    // `raise_event` sets the GPE status bit and updates the SCI; `bus` is
    // the root bus (pci.0) this handler serves, as bus select 0.
    AcpiPciHotplug(qom::Bus& bus, std::function<void()> raise_event);
    ~AcpiPciHotplug() override;

    memory::MemoryRegion& io() { return io_; }

    // Machine reset: devices with a pending unplug request go, as the
    // guest never saw them after the reset.
    void reset();

    void plugged(qom::Device& device) override;
    void unplug_request(qom::Device& device) override;

    // The registers as the guest sees them (for the I/O region and tests).
    uint32_t read(uint64_t offset);
    void write(uint64_t offset, uint32_t value);

private:
    void eject(uint32_t slots);
    // Schedules the removal of the hotpluggable devices in `slots`.
    void eject_pending(uint32_t slots);
    uint32_t removable_slots() const;

    qom::Bus& bus_;
    std::function<void()> raise_event_;
    memory::MemoryRegion io_;
    uint32_t up_ = 0, down_ = 0;
    uint32_t select_ = 0;
};

}  // namespace mimic::hw
