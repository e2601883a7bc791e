#include "mimic/chardev/legacy.h"

#include <gtest/gtest.h>

#include "mimic/util/error.h"

using namespace mimic::chardev;

namespace {

ChardevOptions parse(const char* spec) {
    LegacyChardev l = parse_legacy_chardev(spec, "serial0");
    EXPECT_TRUE(l.options.has_value()) << spec;
    return l.options.value_or(ChardevOptions{});
}

std::string error_of(const char* spec) {
    try {
        parse_legacy_chardev(spec, "serial0");
    } catch (const mimic::Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(LegacyChardev, SimpleBackends) {
    EXPECT_EQ(parse("stdio"), (ChardevOptions{{"backend", "stdio"}, {"id", "serial0"}}));
    EXPECT_EQ(parse("null"), (ChardevOptions{{"backend", "null"}, {"id", "serial0"}}));
    EXPECT_EQ(parse("vc"), (ChardevOptions{{"backend", "vc"}, {"id", "serial0"}}));
    EXPECT_EQ(parse("vc:80Cx24C"), (ChardevOptions{{"backend", "vc"}, {"id", "serial0"}, {"cols", "80"}, {"rows", "24"}}));
    EXPECT_EQ(parse("vc:800x600"),
              (ChardevOptions{{"backend", "vc"}, {"id", "serial0"}, {"width", "800"}, {"height", "600"}}));
    EXPECT_EQ(parse("pty:/tmp/guest-tty"),
              (ChardevOptions{{"backend", "pty"}, {"id", "serial0"}, {"path", "/tmp/guest-tty"}}));
    EXPECT_EQ(parse("pty"), (ChardevOptions{{"backend", "pty"}, {"id", "serial0"}}));
}

TEST(LegacyChardev, None) {
    LegacyChardev l = parse_legacy_chardev("none", "serial0");
    EXPECT_FALSE(l.options);
    EXPECT_FALSE(l.with_monitor);
}

TEST(LegacyChardev, ExistingChardev) {
    LegacyChardev l = parse_legacy_chardev("chardev:char0", "serial0");
    EXPECT_FALSE(l.options);
    EXPECT_EQ(l.existing_id, "char0");
}

TEST(LegacyChardev, FileAndPipe) {
    EXPECT_EQ(parse("file:/tmp/serial.log"),
              (ChardevOptions{{"backend", "file"}, {"id", "serial0"}, {"path", "/tmp/serial.log"}}));
    EXPECT_EQ(parse("pipe:/tmp/guest"),
              (ChardevOptions{{"backend", "pipe"}, {"id", "serial0"}, {"path", "/tmp/guest"}}));
}

TEST(LegacyChardev, TcpForms) {
    EXPECT_EQ(parse("tcp:127.0.0.1:4444"),
              (ChardevOptions{{"backend", "socket"}, {"id", "serial0"}, {"host", "127.0.0.1"}, {"port", "4444"}}));
    ChardevOptions o = parse("tcp::4444,server,nowait");
    EXPECT_EQ(o.at("host"), "");
    EXPECT_EQ(o.at("port"), "4444");
    EXPECT_EQ(o.at("server"), "on");
    EXPECT_EQ(o.at("wait"), "off");
    o = parse("tcp:localhost:4444,server=on,wait=off,telnet");
    EXPECT_EQ(o.at("server"), "on");
    EXPECT_EQ(o.at("wait"), "off");
    EXPECT_EQ(o.at("telnet"), "on");
    o = parse("tcp:[::1]:5555,server");
    EXPECT_EQ(o.at("host"), "::1");
    EXPECT_EQ(o.at("port"), "5555");
    o = parse("tcp:localhost:4444,reconnect=2,nodelay");
    EXPECT_EQ(o.at("reconnect"), "2");
    EXPECT_EQ(o.at("nodelay"), "on");
}

TEST(LegacyChardev, Telnet) {
    ChardevOptions o = parse("telnet:localhost:4444,server,nowait");
    EXPECT_EQ(o, (ChardevOptions{{"backend", "socket"}, {"id", "serial0"}, {"host", "localhost"}, {"port", "4444"},
                                 {"telnet", "on"}, {"server", "on"}, {"wait", "off"}}));
}

TEST(LegacyChardev, Unix) {
    EXPECT_EQ(parse("unix:/tmp/s.sock"),
              (ChardevOptions{{"backend", "socket"}, {"id", "serial0"}, {"path", "/tmp/s.sock"}}));
    EXPECT_EQ(parse("unix:path=/tmp/p.sock,server=on").at("path"), "/tmp/p.sock");
    ChardevOptions o = parse("unix:/tmp/s.sock,server,nowait");
    EXPECT_EQ(o.at("path"), "/tmp/s.sock");
    EXPECT_EQ(o.at("server"), "on");
    EXPECT_EQ(o.at("wait"), "off");
}

TEST(LegacyChardev, MonitorMux) {
    LegacyChardev l = parse_legacy_chardev("mon:stdio", "serial0");
    ASSERT_TRUE(l.options);
    EXPECT_TRUE(l.with_monitor);
    EXPECT_EQ(*l.options,
              (ChardevOptions{{"backend", "stdio"}, {"id", "serial0"}, {"mux", "on"}, {"signal", "off"}}));
    l = parse_legacy_chardev("mon:telnet::4444,server,nowait", "serial0");
    EXPECT_EQ(l.options->at("telnet"), "on");
    EXPECT_EQ(l.options->at("mux"), "on");
}

TEST(LegacyChardev, UdpAndDevices) {
    ChardevOptions o = parse("udp:192.168.0.2:4555@:4556");
    EXPECT_EQ(o.at("backend"), "udp");
    EXPECT_EQ(o.at("host"), "192.168.0.2");
    EXPECT_EQ(o.at("port"), "4555");
    EXPECT_EQ(o.at("localaddr"), "");
    EXPECT_EQ(o.at("localport"), "4556");
    EXPECT_EQ(parse("/dev/ttyS0").at("backend"), "serial");
    EXPECT_EQ(parse("/dev/parport0").at("backend"), "parallel");
}

TEST(LegacyChardev, Errors) {
    EXPECT_EQ(error_of("bogus"), "'bogus' is not a valid char driver");
    EXPECT_EQ(error_of("tcp:localhost"), "'tcp:localhost' is not a valid char driver");
    EXPECT_EQ(error_of("tcp:localhost:"), "'tcp:localhost:' is not a valid char driver");
    EXPECT_EQ(error_of("file:"), "'file:' is not a valid char driver");
    EXPECT_EQ(error_of("unix:"), "'unix:' is not a valid char driver");
    EXPECT_EQ(error_of("mon:bogus"), "'bogus' is not a valid char driver");
    EXPECT_EQ(error_of("mon"), "'mon' is not a valid char driver");
    EXPECT_EQ(error_of("vc:big"), "'vc:big' is not a valid char driver");
}

}  // namespace
