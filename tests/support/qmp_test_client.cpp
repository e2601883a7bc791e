#include "qmp_test_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace mimic::test {

QmpTestClient::QmpTestClient(const std::string& socket_path, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("qmp: socket: " + std::string(std::strerror(errno)));
        if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
        close(fd_);
        fd_ = -1;
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("qmp: cannot connect to " + socket_path + ": " + std::strerror(errno));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    nlohmann::json greeting = read_message();
    if (!greeting.contains("QMP")) throw std::runtime_error("qmp: no greeting: " + greeting.dump());
    nlohmann::json reply = command("qmp_capabilities");
    if (!reply.contains("return")) throw std::runtime_error("qmp: negotiation failed: " + reply.dump());
}

QmpTestClient::~QmpTestClient() {
    if (fd_ >= 0) close(fd_);
}

nlohmann::json QmpTestClient::read_message() {
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        size_t end = buffer_.find('\n');
        if (end != std::string::npos) {
            std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 1);
            return nlohmann::json::parse(line);
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("qmp: timed out waiting for the emulator");
        pollfd pfd = {fd_, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
        char chunk[4096];
        ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
        if (got <= 0) throw std::runtime_error("qmp: the emulator closed the connection");
        buffer_.append(chunk, static_cast<size_t>(got));
    }
}

nlohmann::json QmpTestClient::command(const std::string& name, const nlohmann::json& arguments) {
    nlohmann::json request = {{"execute", name}};
    if (!arguments.empty()) request["arguments"] = arguments;
    std::string text = request.dump() + "\n";
    if (send(fd_, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) {
        throw std::runtime_error("qmp: cannot send " + name);
    }
    for (;;) {
        nlohmann::json message = read_message();
        if (message.contains("event")) {
            events_.push_back(std::move(message));
            continue;
        }
        return message;
    }
}

std::string QmpTestClient::error_of(const std::string& name, const nlohmann::json& arguments) {
    nlohmann::json reply = command(name, arguments);
    return reply.contains("error") ? reply["error"]["desc"].get<std::string>() : std::string();
}

nlohmann::json QmpTestClient::wait_event(const std::string& name) {
    for (;;) {
        for (auto it = events_.begin(); it != events_.end(); ++it) {
            if ((*it)["event"] == name) {
                nlohmann::json event = std::move(*it);
                events_.erase(it);
                return event;
            }
        }
        events_.push_back(read_message());
    }
}

}  // namespace mimic::test
