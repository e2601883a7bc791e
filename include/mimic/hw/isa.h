// ISA devices: port I/O in the machine's I/O space and the 16 ISA IRQs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "mimic/hw/irq.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/standard_buses.h"

namespace mimic::hw {

// The bridge QEMU uses for an ISA bus that hangs directly off the system bus
// ("isabus-bridge"); a PCI-to-ISA bridge (PIIX3) owns the bus on full PCs.
inline constexpr const char* kTypeIsaBusBridge = "isabus-bridge";

class IsaBusBridge : public qom::SysBusDevice {
public:
    IsaBusBridge();
    qom::Bus& bus() const { return *bus_; }

private:
    qom::Bus* bus_ = nullptr;
};

// Ops for a bank of byte-wide registers, the common shape of ISA devices:
// every guest access is one byte at `offset` from the bank's first port.
memory::MmioOps byte_register_ops(std::function<uint8_t(uint64_t offset)> read,
                                  std::function<void(uint64_t offset, uint8_t value)> write);

class IsaDevice : public qom::IsaDevice {
protected:
    // Maps `region` at I/O port `port`; unmapped again when the device is
    // unrealized or destroyed.
    void register_ioport(memory::MemoryRegion& region, uint16_t port);
    void unregister_ioports();
    IrqLine isa_irq(int irq) const;

    void do_unrealize() override { unregister_ioports(); }

public:
    ~IsaDevice() override;

private:
    std::vector<memory::MemoryRegion*> ioports_;
};

}  // namespace mimic::hw
