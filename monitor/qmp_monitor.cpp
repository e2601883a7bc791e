#include "qmp_monitor.h"

#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"

#include <fmt/format.h>

namespace mimic::monitor {

namespace {

Json error_response(ErrorClass error_class, const std::string& desc) {
    return {{"error", {{"class", to_string(error_class)}, {"desc", desc}}}};
}

// Adds the request's id to a response. QEMU's output puts "id" after
// "return" but before "error"; tools do not care, transcripts look alike.
Json with_id(Json response, const Json* id) {
    if (!id) return response;
    if (response.contains("error")) {
        Json result = {{"id", *id}};
        result["error"] = std::move(response["error"]);
        return result;
    }
    response["id"] = *id;
    return response;
}

}  // namespace

QmpMonitor::QmpMonitor(MonitorHub& hub, bool pretty, Output output, JsonStreamLimits limits)
    : Monitor(hub, Mode::kControl, std::move(output)),
      pretty_(pretty),
      parser_([this](std::optional<Json> value, std::string error) { handle(std::move(value), error); }, limits) {}

QmpMonitor::~QmpMonitor() = default;

void QmpMonitor::open() {
    negotiated_ = false;
    oob_ = false;
    parser_.reset();
    const VersionInfo& version = version_info();
    Json greeting = {{"QMP",
                      {{"version",
                        {{"qemu", {{"micro", version.micro}, {"minor", version.minor}, {"major", version.major}}},
                         {"package", version.package}}},
                       {"capabilities", Json::array({"oob"})}}}};
    send(greeting);
}

void QmpMonitor::close() {
    // The next client has to negotiate afresh, as with QEMU.
    negotiated_ = false;
    oob_ = false;
    parser_.reset();
}

void QmpMonitor::receive(std::string_view bytes) { parser_.feed(bytes); }

void QmpMonitor::deliver_event(const Json& message) {
    if (negotiated_) send(message);
}

void QmpMonitor::send(const Json& message) { write(to_qmp_text(message, pretty_) + "\n"); }

void QmpMonitor::handle(std::optional<Json> request, const std::string& parse_error) {
    if (!request) {
        send(error_response(ErrorClass::kGenericError, parse_error));
        return;
    }
    send(dispatch(*request));
}

Json QmpMonitor::dispatch(const Json& request) {
    if (!request.is_object()) {
        return error_response(ErrorClass::kGenericError, "QMP input must be a JSON object");
    }
    const Json* id = nullptr;
    if (auto it = request.find("id"); it != request.end()) id = &*it;

    // Validate the envelope the way QEMU does, member by member.
    const Json* execute = nullptr;
    const char* execute_key = nullptr;
    for (auto it = request.begin(); it != request.end(); ++it) {
        const std::string& key = it.key();
        if (key == "execute" || (key == "exec-oob" && oob_)) {
            if (!it->is_string()) {
                return with_id(error_response(ErrorClass::kGenericError,
                                              fmt::format("QMP input member '{}' must be a string", key)),
                               id);
            }
            if (execute) {
                return with_id(error_response(ErrorClass::kGenericError,
                                              fmt::format("QMP input member '{}' clashes with '{}'", key, execute_key)),
                               id);
            }
            execute = &*it;
            execute_key = key == "execute" ? "execute" : "exec-oob";
        } else if (key == "arguments") {
            if (!it->is_object()) {
                return with_id(error_response(ErrorClass::kGenericError,
                                              "QMP input member 'arguments' must be an object"),
                               id);
            }
        } else if (key != "id") {
            return with_id(error_response(ErrorClass::kGenericError,
                                          fmt::format("QMP input member '{}' is unexpected", key)),
                           id);
        }
    }
    if (!execute) {
        return with_id(error_response(ErrorClass::kGenericError, "QMP input lacks member 'execute'"), id);
    }
    const std::string& name = execute->get_ref<const std::string&>();
    const CommandDef* command = hub_.schema().find_command(name);

    // Until negotiation only qmp_capabilities exists; everything else is
    // "not found" with QEMU's more helpful text.
    if (!negotiated_ && name != "qmp_capabilities") {
        return with_id(error_response(ErrorClass::kCommandNotFound,
                                      "Expecting capabilities negotiation with 'qmp_capabilities'"),
                       id);
    }
    if (!command) {
        return with_id(error_response(ErrorClass::kCommandNotFound,
                                      fmt::format("The command {} has not been found", name)),
                       id);
    }
    if (std::string_view(execute_key) == "exec-oob" && !command->allow_oob) {
        return with_id(error_response(ErrorClass::kGenericError,
                                      fmt::format("The command {} does not support OOB", name)),
                       id);
    }
    Json arguments = Json::object();
    if (auto it = request.find("arguments"); it != request.end()) arguments = *it;
    try {
        Json result = hub_.execute(name, arguments, this);
        return with_id({{"return", std::move(result)}}, id);
    } catch (const QmpError& e) {
        return with_id(error_response(e.error_class(), e.what()), id);
    } catch (const Error& e) {
        return with_id(error_response(ErrorClass::kGenericError, e.what()), id);
    }
}

}  // namespace mimic::monitor
