#include "mimic/hw/board_signals.h"

#include <map>

#include "mimic/hw/machine.h"
#include "mimic/qom/machine.h"
#include "mimic/system/runstate.h"
#include "mimic/util/log.h"

namespace mimic::hw {

BoardSignals& board_signals(const qom::Object& object) {
    // Keyed by machine: there is one per process in practice, but tests and
    // future multi-machine tools must not share hooks by accident.
    static std::map<const qom::Machine*, BoardSignals> signals;
    const qom::Machine* machine = dynamic_cast<const qom::Machine*>(&object);
    if (!machine) machine = qom::Machine::of(object);
    return signals[machine];
}

void request_system_reset(const qom::Object& device, const char* why) {
    BoardSignals& signals = board_signals(device);
    if (signals.reset_request) {
        signals.reset_request();
        return;
    }
    // The default: a guest reset through the VM's run control, which resets
    // every device (or exits with -no-reboot).
    if (Machine* machine = Machine::of(device); machine && machine->run_control()) {
        machine->run_control()->request_reset(system::ShutdownCause::kGuestReset);
        return;
    }
    MIMIC_LOG(log::kUnimp, "system reset requested by {} (no reset hook installed)\n", why);
}

void set_a20_gate(const qom::Object& device, bool enabled) {
    BoardSignals& signals = board_signals(device);
    if (signals.set_a20) signals.set_a20(enabled);
}

}  // namespace mimic::hw
