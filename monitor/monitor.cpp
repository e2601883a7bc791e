#include "mimic/monitor/monitor.h"

#include "hmp_monitor.h"
#include "mimic/monitor/monitor_hub.h"
#include "qmp_monitor.h"

namespace mimic::monitor {

std::unique_ptr<Monitor> Monitor::create(MonitorHub& hub, Mode mode, bool pretty, Output output) {
    if (mode == Mode::kControl) return std::make_unique<QmpMonitor>(hub, pretty, std::move(output));
    return std::make_unique<HmpMonitor>(hub, std::move(output));
}

Monitor::Monitor(MonitorHub& hub, Mode mode, Output output)
    : hub_(hub), mode_(mode), output_(std::move(output)) {
    hub_.attach(this);
}

Monitor::~Monitor() { hub_.detach(this); }

void Monitor::write(std::string_view text) {
    if (text.empty() || !output_) return;
    std::string converted;
    converted.reserve(text.size() + 8);
    for (char c : text) {
        if (c == '\n') converted += '\r';
        converted += c;
    }
    output_(converted);
}

}  // namespace mimic::monitor
