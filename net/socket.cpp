// -netdev socket (see socket.h).
#include "mimic/net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "backends.h"
#include "mimic/cli/opts.h"
#include "mimic/main_loop/fd_watch.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::net {
namespace {

constexpr std::array kParams = {
    ParamDesc{"fd", ParamType::kString},     ParamDesc{"listen", ParamType::kString},
    ParamDesc{"connect", ParamType::kString}, ParamDesc{"mcast", ParamType::kString},
    ParamDesc{"localaddr", ParamType::kString}, ParamDesc{"udp", ParamType::kString},
};

// A stream peer that stops reading stalls us; beyond this much unsent
// output we refuse frames (they queue at the sender, who may stop).
constexpr size_t kMaxPendingOutput = 256 * 1024;

std::string address_text(const sockaddr_in& addr) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr.sin_addr, text, sizeof(text));
    return fmt::format("{}:{}", text, ntohs(addr.sin_port));
}

// QEMU's parse_host_port: "[host]:port", host resolved to IPv4.
sockaddr_in parse_host_port(const std::string& text) {
    size_t colon = text.find(':');
    if (colon == std::string::npos)
        throw Error("host address '{}' doesn't contain ':' separating host from port", text);
    std::string host = text.substr(0, colon), port = text.substr(colon + 1);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (host.empty()) {
        addr.sin_addr.s_addr = INADDR_ANY;
    } else if (!inet_aton(host.c_str(), &addr.sin_addr)) {
        addrinfo hints{}, *result = nullptr;
        hints.ai_family = AF_INET;
        if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || !result)
            throw Error("can't resolve host address '{}'", host);
        addr.sin_addr = reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr;
        freeaddrinfo(result);
    }
    char* end = nullptr;
    errno = 0;
    long value = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || errno || value < INT32_MIN || value > INT32_MAX)
        throw Error("port number '{}' is invalid", port);
    addr.sin_port = htons(static_cast<uint16_t>(value));
    return addr;
}

int new_socket(int type) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw Error("can't create socket: {}", errno_string(errno));
    return fd;
}

class SocketNetdev : public NetClient {
public:
    SocketNetdev(std::string name) : NetClient(ClientKind::kSocket, std::move(name)) {}
    ~SocketNetdev() override { SocketNetdev::shut_down(); }

    std::string info_str() const override { return info_; }

    // A stream server: accepts one connection at a time.
    void start_listening(int listen_fd) {
        listen_fd_ = listen_fd;
        listen_watch_ = FdWatch(listen_fd_, FdHandlers{.readable = [this] { accept_connection(); }});
    }

    // A stream client; `connected` when connect() completed at once.
    void start_connecting(int fd, const sockaddr_in& to, bool connected) {
        fd_ = fd;
        stream_ = true;
        remote_ = to;
        if (connected) {
            stream_ready(fmt::format("socket: connect to {}", address_text(to)));
            return;
        }
        // A refused connection reports POLLERR/POLLHUP, not POLLOUT.
        watch_ = FdWatch(fd_, FdHandlers{.writable = [this] { connect_finished(); },
                                         .hangup = [this] { connect_finished(); }});
        watch_.set_write_interest(true);
    }

    // A datagram socket sending to `to` (for fd=, the connected default).
    void start_datagram(int fd, std::optional<sockaddr_in> to, std::string info) {
        fd_ = fd;
        stream_ = false;
        dgram_to_ = to;
        info_ = std::move(info);
        watch_ = FdWatch(fd_, FdHandlers{.readable = [this] { read_datagrams(); },
                                         .read_gate = [this] { return peer_ready_; }});
    }

    // An already connected stream (fd=).
    void start_stream(int fd, std::string info) {
        fd_ = fd;
        stream_ = true;
        stream_ready(std::move(info));
    }

protected:
    bool can_receive() const override { return !stream_ || out_.size() < kMaxPendingOutput; }

