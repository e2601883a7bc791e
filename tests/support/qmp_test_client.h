// A test's QMP connection to a running emulator (for device tests that
// drive the machine over qtest and its monitor over QMP at the same time).
//
//   QtestClient vm({"-qmp", "unix:" + path + ",server=on,wait=off"});
//   QmpTestClient qmp(path);
//   nlohmann::json reply = qmp.command("device_add", {{"driver", "pci-testdev"}});
//   nlohmann::json event = qmp.wait_event("DEVICE_DELETED");
//
// Every call is bounded in time and throws std::runtime_error when the
// emulator does not answer, so a test never hangs.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <string>

namespace mimic::test {

class QmpTestClient {
public:
    // Connects (retrying while the socket is not there yet), reads the
    // greeting and negotiates capabilities.
    explicit QmpTestClient(const std::string& socket_path,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20));
    ~QmpTestClient();
    QmpTestClient(const QmpTestClient&) = delete;
    QmpTestClient& operator=(const QmpTestClient&) = delete;

    // The whole reply: {"return": ...} or {"error": {"class", "desc"}}.
    nlohmann::json command(const std::string& name, const nlohmann::json& arguments = nlohmann::json::object());
    // The "desc" of an error reply ("" when the command succeeded).
    std::string error_of(const std::string& name, const nlohmann::json& arguments = nlohmann::json::object());
    // The next event called `name` (earlier ones of other names are kept).
    nlohmann::json wait_event(const std::string& name);
    // Events received so far and not yet taken by wait_event.
    std::deque<nlohmann::json>& events() { return events_; }

private:
    nlohmann::json read_message();

    int fd_ = -1;
    std::chrono::milliseconds timeout_;
    std::string buffer_;
    std::deque<nlohmann::json> events_;
};

}  // namespace mimic::test
