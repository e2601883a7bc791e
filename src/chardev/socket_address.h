// Socket addresses as chardev options describe them, and the blocking
// listen/connect helpers the socket and udp backends share.
#pragma once

#include <sys/socket.h>

#include <string>

#include "mimic/chardev/options.h"

namespace mimic::chardev {

struct SocketAddress {
    bool is_unix = false;
    std::string host;  // tcp/udp; empty means "any" when listening
    std::string port;
    std::string path;  // unix
    // Listening: try ports port..port_to and take the first free one
    // (to=; 0 means only `port`).
    int port_to = 0;
    bool ipv4_only = false;
    bool ipv6_only = false;

    // "127.0.0.1:4444" or "/tmp/sock" as QEMU's connect errors quote it.
    std::string describe() const { return is_unix ? path : host + ":" + port; }
};

// Reads host/port or path. Throws mimic::Error ("chardev: socket: no host
// given" and friends; `what` names the backend in them).
SocketAddress socket_address_from_options(const ChardevOptions& options, const char* what);

// Listening socket (non-blocking, CLOEXEC). Removes a stale unix socket
// file first. Throws mimic::Error.
int socket_listen(const SocketAddress& address);

// Connected stream socket, or -1 with errno set (the caller decides whether
// failing is an error or a reason to retry).
int socket_connect(const SocketAddress& address);

// Numeric host and port of a socket's own or peer address.
struct Endpoint {
    std::string host;
    std::string port;
};
Endpoint local_endpoint(int fd);
Endpoint peer_endpoint(int fd);
Endpoint endpoint_of(const sockaddr* address, socklen_t length);

}  // namespace mimic::chardev
