#include "monitor_fixture.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace mimic::monitor;
using namespace mimic::monitor::testing;
using mimic::system::RunState;

namespace {

class QmpTest : public ::testing::Test, public MonitorTest {
protected:
    QmpClient client{hub};
};

Json error(const char* error_class, const std::string& desc) {
    return {{"error", {{"class", error_class}, {"desc", desc}}}};
}

}  // namespace

TEST_F(QmpTest, GreetingIsQemuShaped) {
    client.monitor->open();
    EXPECT_EQ(client.output,
              R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "mimic 0.1.0"}, )"
              R"("capabilities": ["oob"]}})"
              "\r\n");
}

TEST_F(QmpTest, CommandsBeforeNegotiationAreRefused) {
    client.monitor->open();
    client.take();
    EXPECT_EQ(client.request(R"({"execute": "query-status"})"),
              error("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"));
    EXPECT_EQ(client.request(R"({"execute": "no-such-command", "id": 3})"),
              Json({{"id", 3}, {"error", {{"class", "CommandNotFound"},
                                          {"desc", "Expecting capabilities negotiation with 'qmp_capabilities'"}}}}));
    EXPECT_EQ(client.request(R"({"execute": "qmp_capabilities"})"), Json({{"return", Json::object()}}));
    EXPECT_EQ(client.request(R"({"execute": "qmp_capabilities"})"),
              error("CommandNotFound", "Capabilities negotiation is already complete, command ignored"));
    EXPECT_EQ(client.request(R"({"execute": "query-name"})"), Json({{"return", Json::object()}}));
}

TEST_F(QmpTest, NegotiationWithOobAndBadCapability) {
    client.monitor->open();
    client.take();
    EXPECT_EQ(client.request(R"({"execute": "qmp_capabilities", "arguments": {"enable": ["bogus"]}})"),
              error("GenericError", "Parameter 'enable[0]' does not accept value 'bogus'"));
    EXPECT_EQ(client.request(R"({"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}})"),
              Json({{"return", Json::object()}}));
    // exec-oob is accepted once oob is on, but only for oob-capable commands.
    EXPECT_EQ(client.request(R"({"exec-oob": "query-status"})"),
              error("GenericError", "The command query-status does not support OOB"));
}

TEST_F(QmpTest, ExecOobWithoutCapabilityIsUnexpected) {
    client.connect();
    EXPECT_EQ(client.request(R"({"exec-oob": "query-status"})"),
              error("GenericError", "QMP input member 'exec-oob' is unexpected"));
}

TEST_F(QmpTest, ReconnectRequiresNewNegotiation) {
    client.connect();
    client.monitor->close();
    client.monitor->open();
    client.take();
    EXPECT_EQ(client.request(R"({"execute": "query-status"})")["error"]["class"], "CommandNotFound");
}

TEST_F(QmpTest, IdIsEchoedWhateverItIs) {
    client.connect();
    for (const char* id : {"1", "-7", "1.5", R"("libvirt-12")", R"({"a": [1, {"b": null}]})", "[]", "null", "true"}) {
        Json reply = client.request(std::string(R"({"execute": "query-name", "id": )") + id + "}");
        EXPECT_EQ(reply, Json({{"return", Json::object()}, {"id", Json::parse(id)}})) << id;
    }
    // The wire layout: "return" before "id", "id" before "error".
    client.send(R"({"id": "x", "execute": "stop"})");
    EXPECT_EQ(client.output, "{\"return\": {}, \"id\": \"x\"}\r\n");
    client.output.clear();
    client.send(R"({"id": "y", "execute": "nope"})");
    EXPECT_EQ(client.output,
              "{\"id\": \"y\", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been "
              "found\"}}\r\n");
}

