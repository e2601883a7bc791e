// Exact texts: info qtree, -device help, -device NAME,help.
#include <gtest/gtest.h>

#include "mimic/qom/device_add.h"
#include "mimic/qom/device_help.h"
#include "mimic/qom/qtree.h"
#include "mimic/util/error.h"
#include "test_devices.h"

namespace mimic::qom::test {
namespace {

using OutputTest = QomTest;

TEST_F(OutputTest, Qtree) {
    BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", std::any(1));
    add({{"driver", "test-nic"}, {"id", "net0"}, {"mac", "52:54:00:12:34:56"}, {"netdev", "nd0"}});
    add({{"driver", "test-recorder"}, {"with-bus", "on"}, {"tag", "r"}});
    add({{"driver", "test-isa-recorder"}});
    EXPECT_EQ(format_qtree(machine_->sysbus()),
              "bus: main-system-bus\n"
              "  type System\n"
              "  dev: test-host, id \"\"\n"
              "    bus: pci.0\n"
              "      type PCI\n"
              "      dev: test-recorder, id \"\"\n"
              "        tag = \"r\"\n"
              "        with-bus = true\n"
              "        fail-after-bus = false\n"
              "        addr = 01.0\n"
              "        bus: isa.0\n"
              "          type ISA\n"
              "          dev: test-isa-recorder, id \"\"\n"
              "            tag = \"\"\n"
              "      dev: test-nic, id \"net0\"\n"
              "        mac = \"52:54:00:12:34:56\"\n"
              "        netdev = \"nd0\"\n"
              "        speed = 1000 (0x3e8)\n"
              "        mitigation = true\n"
              "        addr = 00.0\n");
}

TEST_F(OutputTest, QtreeValueForms) {
    Device& dev = add({{"driver", "test-all-props"}, {"size", "64K"}});
    std::string tree = format_qtree(machine_->sysbus());
    // test-all-props is on no bus, so not in the tree.
    EXPECT_EQ(tree.find("test-all-props"), std::string::npos);
    EXPECT_EQ(dev.print_property("i8"), "-1 (0xffffffffffffffff)");
    EXPECT_EQ(dev.print_property("size"), "65536 (64 KiB)");
    EXPECT_EQ(dev.print_property("accel"), "\"auto\"");
    EXPECT_EQ(dev.print_property("mac"), "\"00:00:00:00:00:00\"");
    EXPECT_EQ(dev.print_property("addr"), "<unset>");
}

TEST(DeviceHelp, List) {
    EXPECT_EQ(device_list_help(),
              "\n"
              "Storage devices:\n"
              "name \"test-one-slot-ctrl\", bus PCI\n"
              "name \"test-one-slot-dev\", bus OneSlot, desc \"A disk\"\n"
              "\n"
              "Network devices:\n"
              "name \"test-nic\", bus PCI, alias \"test-nic-82540em\", desc \"Test Gigabit Ethernet\"\n"
              "\n"
              "Misc devices:\n"
              "name \"test-all-props\"\n"
              "\n"
              "Uncategorized devices:\n"
              "name \"test-flaky\", bus PCI\n"
              "name \"test-isa-recorder\", bus ISA\n"
              "name \"test-recorder\", bus PCI\n");
    std::string all = device_list_help(true);
    EXPECT_EQ(all.substr(0, 70),
              "Controller/Bridge/Hub devices:\n"
              "name \"test-host\", bus System, no-user\n"
              "\n");
}

TEST(DeviceHelp, Properties) {
    EXPECT_EQ(device_properties_help("test-nic"),
              "test-nic options:\n"
              "  addr=<int32>           - Slot and optional function number, example: 06.0 or 06 (default: -1)\n"
              "  mac=<str>              - Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56\n"
              "  mitigation=<bool>      - on/off (default: true)\n"
              "  netdev=<str>           - ID of a netdev to use as a backend\n"
              "  speed=<uint32>         - link speed in Mbit/s (default: 1000)\n");
    EXPECT_EQ(device_properties_help("test-nic-82540em"), device_properties_help("test-nic"));
    EXPECT_EQ(device_properties_help("test-one-slot-dev"),
              "There are no options for test-one-slot-dev.\n");
}

TEST(DeviceHelp, EveryKind) {
    EXPECT_EQ(device_properties_help("test-all-props"),
              "test-all-props options:\n"
              "  accel=<OnOffAuto>      - on/off/auto (default: \"auto\")\n"
              "  addr=<int32>           - Slot and optional function number, example: 06.0 or 06 (default: -1)\n"
              "  chardev=<str>          - ID of a chardev to use as a backend\n"
              "  drive=<str>            - Node name or ID of a block device to use as a backend\n"
              "  flag=<bool>            - on/off (default: false)\n"
              "  i16=<int16>            -  (default: 0)\n"
              "  i32=<int32>            -  (default: 0)\n"
              "  i64=<int64>            -  (default: 0)\n"
              "  i8=<int8>              -  (default: -1)\n"
              "  level=<uint8>          -  (default: 3)\n"
              "  live=<uint32>          -  (default: 0)\n"
              "  mac=<str>              - Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56\n"
              "  mode=<TestMode>        - how to go (default: \"slow\")\n"
              "  name=<str>             -  (default: \"default-name\")\n"
              "  netdev=<str>           - ID of a netdev to use as a backend\n"
              "  size=<size>            -  (default: 65536)\n"
              "  u16=<uint16>           -  (default: 0)\n"
              "  u32=<uint32>           -  (default: 0)\n"
              "  u64=<uint64>           -  (default: 0)\n"
              "  u8=<uint8>             -  (default: 0)\n");
}

TEST(DeviceHelp, Errors) {
    auto error_of = [](const char* name) {
        try {
            device_properties_help(name);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(error_of("bogus"), "Device 'bogus' not found");
    EXPECT_EQ(error_of("test-pci-device"), "Parameter 'typename' expects a non-abstract device type");
    // Built-in devices list their properties too, as in QEMU.
    EXPECT_EQ(error_of("test-host"), "");
}

}  // namespace
}  // namespace mimic::qom::test
