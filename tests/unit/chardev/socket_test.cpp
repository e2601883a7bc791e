// socket backend over loopback TCP and temp-dir unix sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <thread>

#include "mimic/chardev/registry.h"
#include "mimic/util/error.h"
#include "telnet.h"
#include "test_util.h"

using namespace mimic;
using namespace mimic::chardev;
using namespace mimic::chardev::testing;

namespace {

int connect_tcp(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int connect_unix(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strcpy(sun.sun_path, path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// A listening loopback socket on an ephemeral port, for client-mode tests.
struct TcpListener {
    TcpListener() {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
        listen(fd, 4);
        socklen_t len = sizeof sin;
        getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
        port = ntohs(sin.sin_port);
    }
    ~TcpListener() { close(fd); }
    int accept_one() {
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, 5000) <= 0) return -1;
        return accept(fd, nullptr, nullptr);
    }
    int fd;
    int port;
};

int port_of(const std::string& filename) {
    std::smatch m;
    if (!std::regex_search(filename, m, std::regex(R"(:(\d+),server=on)"))) return -1;
    return std::stoi(m[1]);
}

std::string read_some(int fd, size_t want) {
    std::string got;
    int64_t start = clock_get_ns(Clock::kRealtime);
    while (got.size() < want && clock_get_ns(Clock::kRealtime) - start < 5 * kNsPerSec) {
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0) continue;
        char buf[256];
        ssize_t n = read(fd, buf, std::min(sizeof buf, want - got.size()));
        if (n <= 0) break;
        got.append(buf, n);
    }
    return got;
}

std::string error_of(const ChardevOptions& o) {
    try {
        create_backend(o);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

using SocketBackend = ChardevTest;

TEST_F(SocketBackend, TcpServerNowaitRoundTripAndReaccept) {
    auto c = create_backend(parse_chardev_string("socket,id=s0,host=127.0.0.1,port=0,server,nowait"));
    std::string fn = c->filename();
    EXPECT_TRUE(std::regex_match(fn, std::regex(R"(disconnected:tcp:127\.0\.0\.1:\d+,server=on)"))) << fn;
    int port = port_of(fn);
    RecordingFrontend fe;
    c->attach(&fe);
    EXPECT_FALSE(c->is_open());
    EXPECT_EQ(c->write("lost"), 4u);  // nobody connected: dropped

    for (int round = 1; round <= 2; round++) {
        int client = connect_tcp(port);
        ASSERT_GE(client, 0);
        EXPECT_TRUE(spin_until([&] { return c->is_open(); }));
        EXPECT_EQ(fe.count(ChardevEvent::kOpened), static_cast<size_t>(round));
        EXPECT_TRUE(std::regex_match(c->filename(),
                                     std::regex(R"(tcp:127\.0\.0\.1:\d+,server=on <-> 127\.0\.0\.1:\d+)")))
            << c->filename();
        fe.received.clear();
        fe.consumed = 0;
        ASSERT_EQ(write(client, "to guest", 8), 8);
        EXPECT_TRUE(spin_until([&] { return fe.received == "to guest"; }));
        EXPECT_TRUE(c->write_all("to host"));
        EXPECT_EQ(read_some(client, 7), "to host");
        close(client);
        EXPECT_TRUE(spin_until([&] { return !c->is_open(); }));
        EXPECT_EQ(fe.count(ChardevEvent::kClosed), static_cast<size_t>(round));
    }
    c->detach(&fe);
}

TEST_F(SocketBackend, UnixServerNowait) {
    TempDir dir;
    std::string path = dir.file("mon.sock");
    auto c = create_backend({{"backend", "socket"}, {"id", "mon0"}, {"path", path}, {"server", "on"}, {"wait", "off"}});
    EXPECT_EQ(c->filename(), "disconnected:unix:" + path + ",server=on");
    RecordingFrontend fe;
    c->attach(&fe);
    int client = connect_unix(path);
    ASSERT_GE(client, 0);
    EXPECT_TRUE(spin_until([&] { return c->is_open(); }));
    EXPECT_EQ(c->filename(), "unix:" + path + ",server=on");
    ASSERT_EQ(write(client, "{}", 2), 2);
    EXPECT_TRUE(spin_until([&] { return fe.received == "{}"; }));
    EXPECT_TRUE(c->write_all("ok"));
    EXPECT_EQ(read_some(client, 2), "ok");
    close(client);
    c->detach(&fe);
    c.reset();
    EXPECT_NE(access(path.c_str(), F_OK), 0);  // socket file cleaned up
}

TEST_F(SocketBackend, ServerWaitBlocksUntilClient) {
    std::string waiting;
    std::thread client_thread;
    int client = -1;
    set_report_sink([&](ReportKind kind, const std::string& text) {
        if (kind != ReportKind::kInfo) return;
        waiting = text;
        int port = port_of(text);
        // Connect from another thread while creation blocks in accept.
        client_thread = std::thread([&client, port] { client = connect_tcp(port); });
    });
    auto c = create_backend(parse_chardev_string("socket,id=s1,host=127.0.0.1,port=0,server=on,wait=on"));
    set_report_sink(nullptr);
    client_thread.join();
    EXPECT_TRUE(std::regex_match(
        waiting, std::regex(R"(Mimic waiting for connection on: disconnected:tcp:127\.0\.0\.1:\d+,server=on)")))
        << waiting;
    EXPECT_TRUE(c->is_open());
    ASSERT_GE(client, 0);
    close(client);
}

TEST_F(SocketBackend, TcpClient) {
    TcpListener server;
    auto c = create_backend({{"backend", "socket"}, {"id", "c"}, {"host", "127.0.0.1"},
                             {"port", std::to_string(server.port)}});
    int peer = server.accept_one();
    ASSERT_GE(peer, 0);
    EXPECT_TRUE(c->is_open());
    EXPECT_TRUE(std::regex_match(c->filename(), std::regex(R"(tcp:127\.0\.0\.1:\d+ <-> 127\.0\.0\.1:\d+)")))
        << c->filename();
    RecordingFrontend fe;
    c->attach(&fe);
    EXPECT_EQ(fe.count(ChardevEvent::kOpened), 1u);
    ASSERT_EQ(write(peer, "abc", 3), 3);
    EXPECT_TRUE(spin_until([&] { return fe.received == "abc"; }));
    c->write_all("xyz");
    EXPECT_EQ(read_some(peer, 3), "xyz");
    close(peer);
    EXPECT_TRUE(spin_until([&] { return !c->is_open(); }));
    c->detach(&fe);
}

TEST_F(SocketBackend, UnixClient) {
    TempDir dir;
    std::string path = dir.file("srv.sock");
    auto server = create_backend({{"backend", "socket"}, {"id", "srv"}, {"path", path}, {"server", "on"},
                                  {"wait", "off"}});
    auto client = create_backend({{"backend", "socket"}, {"id", "cli"}, {"path", path}});
    RecordingFrontend server_fe, client_fe;
    server->attach(&server_fe);
    client->attach(&client_fe);
    EXPECT_TRUE(client->is_open());
    EXPECT_TRUE(spin_until([&] { return server->is_open(); }));
    client->write_all("hello server");
    server->write_all("hello client");
    EXPECT_TRUE(spin_until([&] {
        return server_fe.received == "hello server" && client_fe.received == "hello client";
    }));
    server->detach(&server_fe);
    client->detach(&client_fe);
}

TEST_F(SocketBackend, ClientErrors) {
    TcpListener closed;
    std::string port = std::to_string(closed.port);
    close(closed.fd);
    closed.fd = -1;
    EXPECT_EQ(error_of({{"backend", "socket"}, {"id", "c"}, {"host", "127.0.0.1"}, {"port", port}}),
              "Failed to connect to '127.0.0.1:" + port + "': Connection refused");
    EXPECT_EQ(error_of({{"backend", "socket"}, {"id", "c"}, {"path", "/nonexistent/sock"}}),
              "Failed to connect to '/nonexistent/sock': No such file or directory");
    EXPECT_EQ(error_of({{"backend", "socket"}, {"id", "c"}, {"port", "1"}}), "chardev: socket: no host given");
    EXPECT_EQ(error_of({{"backend", "socket"}, {"id", "c"}, {"host", "x"}}), "chardev: socket: no port given");
    EXPECT_EQ(error_of({{"backend", "socket"}, {"id", "c"}, {"path", "/tmp/x"}, {"server", "on"},
                        {"reconnect", "1"}}),
              "'reconnect' option is incompatible with socket in server listen mode");
}

TEST_F(SocketBackend, ServerBindError) {
    TcpListener busy;
    EXPECT_EQ(error_of({{"backend", "socket"}, {"id", "s"}, {"host", "127.0.0.1"},
                        {"port", std::to_string(busy.port)}, {"server", "on"}, {"wait", "off"}}),
              "Failed to bind socket: Address already in use");
}

TEST_F(SocketBackend, PortRangeTakesNextFreePort) {
    TcpListener busy;
    std::string from = std::to_string(busy.port);
    std::string to = std::to_string(busy.port + 20);
    std::unique_ptr<Chardev> c;
    try {
        c = create_backend({{"backend", "socket"}, {"id", "s"}, {"host", "127.0.0.1"}, {"port", from}, {"to", to},
                            {"server", "on"}, {"wait", "off"}});
    } catch (const Error& e) {
        GTEST_SKIP() << "no free port in range: " << e.what();
    }
    int port = port_of(c->filename());
    EXPECT_GT(port, busy.port);
    EXPECT_LE(port, busy.port + 20);
}

TEST_F(SocketBackend, ClientReconnects) {
    TcpListener server;
    std::string port = std::to_string(server.port);
    auto c = create_backend({{"backend", "socket"}, {"id", "c"}, {"host", "127.0.0.1"}, {"port", port},
                             {"reconnect", "1"}});
    int peer = server.accept_one();
    ASSERT_GE(peer, 0);
    RecordingFrontend fe;
    c->attach(&fe);
    close(peer);
    EXPECT_TRUE(spin_until([&] { return !c->is_open(); }));
    // One second later the client dials again by itself.
    EXPECT_TRUE(spin_until([&] { return c->is_open(); }, 4 * kNsPerSec));
    peer = server.accept_one();
    EXPECT_GE(peer, 0);
    EXPECT_EQ(fe.count(ChardevEvent::kOpened), 2u);
    close(peer);
    c->detach(&fe);
}

TEST_F(SocketBackend, TelnetNegotiationAndIacStripping) {
    auto c = create_backend(parse_chardev_string("socket,id=t,host=127.0.0.1,port=0,server,nowait,telnet"));
    EXPECT_EQ(c->filename().substr(0, 20), "disconnected:telnet:");
    int port = port_of(c->filename());
    RecordingFrontend fe;
    c->attach(&fe);
    int client = connect_tcp(port);
    ASSERT_GE(client, 0);
    EXPECT_TRUE(spin_until([&] { return c->is_open(); }));
    const std::string greeting("\xff\xfb\x01\xff\xfb\x03\xff\xfb\x00\xff\xfd\x00", 12);
    EXPECT_EQ(read_some(client, 12), greeting);

    // A client's typical answer, a subnegotiation, an escaped 0xff, BREAK,
    // and data in between.
    const std::string input("\xff\xfd\x01" "a" "\xff\xfa\x18\x00xterm\xff\xf0" "b" "\xff\xff" "c" "\xff\xf3" "d", 22);
    ASSERT_EQ(write(client, input.data(), input.size()), static_cast<ssize_t>(input.size()));
    EXPECT_TRUE(spin_until([&] { return fe.received.size() >= 5; }));
    EXPECT_EQ(fe.received, std::string("ab\xff" "cd", 5));
    EXPECT_EQ(fe.count(ChardevEvent::kBreak), 1u);

    // Output: a 0xff data byte is doubled on the wire.
    EXPECT_TRUE(c->write_all(std::string("x\xffy", 3)));
    EXPECT_EQ(read_some(client, 4), std::string("x\xff\xffy", 4));
    close(client);
    c->detach(&fe);
}

TEST_F(SocketBackend, BackpressureAndWritableCallback) {
    auto c = create_backend(parse_chardev_string("socket,id=b,host=127.0.0.1,port=0,server,nowait"));
    int client = connect_tcp(port_of(c->filename()));
    ASSERT_GE(client, 0);
    ASSERT_TRUE(spin_until([&] { return c->is_open(); }));
    // Fill the socket buffers while the client reads nothing.
    std::string chunk(65536, 'x');
    size_t total = 0;
    size_t n;
    while ((n = c->write(chunk)) == chunk.size()) total += n;
    total += n;
    EXPECT_LT(n, chunk.size());
    bool writable = false;
    c->on_writable([&] { writable = true; });
    // Drain everything on the client side; the callback must follow.
    std::string drained;
    std::thread reader([&] { drained = read_some(client, total); });
    EXPECT_TRUE(spin_until([&] { return writable; }));
    reader.join();
    EXPECT_EQ(drained.size(), total);
    close(client);
}

}  // namespace