TEST_F(QmpTest, EnvelopeErrors) {
    client.connect();
    EXPECT_EQ(client.request("[1, 2]"), error("GenericError", "QMP input must be a JSON object"));
    EXPECT_EQ(client.request("\"stop\""), error("GenericError", "QMP input must be a JSON object"));
    EXPECT_EQ(client.request(R"({"execute": 1})"), error("GenericError", "QMP input member 'execute' must be a string"));
    EXPECT_EQ(client.request(R"({"execute": "stop", "arguments": []})"),
              error("GenericError", "QMP input member 'arguments' must be an object"));
    EXPECT_EQ(client.request(R"({"execute": "stop", "argument": {}})"),
              error("GenericError", "QMP input member 'argument' is unexpected"));
    EXPECT_EQ(client.request(R"({"arguments": {}})"), error("GenericError", "QMP input lacks member 'execute'"));
    EXPECT_EQ(client.request(R"({"execute": "stop", "id": 5, "arguments": 1})"),
              Json({{"id", 5}, {"error", {{"class", "GenericError"},
                                          {"desc", "QMP input member 'arguments' must be an object"}}}}));
}

TEST_F(QmpTest, ArgumentChecking) {
    client.connect();
    EXPECT_EQ(client.request(R"({"execute": "human-monitor-command"})"),
              error("GenericError", "Parameter 'command-line' is missing"));
    EXPECT_EQ(client.request(R"({"execute": "human-monitor-command", "arguments": {"command-line": 5}})"),
              error("GenericError", "Invalid parameter type for 'command-line', expected: string"));
    EXPECT_EQ(client.request(R"({"execute": "memsave", "arguments": {"val": "x", "size": 1, "filename": "f"}})"),
              error("GenericError", "Invalid parameter type for 'val', expected: integer"));
    EXPECT_EQ(client.request(R"({"execute": "query-name", "arguments": {"x": 1}})"),
              error("GenericError", "Parameter 'x' is unexpected"));
    EXPECT_EQ(client.request(R"({"execute": "query-blockstats", "arguments": {"query-nodes": 1}})"),
              error("GenericError", "Invalid parameter type for 'query-nodes', expected: boolean"));
    EXPECT_EQ(client.request(R"({"execute": "screendump", "arguments": {"filename": "a", "format": "bmp"}})"),
              error("GenericError", "Parameter 'format' does not accept value 'bmp'"));
}

TEST_F(QmpTest, UnknownCommand) {
    client.connect();
    EXPECT_EQ(client.request(R"({"execute": "frobnicate"})"),
              error("CommandNotFound", "The command frobnicate has not been found"));
}

TEST_F(QmpTest, MalformedInputKeepsSessionAlive) {
    client.connect();
    run.start();
    client.take();
    EXPECT_EQ(client.request(R"({"execute": "stop" "id": 1})"),
              error("GenericError", "JSON parse error, expected separator in dict"));
    EXPECT_EQ(client.request(R"({"execute": @})"),
              Json::array({error("GenericError", "JSON parse error, stray '@'"),
                           error("GenericError", "JSON parse error, expecting value")}));
    client.send(std::string(2000, '{'));
    std::vector<Json> replies = client.take();
    ASSERT_GE(replies.size(), 1u);
    EXPECT_EQ(replies[0], error("GenericError", "JSON nesting depth limit exceeded"));
    // A truncated request followed by a resync byte and a fresh request.
    client.monitor->close();
    client.connect();
    client.send(R"({"execute": "query-st)");
    EXPECT_TRUE(client.take().empty());
    client.send("\n");  // still inside the string: a raw control byte there is an error
    std::vector<Json> stray = client.take();
    ASSERT_EQ(stray.size(), 1u);
    EXPECT_EQ(stray[0], error("GenericError", "JSON parse error, stray '\"query-st\n'"));
    EXPECT_TRUE(run.running());          // nothing affected the VM
    EXPECT_EQ(client.request(R"({"execute": "query-status"})")["return"]["status"], "running");
}