    void receive(std::span<const uint8_t> frame) override {
        if (fd_ < 0) return;
        if (!stream_) {
            ssize_t n;
            do {
                n = dgram_to_ ? sendto(fd_, frame.data(), frame.size(), 0,
                                       reinterpret_cast<const sockaddr*>(&*dgram_to_), sizeof(*dgram_to_))
                              : ::send(fd_, frame.data(), frame.size(), 0);
            } while (n < 0 && errno == EINTR);
            return;  // a full socket buffer drops the datagram
        }
        if (!connected_) return;
        std::vector<uint8_t> bytes = StreamFramer::encode(frame);
        out_.insert(out_.end(), bytes.begin(), bytes.end());
        write_pending();
    }

    void queue_drained() override { peer_ready_ = true; }

    void shut_down() override {
        watch_.remove();
        listen_watch_.remove();
        if (fd_ >= 0) close(fd_);
        if (listen_fd_ >= 0) close(listen_fd_);
        fd_ = listen_fd_ = -1;
        connected_ = false;
    }

private:
    void accept_connection() {
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        // One connection at a time: the next waits in the backlog.
        listen_watch_.remove();
        fd_ = fd;
        stream_ = true;
        stream_ready(fmt::format("socket: connection from {}", address_text(from)));
    }

    void connect_finished() {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == EINPROGRESS) return;
        watch_.remove();
        if (err) {
            // QEMU says nothing either: the back end just stays unconnected.
            close(fd_);
            fd_ = -1;
            return;
        }
        stream_ready(fmt::format("socket: connect to {}", address_text(remote_)));
    }

    void stream_ready(std::string info) {
        info_ = std::move(info);
        connected_ = true;
        framer_.reset();
        out_.clear();
        watch_ = FdWatch(fd_, FdHandlers{.readable = [this] { read_stream(); },
                                         .writable = [this] { write_pending(); },
                                         .read_gate = [this] { return peer_ready_; }});
    }

    void disconnect() {
        watch_.remove();
        close(fd_);
        fd_ = -1;
        connected_ = false;
        info_.clear();
        out_.clear();
        framer_.reset();
        // A server waits for the next connection, as QEMU's does.
        if (listen_fd_ >= 0)
            listen_watch_ = FdWatch(listen_fd_, FdHandlers{.readable = [this] { accept_connection(); }});
    }

    void read_stream() {
        std::array<uint8_t, 16384> buf;
        ssize_t n;
        do {
            n = read(fd_, buf.data(), buf.size());
        } while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            disconnect();
            return;
        }
        bool ok = framer_.feed({buf.data(), static_cast<size_t>(n)}, [this](std::span<const uint8_t> frame) {
            if (!send(frame)) peer_ready_ = false;
        });
        if (!ok) {
            MIMIC_LOG(log::kGuestErrors, "netdev {}: oversized frame on the stream, dropping the connection\n",
                      name());
            disconnect();
        }
    }

    void read_datagrams() {
        std::array<uint8_t, 65536> buf;
        for (int i = 0; i < 50 && peer_ready_ && fd_ >= 0; ++i) {
            ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
            if (n < 0) return;
            if (!send({buf.data(), static_cast<size_t>(n)})) peer_ready_ = false;
        }
    }

    void write_pending() {
        while (!out_.empty() && fd_ >= 0) {
            ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;
            out_.erase(out_.begin(), out_.begin() + n);
        }
        if (fd_ < 0) return;
        watch_.set_write_interest(!out_.empty());
        if (out_.size() < kMaxPendingOutput) flush_queue();
    }

    int fd_ = -1;
    int listen_fd_ = -1;
    bool stream_ = true;
    bool connected_ = false;
    bool peer_ready_ = true;
    std::string info_;
    sockaddr_in remote_{};
    std::optional<sockaddr_in> dgram_to_;
    StreamFramer framer_;
    std::vector<uint8_t> out_;
    FdWatch watch_, listen_watch_;
};

