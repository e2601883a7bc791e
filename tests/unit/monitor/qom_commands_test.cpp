#include "mimic/monitor/qom_commands.h"

#include "mimic/qom/device.h"
#include "mimic/qom/machine.h"
#include "mimic/qom/object.h"
#include "mimic/qom/type.h"
#include "monitor_fixture.h"

#include <gtest/gtest.h>

using namespace mimic::monitor;
using namespace mimic::monitor::testing;
namespace qom = mimic::qom;

namespace {

class MonitorTestMachine : public qom::Machine {};

// A device that sits on no bus: device_del removes it at once.
class MonitorTestGadget : public qom::Device {};

MIMIC_REGISTER_TYPE({
    .name = "monitor-test-gadget",
    .parent = qom::kTypeDevice,
    .factory = qom::factory_of<MonitorTestGadget>(),
    .bus_type = "",
});

MIMIC_REGISTER_TYPE({
    .name = "monitor-test-machine",
    .parent = qom::kTypeMachine,
    .factory = qom::factory_of<MonitorTestMachine>(),
});

class QomCommandsTest : public ::testing::Test, public MonitorTest {
protected:
    QomCommandsTest() {
        root = qom::Container::make_root();
        machine = &root->add_child("machine", qom::new_object<MonitorTestMachine>("monitor-test-machine"));
        register_qom_commands(hub, *machine);
        client.connect();
    }

    std::unique_ptr<qom::Container> root;
    qom::Machine* machine = nullptr;
    QmpClient client{hub};
};

}  // namespace

TEST_F(QomCommandsTest, QomListAndGet) {
    Json list = client.request(R"({"execute": "qom-list", "arguments": {"path": "/machine"}})")["return"];
    bool has_peripheral = false;
    for (const Json& entry : list) has_peripheral |= entry["name"] == "peripheral";
    EXPECT_TRUE(has_peripheral) << list.dump();
    EXPECT_EQ(client.request(R"({"execute": "qom-get", "arguments": {"path": "/machine", "property": "type"}})"),
              Json({{"return", "monitor-test-machine"}}));
    EXPECT_EQ(client.request(R"({"execute": "qom-list", "arguments": {"path": "/nowhere"}})"),
              Json({{"error", {{"class", "DeviceNotFound"}, {"desc", "Device '/nowhere' not found"}}}}));
    EXPECT_NE(hub.execute_hmp("qom-list /machine").find("peripheral (child<container>)\n"), std::string::npos);
    EXPECT_EQ(hub.execute_hmp("qom-get /machine type"), "\"monitor-test-machine\"\n");
}

TEST_F(QomCommandsTest, DeviceAddAndDelErrors) {
    EXPECT_EQ(client.request(R"({"execute": "device_add", "arguments": {"driver": "bogus", "id": "x"}})"),
              Json({{"error", {{"class", "GenericError"}, {"desc", "'bogus' is not a valid device model name"}}}}));
    EXPECT_EQ(client.request(R"({"execute": "device_del", "arguments": {"id": "nope"}})"),
              Json({{"error", {{"class", "DeviceNotFound"}, {"desc", "Device 'nope' not found"}}}}));
    EXPECT_EQ(hub.execute_hmp("device_add bogus,id=x"), "Error: 'bogus' is not a valid device model name\n");
    EXPECT_EQ(hub.execute_hmp("device_del nope"), "Error: Device 'nope' not found\n");
    EXPECT_EQ(hub.execute_hmp("info qtree").substr(0, 5), "bus: ");
}

TEST_F(QomCommandsTest, DeviceDelReportsDeviceDeleted) {
    EXPECT_EQ(client.request(R"({"execute": "device_add", "arguments": {"driver": "monitor-test-gadget", "id": "g"}})"),
              Json({{"return", Json::object()}}));
    client.send(R"({"execute": "device_del", "arguments": {"id": "g"}})");
    std::vector<Json> messages = client.take();
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0]["event"], "DEVICE_DELETED");
    EXPECT_EQ(messages[0]["data"], Json({{"device", "g"}, {"path", "/machine/peripheral/g"}}));
    EXPECT_EQ(messages[1], Json({{"return", Json::object()}}));
    EXPECT_EQ(machine->peripheral().child("g"), nullptr);
}
