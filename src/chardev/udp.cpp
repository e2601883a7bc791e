// "udp": datagrams to host:port, received on localaddr:localport (the
// netconsole setup). Connectionless, so it is "open" from the start.
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "backends.h"
#include "fd_chardev.h"
#include "mimic/util/error.h"
#include "socket_address.h"

namespace mimic::chardev {

namespace {

class UdpChardev : public FdChardev {
public:
    UdpChardev(std::string id, int fd, std::string remote) : FdChardev(std::move(id)), remote_(std::move(remote)) {
        set_fds(fd, fd, true);
        set_open(true);
    }
    const char* backend_name() const override { return "udp"; }
    std::string filename() const override { return "udp:" + remote_; }

protected:
    ssize_t raw_write(int fd, const void* data, size_t size) override {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        // Nobody listening yet (ICMP unreachable) is normal for netconsole.
        if (n < 0 && errno == ECONNREFUSED) return static_cast<ssize_t>(size);
        return n;
    }
    void on_input_error(int) override {}  // ECONNREFUSED from a previous send

private:
    std::string remote_;
};

struct AddrInfo {
    addrinfo* head = nullptr;
    ~AddrInfo() { if (head) freeaddrinfo(head); }
};

}  // namespace

std::unique_ptr<Chardev> create_udp(const std::string& id, const ChardevOptions& options) {
    SocketAddress remote = socket_address_from_options(options, "udp");
    if (remote.is_unix) throw Error("chardev: udp: unix sockets are not supported");
    if (remote.host.empty()) remote.host = "localhost";
    addrinfo hints{};
    hints.ai_family = remote.ipv4_only ? AF_INET : remote.ipv6_only ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    AddrInfo peer;
    int rc = getaddrinfo(remote.host.c_str(), remote.port.c_str(), &hints, &peer.head);
    if (rc != 0) throw Error("address resolution failed for {}: {}", remote.describe(), gai_strerror(rc));

    int fd = socket(peer.head->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw Error("Failed to create UDP socket: {}", errno_string(errno));
    std::string local_host = opt_string(options, "localaddr").value_or("");
    std::string local_port = opt_string(options, "localport").value_or("0");
    AddrInfo local;
    hints.ai_family = peer.head->ai_family;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(local_host.empty() ? nullptr : local_host.c_str(), local_port.c_str(), &hints, &local.head);
    if (rc != 0 || bind(fd, local.head->ai_addr, local.head->ai_addrlen) != 0) {
        int err = errno;
        close(fd);
        throw Error("Failed to bind socket: {}", rc != 0 ? gai_strerror(rc) : errno_string(err));
    }
    if (connect(fd, peer.head->ai_addr, peer.head->ai_addrlen) != 0) {
        int err = errno;
        close(fd);
        throw Error("Failed to connect to '{}': {}", remote.describe(), errno_string(err));
    }
    return std::make_unique<UdpChardev>(id, fd, remote.describe());
}

}  // namespace mimic::chardev
