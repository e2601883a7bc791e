#include "mimic/net/netdev.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <sys/ioctl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mimic/cli/opts.h"
#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/main_loop.h"
#include "mimic/net/hub.h"
#include "mimic/net/user.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/util/error.h"

namespace mimic::net {
namespace {

using Frame = std::vector<uint8_t>;

class Endpoint : public NetClient {
public:
    explicit Endpoint(std::string name) : NetClient(ClientKind::kNic, std::move(name)) {}
    std::string info_str() const override { return "model=e1000,macaddr=52:54:00:12:34:56"; }
    std::vector<Frame> received;
    int link_changes = 0;

protected:
    void receive(std::span<const uint8_t> frame) override { received.emplace_back(frame.begin(), frame.end()); }
    void link_status_changed() override { ++link_changes; }
};

std::string error_of(const std::string& option) {
    try {
        netdev_add(cli::parse_opts(option, "type"));
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

class NetdevTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!bql_locked()) bql_lock();
    }
    void TearDown() override {
        netdev_delete_all();
        qom::BackendRegistry::instance().clear();
    }
};

TEST_F(NetdevTest, GenericOptionErrors) {
    EXPECT_EQ(error_of("id=x"), "Parameter 'type' is missing");
    EXPECT_EQ(error_of("user"), "Parameter 'id' is missing");
    EXPECT_EQ(error_of("bogus,id=x"), "Parameter 'type' does not accept value 'bogus'");
    EXPECT_EQ(error_of("vde,id=x"), "the 'vde' network back end is not supported yet");
    EXPECT_EQ(error_of("user,id=n,foo=1"), "Invalid parameter 'foo'");
    EXPECT_EQ(error_of("user,id=n,restrict=maybe"), "Parameter 'restrict' expects 'on' or 'off'");
    EXPECT_EQ(error_of("hubport,id=h"), "Parameter 'hubid' is missing");
    EXPECT_EQ(error_of("hubport,id=h,hubid=x"), "Parameter 'hubid' expects an int64 value");
    EXPECT_EQ(error_of("hubport,id=h,hubid=99999999999"), "Parameter 'hubid' expects int32_t");
    EXPECT_EQ(error_of("hubport,id=hneg,hubid=-1"), "");  // hub -1 exists for QEMU too
    EXPECT_EQ(error_of("user,id=dup"), "");
    EXPECT_EQ(error_of("user,id=dup"), "Duplicate ID 'dup' for netdev");
}

TEST_F(NetdevTest, UserOptionErrorsAsQemu) {
    EXPECT_EQ(error_of("user,id=n,hostfwd=tcp::bad"), "Invalid host forwarding rule 'tcp::bad' (Bad host port separator)");
    EXPECT_EQ(error_of("user,id=n,hostfwd=foo::1-:2"), "Invalid host forwarding rule 'foo::1-:2' (Bad protocol name)");
    EXPECT_EQ(error_of("user,id=n,hostfwd=tcp::1-:"), "Invalid host forwarding rule 'tcp::1-:' (Bad guest port)");
    EXPECT_EQ(error_of("user,id=n,hostfwd=tcp:1"), "Invalid host forwarding rule 'tcp:1' (Missing : separator)");
    EXPECT_EQ(error_of("user,id=n,hostfwd=tcp::1-2"), "Invalid host forwarding rule 'tcp::1-2' (Missing guest address)");
    EXPECT_EQ(error_of("user,id=n,hostfwd=tcp::65536-:1"), "Invalid host forwarding rule 'tcp::65536-:1' (Bad host port)");
    EXPECT_EQ(error_of("user,id=n,hostfwd=tcp:a.b:1-:1"), "Invalid host forwarding rule 'tcp:a.b:1-:1' (Bad host address)");
    EXPECT_EQ(error_of("user,id=n,hostfwd=tcp::1-a:1"), "Invalid host forwarding rule 'tcp::1-a:1' (Bad guest address)");
    EXPECT_EQ(error_of("user,id=n,net=300.0.0.0"), "Failed to parse netmask");
    EXPECT_EQ(error_of("user,id=n,net=10.0.2.0/33"), "Invalid netmask provided (must be in range 4-32)");
    EXPECT_EQ(error_of("user,id=n,net=10.0.2.0/x"), "Failed to parse netmask (trailing chars)");
    EXPECT_EQ(error_of("user,id=n,host=1.2.3.4"), "Host doesn't belong to network");
    EXPECT_EQ(error_of("user,id=n,dhcpstart=1.2.3.4"), "DHCP doesn't belong to network");
    EXPECT_EQ(error_of("user,id=n,dns=10.0.2.2"), "DNS must be different from host");
    EXPECT_EQ(error_of("user,id=n,dhcpstart=10.0.2.3"), "DHCP must be different from host and DNS");
    EXPECT_EQ(error_of("user,id=n,ipv4=off,ipv6=off"), "IPv4 and IPv6 disabled");
    EXPECT_EQ(error_of("user,id=n,ipv4=off,net=10.0.0.0"), "IPv4 disabled but netmask/host/dns provided");
    EXPECT_EQ(error_of("user,id=n,ipv6-prefixlen=200"),
              "Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)");
    EXPECT_EQ(error_of("user,id=n,ipv6-host=fec1::1"), "IPv6 Host doesn't belong to network");
    EXPECT_EQ(error_of("user,id=n,guestfwd=foo"), "Invalid guest forwarding rule 'foo'");
    EXPECT_EQ(error_of("user,id=n,guestfwd=tcp:1.2.3.4:80-cmd:cat"),
              "Conflicting/invalid host:port in guest forwarding rule 'tcp:1.2.3.4:80-cmd:cat'");
}

TEST_F(NetdevTest, UserNetworkAddressesFollowNet) {
    UserNetConfig c = parse_user_config(cli::parse_opts("net=192.168.76.0/24", "type"));
    char text[INET_ADDRSTRLEN];
    auto str = [&](in_addr a) { return std::string(inet_ntop(AF_INET, &a, text, sizeof(text))); };
    EXPECT_EQ(str(c.net), "192.168.76.0");
    EXPECT_EQ(str(c.host), "192.168.76.2");
    EXPECT_EQ(str(c.dns), "192.168.76.3");
    EXPECT_EQ(str(c.dhcp_start), "192.168.76.15");
    c = parse_user_config(cli::parse_opts("net=10.0.2.0/255.255.0.0", "type"));
    EXPECT_EQ(str(c.mask), "255.255.0.0");
    HostForward fwd = parse_hostfwd("udp:127.0.0.1:0x10-10.0.2.9:0x16");
    EXPECT_TRUE(fwd.udp);
    EXPECT_EQ(fwd.host_port, 16);
    EXPECT_EQ(fwd.guest_port, 22);
    EXPECT_EQ(str(fwd.guest_addr), "10.0.2.9");
    EXPECT_FALSE(parse_hostfwd_remove("bad").has_value());
    EXPECT_EQ(parse_hostfwd_remove("tcp::5555")->host_port, 5555);
}

TEST_F(NetdevTest, UserInfoAndHostForwards) {
    NetClient& user = netdev_add(cli::parse_opts("user,id=u0,restrict=on,hostfwd=tcp:127.0.0.1:0-:22", "type"));
    EXPECT_EQ(user.info_str(), "net=10.0.2.0,restrict=on");
    auto* stack = dynamic_cast<UserNetdev*>(&user);
    ASSERT_NE(stack, nullptr);
    std::string table = stack->connection_info();
    EXPECT_NE(table.find("TCP[HOST_FORWARD]"), std::string::npos) << table;
    EXPECT_NE(table.find("10.0.2.15"), std::string::npos) << table;
    HostForward fwd;
    fwd.host_port = 1;
    EXPECT_FALSE(stack->remove_hostfwd(fwd));
    stack->add_hostfwd("udp:127.0.0.1:0-:53");
    EXPECT_NE(stack->connection_info().find("UDP[HOST_FORWARD]"), std::string::npos);
    EXPECT_THROW(stack->add_hostfwd("bad"), Error);
}

TEST_F(NetdevTest, InfoNetworkLayout) {
    Endpoint nic("e1000.0");
    NetClient& user = netdev_add(cli::parse_opts("user,id=n0", "type"));
    NetClient::link(nic, user);
    Endpoint lone("e1000.1");
    netdev_add(cli::parse_opts("hubport,id=hp,hubid=77", "type"));
    // Hubs outlive their ports (other tests leave theirs), newest first.
    std::string text = info_network();
    EXPECT_TRUE(text.starts_with("hub 77\n \\ hp\n")) << text;
    EXPECT_EQ(text.substr(text.find("e1000.0")),
              "e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
              " \\ n0: index=0,type=user,net=10.0.2.0,restrict=off\n"
              "e1000.1: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n");
}

TEST_F(NetdevTest, SetLinkFollowsQemu) {
    Endpoint nic("nic0");
    NetClient& user = netdev_add(cli::parse_opts("user,id=n0", "type"));
    NetClient::link(nic, user);
    // On the back end: the NIC peer follows.
    set_link("n0", false);
    EXPECT_FALSE(user.link_up());
    EXPECT_FALSE(nic.link_up());
    EXPECT_EQ(nic.link_changes, 1);
    // On the NIC: its peer does not (only NIC peers follow), but is told.
    set_link("nic0", true);
    EXPECT_TRUE(nic.link_up());
    EXPECT_FALSE(user.link_up());
    EXPECT_THROW(set_link("nope", true), Error);
}

TEST_F(NetdevTest, NetdevDelOfABackendInUse) {
    Endpoint nic("nic0");
    NetClient& user = netdev_add(cli::parse_opts("user,id=n0", "type"));
    NetClient::link(nic, user);
    netdev_del("n0");
    // Forgotten by id, still the NIC's peer, cable unplugged.
    EXPECT_EQ(NetClient::find("n0"), nullptr);
    EXPECT_EQ(qom::BackendRegistry::instance().find(qom::BackendKind::kNetdev, "n0"), nullptr);
    ASSERT_NE(nic.peer(), nullptr);
    EXPECT_EQ(nic.peer()->name(), "n0");
    EXPECT_FALSE(nic.link_up());
    EXPECT_NE(info_network().find(" \\ n0: index=0,type=user"), std::string::npos);
    try {
        netdev_del("n0");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "Device 'n0' not found");
    }
    netdev_add(cli::parse_opts("user,id=free", "type"));
    netdev_del("free");
    EXPECT_EQ(NetClient::find("free"), nullptr);
}