TEST_F(QmpTest, PipelinedAndSplitCommands) {
    client.connect();
    client.send(R"({"execute": "query-name", "id": 1}{"execute": "query-status", "id": 2})"
                "\n"
                R"({"execute": "query-kvm", "id": 3})");
    std::vector<Json> replies = client.take();
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0]["id"], 1);
    EXPECT_EQ(replies[1]["return"]["status"], "prelaunch");
    EXPECT_EQ(replies[2], Json({{"id", 3}, {"error", {{"class", "GenericError"},
                                                      {"desc", "query-kvm is not supported yet"}}}}));
    std::string text = R"({"execute": "query-version", "id": "split"})";
    for (char c : text) {
        EXPECT_TRUE(client.take().empty());
        client.send(std::string_view(&c, 1));
    }
    replies = client.take();
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0]["id"], "split");
}

TEST_F(QmpTest, QueryReplies) {
    client.connect();
    EXPECT_EQ(client.request(R"({"execute": "query-version"})"),
              Json({{"return", {{"qemu", {{"micro", 0}, {"minor", 2}, {"major", 7}}}, {"package", "mimic 0.1.0"}}}}));
    run.start();
    client.take();
    EXPECT_EQ(client.request(R"({"execute": "query-status"})"),
              Json({{"return", {{"status", "running"}, {"singlestep", false}, {"running", true}}}}));
    hub.set_name("vm1");
    EXPECT_EQ(client.request(R"({"execute": "query-name"})"), Json({{"return", {{"name", "vm1"}}}}));
    EXPECT_EQ(client.request(R"({"execute": "query-uuid"})"),
              Json({{"return", {{"UUID", "00000000-0000-0000-0000-000000000000"}}}}));

    Json commands = client.request(R"({"execute": "query-commands"})")["return"];
    auto has = [](const Json& list, const char* name) {
        for (const Json& entry : list) {
            if (entry["name"] == name) return true;
        }
        return false;
    };
    for (const char* name : {"qmp_capabilities", "query-version", "query-status", "query-name", "query-commands",
                             "query-events", "query-qmp-schema", "query-kvm", "query-machines",
                             "query-cpu-definitions", "query-cpus-fast", "query-block", "query-blockstats",
                             "query-chardev", "query-pci", "stop", "cont", "system_reset", "system_powerdown", "quit",
                             "human-monitor-command", "eject", "blockdev-change-medium", "screendump", "device_add",
                             "device_del", "object-add", "object-del", "qom-list", "qom-get", "qom-set", "netdev_add",
                             "netdev_del", "memsave", "pmemsave"}) {
        EXPECT_TRUE(has(commands, name)) << name;
    }
    Json events = client.request(R"({"execute": "query-events"})")["return"];
    for (const char* name : {"STOP", "RESUME", "SHUTDOWN", "RESET", "POWERDOWN", "DEVICE_TRAY_MOVED",
                             "DEVICE_DELETED", "BLOCK_IO_ERROR"}) {
        EXPECT_TRUE(has(events, name)) << name;
    }
}

TEST_F(QmpTest, ProvidersAnswerOnceRegistered) {
    struct Accel : AccelProvider {
        KvmInfo kvm() const override { return {false, true}; }
    } accel;
    struct Machines : MachineProvider {
        std::vector<MachineInfo> machines() const override {
            MachineInfo pc{.name = "pc-i440fx-7.2", .alias = "pc", .is_default = true, .cpu_max = 255,
                           .hotpluggable_cpus = true, .default_cpu_type = "qemu64-x86_64-cpu",
                           .default_ram_id = "pc.ram"};
            return {pc};
        }
        std::string qtree_text() const override { return "bus: main-system-bus\n"; }
    } machines;
    struct Chardevs : ChardevProvider {
        std::vector<ChardevInfo> chardevs() const override { return {{"serial0", "stdio", true}}; }
    } chardevs;
    FakeCpu cpu;
    client.connect();
    EXPECT_EQ(client.request(R"({"execute": "query-machines"})")["error"]["desc"], "query-machines is not supported yet");
    hub.providers().accel = &accel;
    hub.providers().machine = &machines;
    hub.providers().chardev = &chardevs;
    hub.providers().cpu = &cpu;
    EXPECT_EQ(client.request(R"({"execute": "query-kvm"})"), Json({{"return", {{"enabled", false}, {"present", true}}}}));
    EXPECT_EQ(client.request(R"({"execute": "query-machines"})"),
              Json({{"return", Json::array({{{"name", "pc-i440fx-7.2"}, {"alias", "pc"}, {"is-default", true},
                                             {"cpu-max", 255}, {"hotpluggable-cpus", true},
                                             {"numa-mem-supported", false}, {"deprecated", false},
                                             {"default-cpu-type", "qemu64-x86_64-cpu"},
                                             {"default-ram-id", "pc.ram"}}})}}));
    EXPECT_EQ(client.request(R"({"execute": "query-cpu-definitions"})")["return"][0]["name"], "qemu64");
    EXPECT_EQ(client.request(R"({"execute": "query-chardev"})"),
              Json({{"return", Json::array({{{"frontend-open", true}, {"filename", "stdio"}, {"label", "serial0"}}})}}));
    EXPECT_EQ(client.request(R"({"execute": "query-cpus-fast"})")["return"].size(), 2u);
    hub.providers().accel = nullptr;
    hub.providers().machine = nullptr;
    hub.providers().chardev = nullptr;
    hub.providers().cpu = nullptr;
}

