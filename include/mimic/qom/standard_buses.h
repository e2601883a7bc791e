// The buses every PC has, and the device bases that plug into the simple ones.
//
//   "System"  SystemBus   the machine's "main-system-bus"; devices of type
//                         "sys-bus-device" (not user-creatable by default)
//   "ISA"     IsaBus      devices of type "isa-device"
//   "PCI"     PciBus      32 slots x 8 functions; devices with a pci_devfn
//                         property named "addr" get a slot at realize
//   "PCIE"    PciBus      a PCI Express root bus (Q35's pcie.0): takes
//                         every PCI device, as a PCI bus
//
// The PCI device base ("pci-device") and bridges live in hw/pci.
#pragma once

#include <array>
#include <string>

#include "mimic/qom/bus.h"
#include "mimic/qom/device.h"

namespace mimic::qom {

inline constexpr const char* kTypeSystemBus = "System";
inline constexpr const char* kTypeIsaBus = "ISA";
inline constexpr const char* kTypePciBus = "PCI";
inline constexpr const char* kTypePcieBus = "PCIE";
inline constexpr const char* kTypeSysBusDevice = "sys-bus-device";
inline constexpr const char* kTypeIsaDevice = "isa-device";

class SystemBus : public Bus {};
class SysBusDevice : public Device {};

class IsaBus : public Bus {};
class IsaDevice : public Device {};

// The lines `info qtree` prints under a PCI function (class, ids, BARs).
// hw/pci's PciDevice provides them; the bus, which lives here, only asks.
class PciQtreeLines {
public:
    virtual void print_pci_lines(int indent, std::string& out) const = 0;

protected:
    ~PciQtreeLines() = default;
};

class PciBus : public Bus {
public:
    void print_device(const Device& device, int indent, std::string& out) const override {
        if (auto* lines = dynamic_cast<const PciQtreeLines*>(&device)) lines->print_pci_lines(indent, out);
    }

    // Never full for bus selection: QEMU reports a full PCI bus at realize.
    bool is_full() const override { return false; }

    // Takes the devfn from the device's "addr" property, or the first free
    // slot (function 0) when it is -1, writing it back. Throws
    //   "PCI: slot 3 function 0 not available for e1000, in use by e1000,id=net0"
    //   "PCI: no slot/function available for e1000, all in use or reserved"
    //   "PCI: slot 1 function 0 already occupied by PIIX3, new func e1000
    //    cannot be exposed to guest." (a hot-plugged function > 0)
    void plug(Device& device) override;
    void unplug(Device& device) override;

    // The device at devfn, or nullptr.
    Device* device_at(int devfn) const { return slots_[static_cast<size_t>(devfn)]; }

private:
    std::array<Device*, 256> slots_{};
    std::array<bool, 256> auto_assigned_{};
};

}  // namespace mimic::qom