TEST_F(NetdevTest, SocketOptionErrors) {
    EXPECT_EQ(error_of("socket,id=s"), "exactly one of listen=, connect=, mcast= or udp= is required");
    EXPECT_EQ(error_of("socket,id=s,listen=:1,connect=:2"), "exactly one of listen=, connect=, mcast= or udp= is required");
    EXPECT_EQ(error_of("socket,id=s,listen=1234"), "host address '1234' doesn't contain ':' separating host from port");
    EXPECT_EQ(error_of("socket,id=s,listen=:x"), "port number 'x' is invalid");
    EXPECT_EQ(error_of("socket,id=s,udp=127.0.0.1:1"), "localaddr= is mandatory with udp=");
    EXPECT_EQ(error_of("socket,id=s,listen=:1234,localaddr=127.0.0.1"), "localaddr= is only valid with mcast= or udp=");
    EXPECT_EQ(error_of("socket,id=s,mcast=1.2.3.4:5"),
              "specified mcastaddr 1.2.3.4 (0x01020304) does not contain a multicast address");
    EXPECT_EQ(error_of("socket,id=s,fd=abc"), "Invalid file descriptor number 'abc'");
}

int free_tcp_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

// Two socket back ends in one process, one listening and one connecting:
// frames cross the loopback connection in both directions, in order.
TEST_F(NetdevTest, SocketStreamCarriesFramesBothWays) {
    int port = free_tcp_port();
    NetClient& server = netdev_add(cli::parse_opts(fmt::format("socket,id=srv,listen=127.0.0.1:{}", port), "type"));
    NetClient& client = netdev_add(cli::parse_opts(fmt::format("socket,id=cli,connect=127.0.0.1:{}", port), "type"));
    Endpoint a("a"), b("b");
    NetClient::link(a, server);
    NetClient::link(b, client);
    for (int i = 0; i < 200 && (server.info_str().empty() || client.info_str().empty()); ++i)
        main_loop_wait(10 * 1000 * 1000);
    EXPECT_EQ(client.info_str(), fmt::format("socket: connect to 127.0.0.1:{}", port));
    EXPECT_TRUE(server.info_str().starts_with("socket: connection from 127.0.0.1:")) << server.info_str();
    std::vector<Frame> sent;
    for (int i = 0; i < 20; ++i) sent.push_back(Frame(60 + i * 70, static_cast<uint8_t>(i)));
    for (const Frame& f : sent) a.send(f);
    b.send(Frame(64, 0xee));
    for (int i = 0; i < 200 && (b.received.size() < sent.size() || a.received.empty()); ++i)
        main_loop_wait(10 * 1000 * 1000);
    EXPECT_EQ(b.received, sent);
    ASSERT_EQ(a.received.size(), 1u);
    EXPECT_EQ(a.received[0], Frame(64, 0xee));
    // The client going away puts the server back to listening.
    netdev_del("cli");
    for (int i = 0; i < 200 && !server.info_str().empty(); ++i) main_loop_wait(10 * 1000 * 1000);
    EXPECT_EQ(server.info_str(), "");
}

