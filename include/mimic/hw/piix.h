// The PIIX3 south bridge functions of the "pc" machine: "PIIX3" (01.0, the
// PCI-to-ISA bridge owning isa.0, PIRQ routing, reset control at 0xCF9) and
// "PIIX4_PM" (01.3, ACPI power management at the PMBA I/O base).
#pragma once

#include "mimic/hw/pci.h"

namespace mimic::hw {

inline constexpr const char* kTypePiix3 = "PIIX3";
inline constexpr const char* kTypePiix4Pm = "PIIX4_PM";

// PIIX3 configuration registers the board and ACPI tables refer to.
inline constexpr uint8_t kPiixPirqRouting = 0x60;  // PIRQRC[A:D], 0x80 = disabled
inline constexpr int kPiixPirqCount = 4;
inline constexpr uint16_t kPiixResetControlPort = 0xcf9;
inline constexpr uint16_t kAcpiPmBase = 0x600;  // where SeaBIOS puts PMBA
inline constexpr int kAcpiSciIrq = 9;

class Piix3 : public PciDevice {
public:
    Piix3();
    qom::Bus& isa_bus() const { return *isa_bus_; }

private:
    qom::Bus* isa_bus_ = nullptr;
};

}  // namespace mimic::hw
