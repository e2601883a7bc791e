#include "mimic/monitor/monitor_hub.h"

#include "builtins.h"
#include "hmp_parser.h"
#include "mimic/monitor/monitor.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/system/runstate.h"
#include "mimic/util/error.h"

#include <fmt/format.h>

#include <algorithm>

#ifndef MIMIC_VERSION
#define MIMIC_VERSION "0.0.0"
#endif

namespace mimic::monitor {

namespace {

constexpr size_t kMaxHmpReplyBytes = 16 << 20;

}  // namespace

const VersionInfo& version_info() {
    static const VersionInfo info{7, 2, 0, "mimic " MIMIC_VERSION, MIMIC_VERSION};
    return info;
}

MonitorHub::MonitorHub(system::RunControl& run_control)
    : run_control_(run_control),
      clock_([] { return std::chrono::system_clock::now(); }),
      self_(std::make_shared<MonitorHub*>(this)) {
    register_events(*this);
    register_core_commands(*this);
    register_provider_commands(*this);
    register_hmp_commands(*this);
    register_hmp_info_commands(*this);
    register_memory_commands(*this);

    // Run-state transitions become QMP events. The listener holds only a
    // weak handle so a hub destroyed before the RunControl is never called.
    std::weak_ptr<MonitorHub*> weak = self_;
    run_control_.add_event_listener([weak](const system::Event& event) {
        if (auto self = weak.lock(); self && *self) (*self)->emit_event(event.name, from_plain(event.data));
    });
}

MonitorHub::~MonitorHub() { *self_ = nullptr; }

Json MonitorHub::execute(const std::string& name, const Json& arguments, Monitor* caller) {
    const CommandDef* command = schema_.find_command(name);
    if (!command) throw QmpError(ErrorClass::kCommandNotFound, fmt::format("The command {} has not been found", name));
    schema_.check_arguments(*command, arguments);
    if (!command->handler) throw_not_supported(name);
    CommandContext context{*this, caller};
    return command->handler(arguments, context);
}

std::string MonitorHub::execute_hmp(const std::string& line, Monitor* caller, int cpu) {
    // Like QEMU's human-monitor-command: a throw-away session per call.
    HmpSession session;
    session.cpu = cpu;
    HmpContext context(*this, caller, session);
    run_hmp_line(line, context);
    if (context.password_request) context.output += "terminal does not support password prompting\n";
    // The reply is one string: streamed output is collected, within a bound
    // on host memory (QEMU's has none; x /100000000x 0 is 1.5 GB of text).
    while (context.more_output) {
        if (context.output.size() >= kMaxHmpReplyBytes) {
            context.output += fmt::format("Error: output cut at {} MiB, use a monitor for more\n",
                                          kMaxHmpReplyBytes >> 20);
            break;
        }
        try {
            if (!context.more_output(context.output)) break;
        } catch (const Error& e) {
            context.output += fmt::format("Error: {}\n", e.what());
            break;
        }
    }
    return std::move(context.output);
}

void MonitorHub::emit_event(const std::string& name, const Json& data) {
    using namespace std::chrono;
    auto since_epoch = duration_cast<microseconds>(clock_().time_since_epoch()).count();
    Json message = {{"timestamp", {{"seconds", since_epoch / 1000000}, {"microseconds", since_epoch % 1000000}}},
                    {"event", name}};
    // Events without data carry no "data" member at all, as in QEMU.
    const EventDef* def = schema_.find_event(name);
    if (!data.empty() || (def && !def->data.empty())) message["data"] = data;
    // Delivery may make a monitor go away (a client write fails): iterate a copy.
    std::vector<Monitor*> targets = monitors_;
    for (Monitor* monitor : targets) {
        if (std::find(monitors_.begin(), monitors_.end(), monitor) != monitors_.end()) monitor->deliver_event(message);
    }
}

void MonitorHub::attach(Monitor* monitor) { monitors_.push_back(monitor); }

void MonitorHub::detach(Monitor* monitor) {
    monitors_.erase(std::remove(monitors_.begin(), monitors_.end(), monitor), monitors_.end());
}

}  // namespace mimic::monitor
