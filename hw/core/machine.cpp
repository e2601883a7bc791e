#include "mimic/hw/machine.h"

#include "mimic/hw/ide.h"

#include "mimic/memory/transaction.h"
#include "mimic/util/error.h"

namespace mimic::hw {

MIMIC_REGISTER_TYPE({
    .name = kTypeX86Machine,
    .parent = qom::kTypeMachine,
    .abstract = true,
    .description = "x86 machine",
});

Machine::Machine()
    : system_memory_(memory::MemoryRegion::make_container("system", UINT64_MAX)),
      io_(memory::MemoryRegion::make_io("io", 0x10000, memory::empty_bus_ops())) {
    memory_space_ = std::make_unique<memory::AddressSpace>(*system_memory_, "memory");
    io_space_ = std::make_unique<memory::AddressSpace>(*io_, "I/O");
}

Machine::~Machine() {
    // Devices (children) unmap their regions while the roots still exist.
    destroy_children();
}

memory::MemoryRegion& Machine::allocate_ram(uint64_t size) {
    ram_ = memory::MemoryRegion::make_ram("pc.ram", size);
    ram_size_ = size;
    return *ram_;
}

void Machine::load_kernel(const cli::VmConfig&) { throw Error("this machine does not support -kernel"); }

void Machine::attach_ide_drives(system::DriveSet& drives) { hw::attach_ide_drives(*this, drives); }

IrqLine Machine::isa_irq(int irq) const { return irq < kIsaIrqCount ? gsi(irq) : IrqLine{}; }

IrqLine Machine::gsi(int gsi) const {
    if (!isa_irqs_ || gsi < 0 || gsi >= isa_irqs_->count()) return {};
    return IrqLine(isa_irqs_, gsi);
}

Machine* Machine::of(const qom::Object& object) {
    return dynamic_cast<Machine*>(qom::Machine::of(object));
}

}  // namespace mimic::hw