TEST_F(QmpTest, RunStateCommandsAndEvents) {
    client.connect();
    // The RESUME event goes out before the reply.
    std::vector<Json> messages = client.request(R"({"execute": "cont", "id": 1})");
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0]["event"], "RESUME");
    EXPECT_EQ(messages[1], Json({{"return", Json::object()}, {"id", 1}}));
    EXPECT_TRUE(run.running());
    client.send(R"({"execute": "stop"})");
    messages = client.take();
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0], Json({{"timestamp", {{"seconds", 1234}, {"microseconds", 567}}}, {"event", "STOP"}}));
    EXPECT_EQ(messages[1], Json({{"return", Json::object()}}));

    EXPECT_EQ(client.request(R"({"execute": "system_reset"})"), Json({{"return", Json::object()}}));
    EXPECT_FALSE(run.process_requests());
    messages = client.take();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0]["event"], "RESET");
    EXPECT_EQ(messages[0]["data"], Json({{"guest", false}, {"reason", "host-qmp-system-reset"}}));

    client.request(R"({"execute": "system_powerdown"})");
    run.process_requests();
    EXPECT_EQ(client.take()[0]["event"], "POWERDOWN");

    client.request(R"({"execute": "quit"})");
    EXPECT_TRUE(run.process_requests());
    messages = client.take();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0]["event"], "SHUTDOWN");
    EXPECT_EQ(messages[0]["data"], Json({{"guest", false}, {"reason", "host-qmp-quit"}}));
    // The exact wire text of an event.
    client.output.clear();
    hub.emit_event("DEVICE_DELETED", {{"device", "nic0"}, {"path", "/machine/peripheral/nic0"}});
    EXPECT_EQ(client.output,
              "{\"timestamp\": {\"seconds\": 1234, \"microseconds\": 567}, \"event\": \"DEVICE_DELETED\", "
              "\"data\": {\"device\": \"nic0\", \"path\": \"/machine/peripheral/nic0\"}}\r\n");
}

TEST_F(QmpTest, ContAfterShutdownNeedsReset) {
    client.connect();
    run.set_no_shutdown(true);
    run.start();
    run.request_shutdown(mimic::system::ShutdownCause::kGuestShutdown);
    run.process_requests();
    client.take();
    EXPECT_EQ(client.request(R"({"execute": "cont"})"),
              error("GenericError", "Resetting the Virtual Machine is required"));
}

TEST_F(QmpTest, EventsFanOutOnlyToNegotiatedMonitors) {
    QmpClient second(hub);
    QmpClient unnegotiated(hub);
    auto hmp = Monitor::create(hub, Monitor::Mode::kReadline, false, [](std::string_view) {});
    client.connect();
    second.connect();
    unnegotiated.monitor->open();
    unnegotiated.take();
    run.start();
    EXPECT_EQ(client.take().size(), 1u);
    EXPECT_EQ(second.take().size(), 1u);
    EXPECT_TRUE(unnegotiated.take().empty());
}