TEST_F(NetdevTest, SocketConnectRefusedStaysUnconnected) {
    int port = free_tcp_port();  // nothing listens there
    NetClient& client = netdev_add(cli::parse_opts(fmt::format("socket,id=c,connect=127.0.0.1:{}", port), "type"));
    for (int i = 0; i < 10; ++i) main_loop_wait(1000 * 1000);
    EXPECT_EQ(client.info_str(), "");
    Endpoint nic("nic");
    NetClient::link(nic, client);
    EXPECT_TRUE(nic.send(Frame(60, 1)));  // into the void, as QEMU
}

// A receiver that can be told to refuse frames.
class SlowEndpoint : public Endpoint {
public:
    using Endpoint::Endpoint;
    bool ready = true;

protected:
    bool can_receive() const override { return ready; }
};

TEST_F(NetdevTest, TapFdMustBeATap) {
    EXPECT_EQ(error_of("tap,id=t,fd=2"), "Unable to query TUNGETIFF on FD 2: Inappropriate ioctl for device");
    EXPECT_EQ(error_of("tap,id=t,fd=1,ifname=x"),
              "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, fds=, and vhostfds= are invalid with fd=");
}

// The host sends frames into a TAP whose peer is busy: the back end stops
// reading its fd after the first frame queues, and reads on once the peer
// drains its queue.
TEST_F(NetdevTest, TapStopsReadingWhilePeerIsBusy) {
    int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tun < 0) GTEST_SKIP() << "/dev/net/tun: " << strerror(errno);
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "mtest%d", getpid() % 100000);
    if (ioctl(tun, TUNSETIFF, &ifr) < 0) {
        close(tun);
        GTEST_SKIP() << "TUNSETIFF: " << strerror(errno);
    }
    std::string ifname = ifr.ifr_name;
    int ctl = socket(AF_INET, SOCK_DGRAM, 0);
    ioctl(ctl, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    ASSERT_EQ(ioctl(ctl, SIOCSIFFLAGS, &ifr), 0);
    ASSERT_EQ(ioctl(ctl, SIOCGIFINDEX, &ifr), 0);
    int ifindex = ifr.ifr_ifindex;
    close(ctl);
    int packet = socket(AF_PACKET, SOCK_RAW, htons(0x88b5));
    ASSERT_GE(packet, 0);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_protocol = htons(0x88b5);
    ASSERT_EQ(bind(packet, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);

    NetClient& tap = netdev_add(cli::parse_opts(fmt::format("tap,id=t0,fd={}", tun), "type"));
    EXPECT_EQ(tap.info_str(), fmt::format("fd={}", tun));
    SlowEndpoint nic("nic");
    NetClient::link(nic, tap);
    nic.ready = false;
    constexpr int kFrames = 8;
    for (int i = 0; i < kFrames; ++i) {
        Frame frame(60, static_cast<uint8_t>(i));
        const uint8_t header[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5};
        std::copy(std::begin(header), std::end(header), frame.begin());
        ASSERT_EQ(send(packet, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
    }
    for (int i = 0; i < 20; ++i) main_loop_wait(5 * 1000 * 1000);
    // One frame (the kernel's own, or ours) was read and queued; then the
    // fd was left alone.
    EXPECT_EQ(nic.queued_frames(), 1u);
    auto ours = [&] {
        return std::count_if(nic.received.begin(), nic.received.end(),
                             [](const Frame& f) { return f.size() >= 14 && f[12] == 0x88 && f[13] == 0xb5; });
    };
    nic.ready = true;
    for (int i = 0; i < 200 && ours() < kFrames; ++i) {
        nic.flush_queue();
        main_loop_wait(5 * 1000 * 1000);
    }
    EXPECT_EQ(ours(), kFrames);
    close(packet);
}

}  // namespace
}  // namespace mimic::net
