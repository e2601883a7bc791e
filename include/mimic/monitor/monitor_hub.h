// State shared by all monitors of one VM: the command schema, the HMP table,
// the providers, the run state, and the fan-out of events to QMP clients.
//
// Created once by the emulator's main() after the RunControl; the built-in
// commands (query-version, stop, cont, ...) are declared by the constructor,
// and subsystems add theirs and register their providers afterwards.
#pragma once

#include "mimic/monitor/hmp_table.h"
#include "mimic/monitor/json.h"
#include "mimic/monitor/providers.h"
#include "mimic/monitor/schema.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mimic::system {
class RunControl;
}

namespace mimic::monitor {

class Monitor;

// The version QMP and `info version` report. QMP clients (libvirt, qmp-shell,
// the QEMU Python library) check the "qemu" triple to decide which commands
// exist, so Mimic reports the QEMU release whose interface it follows, 7.2.0,
// and names itself in "package".
struct VersionInfo {
    int major = 7;
    int minor = 2;
    int micro = 0;
    std::string package;  // "mimic 0.1.0"
    std::string mimic;    // "0.1.0", for the HMP banner
};
const VersionInfo& version_info();

class MonitorHub {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    explicit MonitorHub(system::RunControl& run_control);
    ~MonitorHub();
    MonitorHub(const MonitorHub&) = delete;
    MonitorHub& operator=(const MonitorHub&) = delete;

    Schema& schema() { return schema_; }
    HmpTable& hmp() { return hmp_; }
    Providers& providers() { return providers_; }
    system::RunControl& run_control() { return run_control_; }

    // -name; query-name answers {} while unset.
    void set_name(std::optional<std::string> name) { name_ = std::move(name); }
    const std::optional<std::string>& name() const { return name_; }
    // -uuid; query-uuid answers all zeroes while unset.
    void set_uuid(std::optional<std::string> uuid) { uuid_ = std::move(uuid); }
    const std::optional<std::string>& uuid() const { return uuid_; }

    // Runs a QMP command after checking `arguments` (an object) against its
    // declaration. Throws QmpError; returns the command's "return" value.
    Json execute(const std::string& command, const Json& arguments, Monitor* caller = nullptr);

    // Runs one HMP line and returns what it printed (human-monitor-command);
    // `cpu` is the CPU that commands like `info registers` and `x` act on.
    std::string execute_hmp(const std::string& line, Monitor* caller = nullptr, int cpu = 0);

    // Sends an event, stamped with the time, to every QMP client that has
    // negotiated capabilities. `name` must be declared in the schema.
    void emit_event(const std::string& name, const Json& data = Json::object());

    // Wall clock for event timestamps; tests fix it.
    void set_clock(Clock clock) { clock_ = std::move(clock); }

    // Monitors register themselves while they exist.
    void attach(Monitor* monitor);
    void detach(Monitor* monitor);
    const std::vector<Monitor*>& monitors() const { return monitors_; }

private:
    system::RunControl& run_control_;
    Schema schema_;
    HmpTable hmp_;
    Providers providers_;
    std::optional<std::string> name_;
    std::optional<std::string> uuid_;
    Clock clock_;
    std::vector<Monitor*> monitors_;
    // Cleared in the destructor: the RunControl listener outlives the hub
    // (listeners cannot be removed) and must then do nothing.
    std::shared_ptr<MonitorHub*> self_;
};

}  // namespace mimic::monitor
