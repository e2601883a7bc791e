// ringbuf, udp, null/vc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mimic/chardev/registry.h"
#include "mimic/chardev/ringbuf.h"
#include "mimic/util/error.h"
#include "test_util.h"

using namespace mimic;
using namespace mimic::chardev;
using namespace mimic::chardev::testing;

namespace {

using MiscBackends = ChardevTest;

TEST_F(MiscBackends, RingbufKeepsNewestOutput) {
    auto c = create_backend(parse_chardev_string("ringbuf,id=rb,size=8"));
    auto* rb = dynamic_cast<RingbufChardev*>(c.get());
    ASSERT_NE(rb, nullptr);
    EXPECT_EQ(c->write("0123456789"), 10u);
    EXPECT_EQ(rb->count(), 8u);
    EXPECT_EQ(rb->read(3), "234");
    EXPECT_EQ(rb->read(100), "56789");
    EXPECT_EQ(rb->read(100), "");
}

TEST_F(MiscBackends, RingbufInputPaced) {
    auto c = create_backend({{"backend", "memory"}, {"id", "m"}});
    auto* rb = dynamic_cast<RingbufChardev*>(c.get());
    RecordingFrontend fe;
    fe.capacity = 2;
    c->attach(&fe);
    rb->write_input("abcd");
    EXPECT_EQ(fe.received, "ab");
    fe.consumed = 2;
    c->accept_input();
    EXPECT_EQ(fe.received, "abcd");
    c->detach(&fe);
}

TEST_F(MiscBackends, RingbufSizeMustBePowerOfTwo) {
    try {
        create_backend(parse_chardev_string("ringbuf,id=rb,size=1000"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "size of ringbuf chardev must be power of two");
    }
}

TEST_F(MiscBackends, NullAndVc) {
    auto n = create_backend({{"backend", "null"}, {"id", "n"}});
    EXPECT_TRUE(n->is_open());
    EXPECT_EQ(n->write("gone"), 4u);
    auto v = create_backend({{"backend", "vc"}, {"id", "v"}});
    EXPECT_EQ(v->filename(), "vc");
}

TEST_F(MiscBackends, FunctionFrontendAndInjectBreak) {
    auto c = create_backend({{"backend", "ringbuf"}, {"id", "r"}});
    std::string got;
    int breaks = 0;
    FunctionFrontend fe;
    fe.on_can_receive = [] { return size_t{16}; };
    fe.on_receive = [&](std::span<const uint8_t> d) { got.append(d.begin(), d.end()); };
    fe.on_event = [&](ChardevEvent e) { breaks += e == ChardevEvent::kBreak; };
    c->attach(&fe);
    dynamic_cast<RingbufChardev&>(*c).write_input("hi");
    c->inject_break();
    EXPECT_EQ(got, "hi");
    EXPECT_EQ(breaks, 1);
    c->detach(&fe);
}

TEST_F(MiscBackends, UdpRoundTrip) {
    // The peer: a UDP socket on an ephemeral loopback port.
    int peer = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(peer, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
    socklen_t len = sizeof sin;
    getsockname(peer, reinterpret_cast<sockaddr*>(&sin), &len);
    std::string port = std::to_string(ntohs(sin.sin_port));

    auto c = create_backend({{"backend", "udp"}, {"id", "u"}, {"host", "127.0.0.1"}, {"port", port},
                             {"localaddr", "127.0.0.1"}, {"localport", "0"}});
    EXPECT_EQ(c->filename(), "udp:127.0.0.1:" + port);
    RecordingFrontend fe;
    c->attach(&fe);
    EXPECT_TRUE(c->write_all("netconsole"));
    char buf[64];
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    pollfd pfd{peer, POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 5000), 1);
    ssize_t n = recvfrom(peer, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    EXPECT_EQ(std::string(buf, n), "netconsole");
    ASSERT_EQ(sendto(peer, "reply", 5, 0, reinterpret_cast<sockaddr*>(&from), from_len), 5);
    EXPECT_TRUE(spin_until([&] { return fe.received == "reply"; }));
    c->detach(&fe);
    close(peer);
}

}  // namespace
