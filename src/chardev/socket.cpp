// "socket": TCP or unix stream socket, as server (listening; one client at
// a time) or client (optionally reconnecting), optionally speaking telnet.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "backends.h"
#include "fd_chardev.h"
#include "mimic/main_loop/signals.h"
#include "mimic/main_loop/timer.h"
#include "mimic/util/error.h"
#include "socket_address.h"
#include "telnet.h"

namespace mimic::chardev {

namespace {

struct SocketConfig {
    SocketAddress address;
    bool server = false;
    bool wait = true;
    bool telnet = false;
    bool nodelay = false;
    int64_t reconnect_s = 0;
};

std::string bracket(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

class SocketChardev : public FdChardev {
public:
    SocketChardev(std::string id, SocketConfig config)
        : FdChardev(std::move(id)),
          config_(std::move(config)),
          reconnect_timer_(Clock::kRealtime, [this] { try_connect(); }) {
        if (config_.server) {
            start_server();
        } else if (!try_connect()) {
            if (config_.reconnect_s == 0) {
                throw Error("Failed to connect to '{}': {}", config_.address.describe(), errno_string(connect_errno_));
            }
        }
    }

    ~SocketChardev() override {
        close_fds();
        listen_watch_.remove();
        if (listen_fd_ >= 0) {
            close(listen_fd_);
            if (config_.address.is_unix) unlink(config_.address.path.c_str());
        }
    }

    const char* backend_name() const override { return "socket"; }

    std::string filename() const override {
        const char* scheme = config_.address.is_unix ? "unix" : config_.telnet ? "telnet" : "tcp";
        std::string server = config_.server ? ",server=on" : "";
        if (config_.address.is_unix) {
            return (is_open() ? "" : "disconnected:") + std::string("unix:") + config_.address.path + server;
        }
        if (!is_open()) {
            // A server shows where it really listens (port=0 picks one).
            // Unbracketed even for IPv6, as QEMU prints it.
            std::string where = config_.server ? listen_where_ : config_.address.host + ":" + config_.address.port;
            return "disconnected:" + std::string(scheme) + ":" + where + server;
        }
        return std::string(scheme) + ":" + bracket(local_.host) + ":" + local_.port + server + " <-> " +
               bracket(peer_.host) + ":" + peer_.port;
    }

protected:
    ssize_t raw_write(int fd, const void* data, size_t size) override {
        // MSG_NOSIGNAL: a vanished client is EPIPE here, not SIGPIPE.
        return send(fd, data, size, MSG_NOSIGNAL);
    }

    void deliver_input(std::span<const uint8_t> data) override {
        if (!config_.telnet) {
            frontend_receive(data);
            return;
        }
        std::vector<uint8_t> clean;
        int breaks = telnet_filter_.filter(data, clean);
        frontend_receive(clean);
        for (int i = 0; i < breaks; i++) frontend_event(ChardevEvent::kBreak);
    }

    size_t do_write(std::span<const uint8_t> data) override {
        if (!config_.telnet) return FdChardev::do_write(data);
        return write_telnet(data);
    }

    void on_input_eof() override { disconnect(); }
    void on_input_error(int) override { disconnect(); }
    void on_output_error(int) override { disconnect(); }

private:
    void start_server() {
        listen_fd_ = socket_listen(config_.address);
        if (!config_.address.is_unix) {
            Endpoint bound = local_endpoint(listen_fd_);
            listen_where_ = bound.host + ":" + bound.port;
        }
        if (config_.wait) {
            report(ReportKind::kInfo, "Mimic waiting for connection on: " + filename());
            wait_for_client();
        }
        listen_watch_ = FdWatch(listen_fd_, {.readable = [this] { accept_client(); },
                                             .read_gate = [this] { return !is_open(); }});
    }

    // Blocks startup until the first client, like QEMU's server,wait=on.
    void wait_for_client() {
        while (!is_open()) {
            pollfd pfd{listen_fd_, POLLIN, 0};
            int rc = poll(&pfd, 1, 200);
            // Ctrl-C while waiting: give up so the main loop can act on it.
            if (termination_signal_pending()) return;
            if (rc > 0) accept_client();
        }
    }

    void accept_client() {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // spurious wakeup or client already gone
        connected(fd);
    }

    bool try_connect() {
        int fd = socket_connect(config_.address);
        if (fd < 0) {
            connect_errno_ = errno;
            if (config_.reconnect_s > 0) {
                schedule_reconnect();
            }
            return false;
        }
        connected(fd);
        return true;
    }

    // In telnet a 0xff data byte goes out doubled, or the client would take
    // it for a command. Returns input bytes consumed; a doubled 0xff of
    // which only half fitted counts as consumed, the other half is owed.
    size_t write_telnet(std::span<const uint8_t> data) {
        static constexpr uint8_t kEscapedIac[2] = {telnet::kIac, telnet::kIac};
        if (owe_iac_) {
            if (FdChardev::do_write(std::span(kEscapedIac, 1)) == 0) return 0;
            owe_iac_ = false;
        }
        size_t done = 0;
        while (done < data.size()) {
            std::span<const uint8_t> rest = data.subspan(done);
            size_t run = 0;
            while (run < rest.size() && rest[run] != telnet::kIac) run++;
            if (run > 0) {
                size_t n = FdChardev::do_write(rest.first(run));
                done += n;
                if (n < run) break;
                continue;
            }
            size_t n = FdChardev::do_write(kEscapedIac);
            if (n == 0) break;
            done++;
            if (n == 1) {
                owe_iac_ = true;
                break;
            }
        }
        return done;
    }

    void schedule_reconnect() {
        reconnect_timer_.mod_ns(clock_get_ns(Clock::kRealtime) + config_.reconnect_s * kNsPerSec);
    }

    void connected(int fd) {
        if (!config_.address.is_unix && config_.nodelay) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (!config_.address.is_unix) {
            local_ = local_endpoint(fd);
            peer_ = peer_endpoint(fd);
        }
        set_fds(fd, fd, true);
        telnet_filter_ = TelnetFilter{};
        owe_iac_ = false;
        if (config_.telnet) {
            // A fresh socket's buffer takes 12 bytes without blocking.
            ssize_t ignored = send(fd, kTelnetGreeting, sizeof kTelnetGreeting, MSG_NOSIGNAL);
            (void)ignored;
        }
        set_open(true);
    }

    void disconnect() {
        if (!is_open()) return;
        close_fds();
        set_open(false);
        if (!config_.server && config_.reconnect_s > 0) {
            schedule_reconnect();
        }
    }

    SocketConfig config_;
    int listen_fd_ = -1;
    std::string listen_where_;
    FdWatch listen_watch_;
    Endpoint local_;
    Endpoint peer_;
    TelnetFilter telnet_filter_;
    bool owe_iac_ = false;
    Timer reconnect_timer_;
    int connect_errno_ = 0;
};

}  // namespace

std::unique_ptr<Chardev> create_socket(const std::string& id, const ChardevOptions& options) {
    SocketConfig config;
    config.address = socket_address_from_options(options, "socket");
    config.server = opt_bool(options, "server").value_or(false);
    config.wait = opt_bool(options, "wait").value_or(true);
    config.telnet = opt_bool(options, "telnet").value_or(false) || opt_bool(options, "tn3270").value_or(false);
    // "nodelay" and its older spelling "delay=off" both disable Nagle.
    config.nodelay = opt_bool(options, "nodelay").value_or(false) || !opt_bool(options, "delay").value_or(true);
    config.reconnect_s = static_cast<int64_t>(opt_number(options, "reconnect").value_or(0));
    if (config.server && config.reconnect_s > 0) {
        throw Error("'reconnect' option is incompatible with socket in server listen mode");
    }
    if (!config.server && options.count("wait")) {
        throw Error("'wait' option is incompatible with socket in client connect mode");
    }
    return std::make_unique<SocketChardev>(id, std::move(config));
}

}  // namespace mimic::chardev
