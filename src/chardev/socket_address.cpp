#include "socket_address.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) throw Error("UNIX socket path '{}' is too long", path);
    std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    return sun;
}

struct AddrInfoList {
    addrinfo* head = nullptr;
    ~AddrInfoList() { if (head) freeaddrinfo(head); }
};

void resolve(const SocketAddress& address, bool passive, AddrInfoList& list) {
    addrinfo hints{};
    hints.ai_family = address.ipv4_only ? AF_INET : address.ipv6_only ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    const char* host = address.host.empty() ? nullptr : address.host.c_str();
    int rc = getaddrinfo(host, address.port.c_str(), &hints, &list.head);
    if (rc != 0) {
        throw Error("address resolution failed for {}:{}: {}", address.host, address.port, gai_strerror(rc));
    }
}

}  // namespace

SocketAddress socket_address_from_options(const ChardevOptions& options, const char* what) {
    SocketAddress address;
    if (auto path = opt_string(options, "path")) {
        address.is_unix = true;
        address.path = *path;
        if (address.path.empty()) throw Error("chardev: {}: no path given", what);
        return address;
    }
    auto host = opt_string(options, "host");
    auto port = opt_string(options, "port");
    if (!host) throw Error("chardev: {}: no host given", what);
    if (!port || port->empty()) throw Error("chardev: {}: no port given", what);
    address.host = *host;
    address.port = *port;
    if (auto to = opt_number(options, "to")) address.port_to = static_cast<int>(*to);
    address.ipv4_only = opt_bool(options, "ipv4").value_or(false);
    address.ipv6_only = opt_bool(options, "ipv6").value_or(false);
    return address;
}

int socket_listen(const SocketAddress& address) {
    if (address.is_unix) {
        sockaddr_un sun = unix_address(address.path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) throw Error("Failed to create Unix socket: {}", errno_string(errno));
        unlink(address.path.c_str());
        if (bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0 || listen(fd, 1) != 0) {
            int err = errno;
            close(fd);
            throw Error("Failed to bind socket to {}: {}", address.path, errno_string(err));
        }
        return fd;
    }
    int first = std::atoi(address.port.c_str());
    int last = address.port_to > first ? address.port_to : first;
    int last_errno = EADDRNOTAVAIL;
    for (int port = first; port <= last; port++) {
        SocketAddress attempt = address;
        if (last != first) attempt.port = std::to_string(port);
        AddrInfoList list;
        resolve(attempt, true, list);
        for (addrinfo* ai = list.head; ai; ai = ai->ai_next) {
            int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
            if (fd < 0) {
                last_errno = errno;
                continue;
            }
            // A restarted emulator must be able to reuse its port at once.
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0) return fd;
            last_errno = errno;
            close(fd);
        }
    }
    if (last != first) throw Error("Failed to find an available port: {}", errno_string(last_errno));
    throw Error("Failed to bind socket: {}", errno_string(last_errno));
}

int socket_connect(const SocketAddress& address) {
    int fd = -1;
    if (address.is_unix) {
        sockaddr_un sun = unix_address(address.path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        set_nonblocking(fd);
        return fd;
    }
    AddrInfoList list;
    resolve(address, false, list);
    int last_errno = ECONNREFUSED;
    for (addrinfo* ai = list.head; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            set_nonblocking(fd);
            return fd;
        }
        last_errno = errno;
        close(fd);
    }
    errno = last_errno;
    return -1;
}

Endpoint endpoint_of(const sockaddr* address, socklen_t length) {
    if (address->sa_family == AF_UNIX) {
        auto* sun = reinterpret_cast<const sockaddr_un*>(address);
        size_t max = length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
        return {std::string(sun->sun_path, strnlen(sun->sun_path, max)), ""};
    }
    char host[NI_MAXHOST] = "";
    char port[NI_MAXSERV] = "";
    getnameinfo(address, length, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    return {host, port};
}

Endpoint local_endpoint(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return endpoint_of(reinterpret_cast<sockaddr*>(&ss), len);
}

Endpoint peer_endpoint(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return endpoint_of(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace mimic::chardev
