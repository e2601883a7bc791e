// The PC's I/O APIC ("ioapic", /machine/ioapic): 24 inputs at 0xfec00000
// whose redirection entries become messages on the machine's APIC bus (see
// apic.h, which must exist first). The board wires ISA IRQ n to input n,
// except IRQ0 (the PIT) to input 2, as the MADT's interrupt source
// override says. qtest intercepts its inputs with "irq_intercept_in ioapic".
#pragma once

#include <memory>

#include "mimic/hw/irq.h"

namespace mimic::qom {
class Object;
}

namespace mimic::hw {

class Machine;

inline constexpr uint64_t kIoapicBase = 0xfec00000;
inline constexpr unsigned kIoapicPins = 24;

// Returns the inputs (pin n = GSI n).
// `parent`: where it sits in the QOM tree as "ioapic" (QEMU's pc puts it
// under its host bridge, /machine/i440fx/ioapic).
std::shared_ptr<IrqInputs> create_ioapic(Machine& machine, qom::Object& parent);

}  // namespace mimic::hw