std::unique_ptr<NetClient> create(const std::string& name, const cli::Opts& opts) {
    int modes = opts.has("fd") + opts.has("listen") + opts.has("connect") + opts.has("mcast") + opts.has("udp");
    if (modes != 1) throw Error("exactly one of listen=, connect=, mcast= or udp= is required");
    if (opts.has("localaddr") && !opts.has("mcast") && !opts.has("udp"))
        throw Error("localaddr= is only valid with mcast= or udp=");
    auto socket = std::make_unique<SocketNetdev>(name);
    if (auto fd_text = opts.get("fd")) {
        char* end = nullptr;
        long fd = std::strtol(fd_text->c_str(), &end, 10);
        if (fd_text->empty() || *end || fd < 0 || fd > INT32_MAX)
            throw Error("Invalid file descriptor number '{}'", *fd_text);
        int type = 0;
        socklen_t len = sizeof(type);
        if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
            if (errno == EBADF) throw Error("{}: Can't use file descriptor {}: {}", name, fd, errno_string(errno));
            throw Error("netdev {}: fd={} is not a socket", name, fd);
        }
        fcntl(static_cast<int>(fd), F_SETFL, fcntl(static_cast<int>(fd), F_GETFL) | O_NONBLOCK);
        std::string info = fmt::format("socket: fd={}", fd);
        if (type == SOCK_DGRAM) {
            socket->start_datagram(static_cast<int>(fd), std::nullopt, info);
        } else if (type == SOCK_STREAM) {
            socket->start_stream(static_cast<int>(fd), info);
        } else {
            throw Error("socket type={} for fd={} must be either SOCK_DGRAM or SOCK_STREAM", type, fd);
        }
        return socket;
    }
    if (auto listen_at = opts.get("listen")) {
        sockaddr_in addr = parse_host_port(*listen_at);
        int fd = new_socket(SOCK_STREAM);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 || listen(fd, 0) < 0) {
            int err = errno;
            close(fd);
            throw Error("can't bind ip={} to socket: {}", address_text(addr).substr(0, address_text(addr).rfind(':')),
                        errno_string(err));
        }
        socket->start_listening(fd);
        return socket;
    }
    if (auto connect_to = opts.get("connect")) {
        sockaddr_in addr = parse_host_port(*connect_to);
        int fd = new_socket(SOCK_STREAM);
        int rc;
        do {
            rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
        } while (rc < 0 && errno == EINTR);
        if (rc < 0 && errno != EINPROGRESS) {
            int err = errno;
            close(fd);
            throw Error("can't connect socket: {}", errno_string(err));
        }
        socket->start_connecting(fd, addr, rc == 0);
        return socket;
    }
    if (auto group_text = opts.get("mcast")) {
        sockaddr_in group = parse_host_port(*group_text);
        uint32_t a = ntohl(group.sin_addr.s_addr);
        if (!IN_MULTICAST(a))
            throw Error("specified mcastaddr {} (0x{:08x}) does not contain a multicast address",
                        address_text(group).substr(0, address_text(group).rfind(':')), a);
        in_addr local{htonl(INADDR_ANY)};
        if (auto localaddr = opts.get("localaddr")) {
            if (!inet_aton(localaddr->c_str(), &local))
                throw Error("localaddr '{}' is not a valid IPv4 address", *localaddr);
        }
        int fd = new_socket(SOCK_DGRAM);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in bind_addr = group;
        if (bind(fd, reinterpret_cast<sockaddr*>(&bind_addr), sizeof(bind_addr)) < 0) {
            int err = errno;
            close(fd);
            throw Error("can't bind ip={} to socket: {}", inet_ntoa(group.sin_addr), errno_string(err));
        }
        ip_mreq mreq{group.sin_addr, local};
        if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) {
            int err = errno;
            close(fd);
            throw Error("can't add socket to multicast group {}: {}", inet_ntoa(group.sin_addr), errno_string(err));
        }
        unsigned char loop = 1;
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
        if (local.s_addr != htonl(INADDR_ANY)) setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &local, sizeof(local));
        socket->start_datagram(fd, group, fmt::format("socket: mcast={}", address_text(group)));
        return socket;
    }
    std::string udp = *opts.get("udp");
    auto localaddr = opts.get("localaddr");
    if (!localaddr) throw Error("localaddr= is mandatory with udp=");
    sockaddr_in local = parse_host_port(*localaddr);
    sockaddr_in remote = parse_host_port(udp);
    int fd = new_socket(SOCK_DGRAM);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) {
        int err = errno;
        close(fd);
        throw Error("can't bind ip={} to socket: {}", inet_ntoa(local.sin_addr), errno_string(err));
    }
    socket->start_datagram(fd, remote, fmt::format("socket: udp={}", address_text(remote)));
    return socket;
}

}  // namespace

const BackendType kSocketBackend{"socket", kParams, create};

}  // namespace mimic::net