TEST_F(QmpTest, PrettyOutput) {
    QmpClient pretty(hub, true);
    pretty.monitor->open();
    pretty.output.clear();
    pretty.send(R"({"execute": "qmp_capabilities", "id": 1})");
    EXPECT_EQ(pretty.output, "{\r\n    \"return\": {\r\n    },\r\n    \"id\": 1\r\n}\r\n");
}

TEST_F(QmpTest, HumanMonitorCommand) {
    client.connect();
    EXPECT_EQ(client.request(R"({"execute": "human-monitor-command", "arguments": {"command-line": "info status"}})"),
              Json({{"return", "VM status: paused (prelaunch)\r\n"}}));
    EXPECT_EQ(client.request(R"({"execute": "human-monitor-command", "arguments": {"command-line": "bogus"}})"),
              Json({{"return", "unknown command: 'bogus'\r\n"}}));
}

TEST_F(QmpTest, Memsave) {
    FakeMemory memory;
    for (size_t i = 0; i < memory.ram.size(); ++i) memory.ram[i] = static_cast<uint8_t>(i * 7);
    hub.providers().memory = &memory;
    client.connect();
    std::string path = ::testing::TempDir() + "/mimic-pmemsave.bin";
    Json reply = client.request(
        R"({"execute": "pmemsave", "arguments": {"val": 16, "size": 1500, "filename": ")" + path + R"("}})");
    EXPECT_EQ(reply, Json({{"return", Json::object()}}));
    std::ifstream file(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    ASSERT_EQ(data.size(), 1500u);
    EXPECT_EQ(static_cast<uint8_t>(data[0]), static_cast<uint8_t>(16 * 7));
    std::remove(path.c_str());
    EXPECT_EQ(client.request(R"({"execute": "pmemsave", "arguments": {"val": 8000, "size": 500, "filename": ")" +
                             path + R"("}})"),
              error("GenericError", "Invalid addr 0x0000000000001f40/size 500 specified"));
    EXPECT_EQ(client.request(R"({"execute": "memsave", "arguments": {"val": 0, "size": 1, "filename": "/nonexistent/x"}})"),
              error("GenericError", "Could not open '/nonexistent/x': No such file or directory"));
    hub.providers().memory = nullptr;
}

TEST_F(QmpTest, TenThousandCommands) {
    client.connect();
    for (int i = 0; i < 10000; ++i) {
        client.send(R"({"execute": "query-status", "id": )" + std::to_string(i) + "}");
        if (i % 1000 == 999) {
            std::vector<Json> replies = client.take();
            ASSERT_EQ(replies.size(), 1000u);
            EXPECT_EQ(replies.back()["id"], i);
        }
    }
}

TEST_F(QmpTest, QueryCommandLineOptionsListsParametersAsQemuDoes) {
    client.connect();
    // QEMU's answer for -sandbox, in its order: last-declared parameter first.
    EXPECT_EQ(client.request(R"({"execute": "query-command-line-options", "arguments": {"option": "sandbox"}})"),
              Json::parse(R"({"return": [{"parameters": [{"name": "resourcecontrol", "type": "string"},
                  {"name": "spawn", "type": "string"}, {"name": "elevateprivileges", "type": "string"},
                  {"name": "obsolete", "type": "string"}, {"name": "enable", "type": "boolean"}],
                  "option": "sandbox"}]})"));
    Json name = client.request(R"({"execute": "query-command-line-options", "arguments": {"option": "name"}})");
    EXPECT_EQ(name["return"][0]["parameters"][2]["name"], "guest");
    EXPECT_TRUE(name["return"][0]["parameters"][2].contains("help"));
    Json all = client.request(R"({"execute": "query-command-line-options"})");
    EXPECT_GT(all["return"].size(), 10u);
    EXPECT_EQ(all["return"][0]["option"], "sandbox");
    EXPECT_EQ(client.request(R"({"execute": "query-command-line-options", "arguments": {"option": "nosuch"}})"),
              error("GenericError", "invalid option name: nosuch"));
}
