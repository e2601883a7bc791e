// Board-level signals that PC devices drive but do not own: the system reset
// request (keyboard controller pulse, port 92h bit 0) and the A20 gate (port
// 92h bit 1, the i8042 output port). Whoever builds the VM may install hooks
// (the CPU for A20). Without a reset hook, a reset request goes to the
// machine's run control as a guest reset (-no-reboot makes it an exit);
// without either it is only logged (-d unimp). A20 changes without a hook
// are remembered by the devices but go nowhere.
//
// The hooks live per machine so devices find them through their object tree.
#pragma once

#include <functional>

namespace mimic::qom {
class Object;
}
namespace mimic::x86 {
class InterruptController;
}

namespace mimic::hw {

struct BoardSignals {
    std::function<void()> reset_request;
    std::function<void(bool enabled)> set_a20;
    // The CPU side of the interrupt controller: the board's PIC registers
    // itself here, and whoever creates the vCPU passes it to
    // X86Cpu::set_interrupt_controller() and sets cpu_intr to the CPU's
    // set_irq_line() (a CPU connected late asks has_interrupt() once).
    x86::InterruptController* interrupt_controller = nullptr;
    std::function<void(bool level)> cpu_intr;
};

// The signals of the machine `object` belongs to (a device, or the machine
// itself). Objects outside any machine share one fallback set.
BoardSignals& board_signals(const qom::Object& object);

// Convenience for devices: call the hook or log that nothing listens.
void request_system_reset(const qom::Object& device, const char* why);
void set_a20_gate(const qom::Object& device, bool enabled);

}  // namespace mimic::hw
