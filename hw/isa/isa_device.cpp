#include "mimic/hw/isa.h"

#include "mimic/hw/machine.h"
#include "mimic/memory/transaction.h"

namespace mimic::hw {

MIMIC_REGISTER_TYPE({
    .name = kTypeIsaBusBridge,
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<IsaBusBridge>(),
    .description = "ISA bus bridge",
});

IsaBusBridge::IsaBusBridge() { bus_ = &add_bus(qom::kTypeIsaBus, "isa.0"); }

memory::MmioOps byte_register_ops(std::function<uint8_t(uint64_t offset)> read,
                                  std::function<void(uint64_t offset, uint8_t value)> write) {
    memory::MmioOps ops;
    ops.read = [read = std::move(read)](uint64_t offset, unsigned) -> uint64_t { return read(offset); };
    ops.write = [write = std::move(write)](uint64_t offset, uint64_t value, unsigned) {
        write(offset, static_cast<uint8_t>(value));
    };
    ops.valid = {1, 1, false};
    ops.impl = {1, 1, false};
    return ops;
}

IsaDevice::~IsaDevice() { unregister_ioports(); }

void IsaDevice::register_ioport(memory::MemoryRegion& region, uint16_t port) {
    Machine* machine = Machine::of(*this);
    if (!machine) return;
    machine->io().add_subregion(port, region);
    ioports_.push_back(&region);
}

void IsaDevice::unregister_ioports() {
    for (memory::MemoryRegion* region : ioports_) {
        if (region->parent()) region->parent()->del_subregion(*region);
    }
    ioports_.clear();
}

IrqLine IsaDevice::isa_irq(int irq) const {
    Machine* machine = Machine::of(*this);
    return machine ? machine->isa_irq(irq) : IrqLine{};
}

}  // namespace mimic::hw
