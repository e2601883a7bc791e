#include "mimic/monitor/chardev_monitor.h"

#include "mimic/chardev/mux.h"
#include "mimic/chardev/ringbuf.h"
#include "monitor_fixture.h"

#include <gtest/gtest.h>

using namespace mimic::monitor;
using namespace mimic::monitor::testing;
using mimic::chardev::ChardevEvent;
using mimic::chardev::MuxChardev;
using mimic::chardev::RingbufChardev;

namespace {

class ChardevMonitorTest : public ::testing::Test, public MonitorTest {
protected:
    RingbufChardev chr{"mon0", 65536};
    std::string read() { return chr.read(65536); }
};

}  // namespace

TEST_F(ChardevMonitorTest, QmpOverAChardev) {
    ChardevMonitor mon(hub, chr, Monitor::Mode::kControl);
    EXPECT_EQ(read().substr(0, 8), "{\"QMP\": ");
    chr.write_input(R"({"execute": "qmp_capabilities"}{"execute": "query-status", "id": 1})");
    EXPECT_EQ(read(), "{\"return\": {}}\r\n"
                      "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}, \"id\": 1}\r\n");
    run.start();
    EXPECT_EQ(read(), "{\"timestamp\": {\"seconds\": 1234, \"microseconds\": 567}, \"event\": \"RESUME\"}\r\n");
}

TEST_F(ChardevMonitorTest, HmpOverAChardev) {
    ChardevMonitor mon(hub, chr, Monitor::Mode::kReadline);
    EXPECT_EQ(read(), "Mimic 0.1.0 monitor - type 'help' for more information\r\n(qemu) ");
    chr.write_input("info status\r\n");
    EXPECT_EQ(read(), "info status\r\nVM status: paused (prelaunch)\r\n(qemu) ");
}

TEST_F(ChardevMonitorTest, DisconnectMidCommandAffectsNothing) {
    ChardevMonitor mon(hub, chr, Monitor::Mode::kControl);
    chr.write_input(R"({"execute": "qmp_capabilities"})");
    read();
    chr.write_input(R"({"execute": "sto)");
    mon.event(ChardevEvent::kClosed);
    EXPECT_EQ(run.state(), mimic::system::RunState::kPreLaunch);
    // The next client starts from the greeting and must negotiate again.
    mon.event(ChardevEvent::kOpened);
    EXPECT_EQ(read().substr(0, 8), "{\"QMP\": ");
    chr.write_input(R"({"execute": "stop"})");
    EXPECT_EQ(read(), "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities negotiation "
                      "with 'qmp_capabilities'\"}}\r\n");
}

TEST_F(ChardevMonitorTest, SeveralMonitorsAtOnce) {
    RingbufChardev qmp_chr{"qmp0", 65536};
    RingbufChardev qmp_chr2{"qmp1", 65536};
    ChardevMonitor hmp(hub, chr, Monitor::Mode::kReadline);
    ChardevMonitor qmp(hub, qmp_chr, Monitor::Mode::kControl);
    ChardevMonitor qmp2(hub, qmp_chr2, Monitor::Mode::kControl, true);
    qmp_chr.write_input(R"({"execute": "qmp_capabilities"})");
    qmp_chr2.write_input(R"({"execute": "qmp_capabilities"})");
    qmp_chr.read(65536);
    qmp_chr2.read(65536);
    read();
    chr.write_input("c\r");
    EXPECT_EQ(read(), "c\r\n(qemu) ");
    EXPECT_EQ(qmp_chr.read(65536), "{\"timestamp\": {\"seconds\": 1234, \"microseconds\": 567}, \"event\": \"RESUME\"}\r\n");
    EXPECT_EQ(qmp_chr2.read(65536),
              "{\r\n    \"timestamp\": {\r\n        \"seconds\": 1234,\r\n        \"microseconds\": 567\r\n    },\r\n"
              "    \"event\": \"RESUME\"\r\n}\r\n");
}

TEST_F(ChardevMonitorTest, MuxHoldsOutputUntilFocus) {
    MuxChardev mux("mux0", chr);
    ChardevMonitor mon(hub, mux, Monitor::Mode::kReadline);
    mimic::chardev::FunctionFrontend serial;
    serial.on_can_receive = [] { return size_t{4096}; };
    std::string serial_input;
    serial.on_receive = [&](std::span<const uint8_t> d) { serial_input.append(d.begin(), d.end()); };
    mux.attach(&serial);  // the serial console takes the focus
    read();
    chr.write_input("abc");
    EXPECT_EQ(serial_input, "abc");
    mux.set_focus(0);  // C-a c
    read();
    chr.write_input("info name\r");
    EXPECT_EQ(read(), "info name\r\n(qemu) ");
    mux.set_focus(1);
    mux.set_focus(0);
    EXPECT_EQ(read(), "(qemu) ");
    mux.detach(&serial);
}

#include "mimic/chardev/registry.h"
#include "mimic/cli/vm_config.h"
#include "mimic/monitor/chardev_info.h"
#include "mimic/monitor/monitor_setup.h"
#include "mimic/util/error.h"

TEST_F(ChardevMonitorTest, CreateMonitorsFromTheCommandLine) {
    mimic::chardev::ChardevRegistry registry;
    auto& ring = static_cast<RingbufChardev&>(registry.create({{"backend", "ringbuf"}, {"id", "qmp"}}));
    mimic::cli::VmConfig config;
    mimic::cli::Opts legacy;
    legacy.set("spec", "null");
    config.monitors.push_back({"-monitor null", legacy});
    mimic::cli::Opts none;
    none.set("spec", "none");
    config.qmps.push_back({"-qmp none", none});
    config.mons.push_back({"-mon chardev=qmp,mode=control,pretty=on",
                           mimic::cli::parse_opts("chardev=qmp,mode=control,pretty=on", "chardev")});
    auto monitors = create_monitors(hub, config, registry);
    ASSERT_EQ(monitors.size(), 2u);
    EXPECT_EQ(monitors[0]->monitor().mode(), Monitor::Mode::kReadline);
    EXPECT_EQ(monitors[0]->chardev().id(), "compat_monitor0");
    EXPECT_EQ(monitors[1]->monitor().mode(), Monitor::Mode::kControl);
    EXPECT_EQ(ring.read(65536).substr(0, 14), "{\r\n    \"QMP\": ");

    config.mons.push_back({"-mon chardev=nope", mimic::cli::parse_opts("chardev=nope", "chardev")});
    try {
        create_monitors(hub, config, registry);
        FAIL();
    } catch (const mimic::Error& e) {
        // compat_monitor0 exists already from the first call.
        EXPECT_STREQ(e.what(), "Duplicate ID 'compat_monitor0' for chardev");
    }
    monitors.clear();
    registry.clear();
}

TEST_F(ChardevMonitorTest, InfoChardevFromTheRegistry) {
    mimic::chardev::ChardevRegistry registry;
    registry.create({{"backend", "ringbuf"}, {"id", "log0"}});
    ChardevRegistryInfo info(registry);
    hub.providers().chardev = &info;
    EXPECT_EQ(hub.execute_hmp("info chardev").substr(0, 15), "log0: filename=");
    Json list = hub.execute("query-chardev", Json::object());
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["label"], "log0");
    hub.providers().chardev = nullptr;
    registry.clear();
}
