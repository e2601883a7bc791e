// The ICH9 south bridge functions of the "q35" machine: "ICH9-LPC" (1f.0,
// the LPC bridge owning isa.0, PIRQ routing, the root complex register
// block, ACPI power management and reset control at 0xCF9) and "ICH9-SMB"
// (1f.3, the SMBus host controller).
#pragma once

#include <cstdint>

#include "mimic/hw/pci.h"

namespace mimic::hw {

inline constexpr const char* kTypeIch9Lpc = "ICH9-LPC";
inline constexpr const char* kTypeIch9Smbus = "ICH9-SMB";

inline constexpr int kIch9LpcDevfn = 0xf8;    // 1f.0
inline constexpr int kIch9SataDevfn = 0xfa;   // 1f.2
inline constexpr int kIch9SmbusDevfn = 0xfb;  // 1f.3
// PIRQA-H reach IOAPIC inputs 16-23 directly.
inline constexpr int kIch9PirqCount = 8;
inline constexpr int kIch9FirstPirqGsi = 16;

class Ich9Lpc : public PciDevice {
public:
    Ich9Lpc();
    qom::Bus& isa_bus() const { return *isa_bus_; }

    // What ACPI tables describe, as firmware programmed it: the PM block's
    // I/O base (0 while not decoded) and the SCI's interrupt.
    virtual uint16_t pm_io_base() const = 0;
    virtual int sci_gsi() const = 0;

private:
    qom::Bus* isa_bus_ = nullptr;
};

}  // namespace mimic::hw
