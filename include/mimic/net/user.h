// -netdev user: the guest's network through libslirp, a TCP/IP stack in
// user space (DHCP, DNS relay, TFTP, NAT to host sockets, port forwards).
//
// The options are turned into a UserNetConfig (parse_user_config, errors in
// QEMU's words) before any slirp state exists, so they are testable alone.
// The stack's sockets and timers run on the main loop: a GSource asks slirp
// for its poll set before every poll and hands it the results after.
#pragma once

#include <netinet/in.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimic/net/net_client.h"

namespace mimic::cli {
class Opts;
}

namespace mimic::net {

struct HostForward {
    bool udp = false;
    in_addr host_addr{};   // 0: any
    int host_port = 0;
    in_addr guest_addr{};  // 0: the first DHCP address
    int guest_port = 0;
};

// "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport". Throws
// "Invalid host forwarding rule '<rule>' (<reason>)".
HostForward parse_hostfwd(std::string_view rule);

// hostfwd_remove's "[tcp|udp]:[hostaddr]:hostport"; nullopt when malformed
// (QEMU then prints "invalid format").
std::optional<HostForward> parse_hostfwd_remove(std::string_view spec);

struct GuestForward {
    in_addr server{};
    int port = 0;
    std::string command;  // after "cmd:"; empty for a chardev target
    std::string chardev;
};

// "[tcp]:server:port-cmd:command" or "...-chardev". Throws
// "Invalid guest forwarding rule '<rule>'".
GuestForward parse_guestfwd(std::string_view rule);

struct UserNetConfig {
    bool ipv4 = true, ipv6 = true, restricted = false;
    in_addr net{}, mask{}, host{}, dhcp_start{}, dns{};
    in6_addr prefix6{}, host6{}, dns6{};
    int prefix6_len = 64;
    std::string hostname, tftp, bootfile, tftp_server_name, domainname, smb, smbserver;
    std::vector<std::string> dnssearch;
    std::vector<std::string> hostfwd, guestfwd;
};

// The options of -netdev user (validated as to names and types already).
UserNetConfig parse_user_config(const cli::Opts& opts);

// The user back ends alive, in creation order (`info usernet`, hostfwd_*).
class UserNetdev;
std::vector<UserNetdev*> user_netdevs();

class UserNetdev : public NetClient {
public:
    // Starts the stack and its forwards. Throws mimic::Error.
    UserNetdev(std::string name, const UserNetConfig& config);
    ~UserNetdev() override;

    // "net=10.0.2.0,restrict=off"
    std::string info_str() const override;

    // hostfwd_add: throws "Invalid host forwarding rule ..." or "Could not
    // set up host forwarding rule '<rule>'".
    void add_hostfwd(std::string_view rule);
    // hostfwd_remove: false when no such rule.
    bool remove_hostfwd(const HostForward& forward);
    // slirp's connection table, as `info usernet` prints it under
    // "Hub -1 (name):".
    std::string connection_info() const;

    struct State;

protected:
    void receive(std::span<const uint8_t> frame) override;
    void shut_down() override;

private:
    void add_guestfwd(std::string_view rule);

    UserNetConfig config_;
    State* state_ = nullptr;
};

}  // namespace mimic::net
