// The i440FX host bridge: "i440FX-pcihost" (the system-bus side, see
// pc_pci_host.h, with bus pci.0) and "i440FX" (its PCI function 00.0, whose
// PAM and SMRAM registers steer the legacy 0xA0000-0xFFFFF range between
// RAM and PCI).
#pragma once

#include "mimic/hw/pc_pci_host.h"

namespace mimic::hw {

inline constexpr const char* kTypeI440fxHost = "i440FX-pcihost";
inline constexpr const char* kTypeI440fx = "i440FX";

class I440fxHost : public PcPciHost {
public:
    I440fxHost();
};

}  // namespace mimic::hw
