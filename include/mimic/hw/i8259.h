// The PC's two cascaded Intel 8259A interrupt controllers ("isa-i8259").
//
// The board calls create_i8259_pair(): it creates the master (ports 0x20,
// 0x21, ELCR 0x4d0) and the slave (0xa0, 0xa1, ELCR 0x4d1) on the ISA bus,
// cascades the slave on master input 2, connects the machine's 16 ISA IRQ
// lines and returns the CPU-side interface. The master is /machine/pic; its
// interrupt inputs (qtest "irq_intercept_in pic") are the 16 ISA IRQs.
// The controller is also published in board_signals() for the vCPU builder.
#pragma once

#include <functional>
#include <string>

#include "mimic/x86/cpu.h"

namespace mimic::hw {

class Machine;

// `intr` follows the master's INT output (the CPU's INTR pin).
x86::InterruptController& create_i8259_pair(Machine& machine, std::function<void(bool)> intr);

// "info pic": one line per chip as QEMU prints it; empty without a PIC.
std::string i8259_info(Machine& machine);
// "info irq": how often each ISA IRQ input was asserted (the slave's as
// 8-15), in QEMU's layout; empty without a PIC.
std::string i8259_irq_statistics(Machine& machine);

}  // namespace mimic::hw
