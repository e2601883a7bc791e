#include "mimic/hw/board_signals.h"

#include <map>

#include "mimic/qom/machine.h"
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
    MIMIC_LOG(log::kUnimp, "system reset requested by {} (no reset hook installed)\n", why);
}

void set_a20_gate(const qom::Object& device, bool enabled) {
    BoardSignals& signals = board_signals(device);
    if (signals.set_a20) signals.set_a20(enabled);
}

}  // namespace mimic::hw
