#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "mimic/qom/device_add.h"
#include "mimic/util/error.h"
#include "test_devices.h"

namespace mimic::qom::test {
namespace {

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

using DeviceTest = QomTest;

Bus& pci0(Machine& m) { return *find_bus_by_name(m.sysbus(), "pci.0"); }

TEST_F(DeviceTest, CanonicalPaths) {
    EXPECT_EQ(root_->canonical_path(), "/");
    EXPECT_EQ(machine_->canonical_path(), "/machine");
    EXPECT_EQ(host_->canonical_path(), "/machine/unattached/device[0]");
    EXPECT_EQ(machine_->sysbus().canonical_path(), "/machine/unattached/sysbus");
    EXPECT_EQ(host_->child_bus("pci.0")->canonical_path(), "/machine/unattached/device[0]/pci.0");

    Device& net0 = add({{"driver", "test-nic"}, {"id", "net0"}});
    Device& anon0 = add({{"driver", "test-nic"}});
    Device& anon1 = add({{"driver", "test-nic"}});
    EXPECT_EQ(net0.canonical_path(), "/machine/peripheral/net0");
    EXPECT_EQ(anon0.canonical_path(), "/machine/peripheral-anon/device[0]");
    EXPECT_EQ(anon1.canonical_path(), "/machine/peripheral-anon/device[1]");

    EXPECT_EQ(root_->resolve_path("/machine/peripheral/net0"), &net0);
    EXPECT_EQ(net0.resolve_path("/machine/peripheral-anon/device[1]"), &anon1);
    EXPECT_EQ(machine_->resolve_path("peripheral/net0"), &net0);
    EXPECT_EQ(root_->resolve_path("/machine/peripheral/nope"), nullptr);
    EXPECT_EQ(root_->resolve_path("/"), root_.get());

    // The lowest free index is reused.
    machine_->peripheral_anon().remove_child(anon0);
    EXPECT_EQ(add({{"driver", "test-nic"}}).canonical_path(), "/machine/peripheral-anon/device[0]");

    auto detached = new_object<TestNic>("test-nic");
    EXPECT_EQ(detached->canonical_path(), "");
    EXPECT_EQ(Machine::of(net0), machine_);
}

TEST_F(DeviceTest, DuplicateChildName) {
    EXPECT_EQ(error_of([&] { machine_->add_child("peripheral", new_object<Container>(kTypeContainer)); }),
              "attempt to add duplicate property 'peripheral' to object (type 'test-machine')");
}

TEST_F(DeviceTest, DeviceAddPlacesAndRealizes) {
    int backend = 0;
    BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", std::any(&backend));
    Device& dev = add({{"driver", "test-nic"}, {"id", "net0"}, {"netdev", "nd0"},
                       {"mac", "52:54:00:12:34:56"}, {"speed", "100"}});
    auto& nic = dynamic_cast<TestNic&>(dev);
    EXPECT_TRUE(nic.realized());
    EXPECT_EQ(nic.id(), "net0");
    EXPECT_EQ(nic.parent_bus(), &pci0(*machine_));
    EXPECT_EQ(nic.devfn_, 0);  // first free slot
    EXPECT_EQ(nic.netdev_.get<int>(), &backend);
    EXPECT_EQ(nic.speed_, 100u);
    EXPECT_FALSE(nic.hotplugged());

    // Alias names create the real type.
    Device& aliased = add({{"driver", "test-nic-82540em"}, {"addr", "5"}});
    EXPECT_EQ(aliased.type_name(), "test-nic");
    EXPECT_EQ(aliased.get_property("addr"), nlohmann::json(40));
}

TEST_F(DeviceTest, DriverErrors) {
    EXPECT_EQ(error_of([&] { add({{"id", "x"}}); }), "Parameter 'driver' is missing");
    EXPECT_EQ(error_of([&] { add({{"driver", "bogus"}}); }), "'bogus' is not a valid device model name");
    EXPECT_EQ(error_of([&] { add({{"driver", "PCI"}}); }), "'PCI' is not a valid device model name");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-pci-device"}}); }),
              "Parameter 'driver' expects a non-abstract device type");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-host"}}); }),
              "Parameter 'driver' expects a pluggable device type");
}

TEST_F(DeviceTest, BusErrors) {
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}, {"bus", "pci.7"}}); }), "Bus 'pci.7' not found");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}, {"bus", "main-system-bus"}}); }),
              "Device 'test-nic' can't go on System bus");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-isa-recorder"}}); }),
              "No 'ISA' bus found for device 'test-isa-recorder'");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-all-props"}, {"bus", "pci.0"}}); }),
              "Device 'test-all-props' can't go on PCI bus");

    add({{"driver", "test-one-slot-ctrl"}});
    add({{"driver", "test-one-slot-dev"}});
    EXPECT_EQ(error_of([&] { add({{"driver", "test-one-slot-dev"}}); }),
              "No 'OneSlot' bus found for device 'test-one-slot-dev'");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-one-slot-dev"}, {"bus", "oneslot.0"}}); }),
              "Bus 'oneslot.0' is full");

    // A second controller gives the next device a home.
    add({{"driver", "test-one-slot-ctrl"}});
    Device& second = add({{"driver", "test-one-slot-dev"}});
    EXPECT_EQ(second.parent_bus()->name(), "oneslot.1");
}

TEST_F(DeviceTest, IdErrors) {
    add({{"driver", "test-nic"}, {"id", "net0"}});
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}, {"id", "net0"}}); }),
              "Duplicate ID 'net0' for device");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}, {"id", "0net"}}); }),
              "Parameter 'id' expects an identifier");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}, {"id", "a/b"}}); }),
              "Parameter 'id' expects an identifier");
    add({{"driver", "test-nic"}, {"id", "a-b.c_d9"}});
}

TEST_F(DeviceTest, PropertyErrorLeavesNoTrace) {
    BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", std::any(1));
    EXPECT_EQ(error_of([&] {
                  add({{"driver", "test-nic"}, {"id", "net0"}, {"netdev", "nd0"}, {"speed", "fast"}});
              }),
              "Parameter 'speed' expects integer");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}, {"bogus", "1"}}); }),
              "Property 'test-nic.bogus' not found");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}, {"netdev", "nd9"}}); }),
              "Property 'test-nic.netdev' can't find value 'nd9'");
    EXPECT_TRUE(machine_->peripheral().children().empty());
    EXPECT_TRUE(machine_->peripheral_anon().children().empty());
    EXPECT_TRUE(pci0(*machine_).devices().empty());
    EXPECT_EQ(BackendRegistry::instance().user(BackendKind::kNetdev, "nd0"), nullptr);
    add({{"driver", "test-nic"}, {"id", "net0"}, {"netdev", "nd0"}});
}

TEST_F(DeviceTest, RealizeFailureRollsBack) {
    EXPECT_EQ(error_of([&] { add({{"driver", "test-flaky"}, {"id", "f"}, {"fail", "on"}}); }),
              "flaky: realize failed on purpose");
    EXPECT_EQ(machine_->peripheral().child("f"), nullptr);
    EXPECT_TRUE(pci0(*machine_).devices().empty());
    // The slot it was given is free again.
    EXPECT_EQ(dynamic_cast<PciBus&>(pci0(*machine_)).device_at(0), nullptr);
    Device& nic = add({{"driver", "test-nic"}});
    EXPECT_EQ(nic.get_property("addr"), nlohmann::json(0));

    // Directly: the device stays usable and unplugged, its addr untouched.
    auto flaky = new_object<Flaky>("test-flaky");
    flaky->set_parent_bus(pci0(*machine_));
    flaky->parse_property("fail", "on");
    EXPECT_THROW(flaky->realize(), Error);
    EXPECT_FALSE(flaky->realized());
    EXPECT_EQ(flaky->devfn_, -1);
    flaky->parse_property("fail", "off");
    flaky->realize();
    EXPECT_EQ(flaky->devfn_, 8);
    EXPECT_EQ(flaky->realized_count_, 1);
    flaky->unrealize();
    EXPECT_EQ(flaky->devfn_, -1);
    EXPECT_EQ(dynamic_cast<PciBus&>(pci0(*machine_)).device_at(8), nullptr);
}

TEST_F(DeviceTest, FailedRealizeRemovesTheBusesItCreated) {
    auto rec = new_object<Recorder>("test-recorder");
    rec->set_parent_bus(pci0(*machine_));
    rec->parse_property("with-bus", "on");
    rec->parse_property("fail-after-bus", "on");
    EXPECT_EQ(error_of([&] { rec->realize(); }), "recorder: realize failed after creating its bus");
    EXPECT_TRUE(rec->child_buses().empty());
    EXPECT_TRUE(rec->children().empty());
    EXPECT_EQ(find_bus_by_name(machine_->sysbus(), "isa.0"), nullptr);
    rec->parse_property("fail-after-bus", "off");
    rec->realize();
    EXPECT_EQ(rec->child_buses().size(), 1u);
}

TEST_F(DeviceTest, PciSlots) {
    add({{"driver", "test-nic"}, {"id", "net0"}, {"addr", "3"}});
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}, {"addr", "03.0"}}); }),
              "PCI: slot 3 function 0 not available for test-nic, in use by test-nic,id=net0");
    add({{"driver", "test-nic"}, {"addr", "03.1"}});
    for (int i = 0; i < 31; ++i) add({{"driver", "test-flaky"}});
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}}); }),
              "PCI: no slot/function available for test-nic, all in use or reserved");
}

TEST_F(DeviceTest, Hotplug) {
    machine_->set_ready();
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}}); }),
              "Bus 'pci.0' does not support hotplugging");
    pci0(*machine_).set_hotpluggable(true);
    Device& dev = add({{"driver", "test-nic"}});
    EXPECT_TRUE(dev.hotplugged());
}

TEST_F(DeviceTest, GlobalsApplyBeforeUserValues) {
    auto& globals = GlobalProperties::instance();
    globals.add_option("test-nic.speed=100");
    globals.add_option("driver=test-pci-device,property=addr,value=6");  // parent type
    globals.add_option("test-nic.mitigation=off");
    globals.add_option("test-nic.speed=10");  // later globals win

    Device& a = add({{"driver", "test-nic"}});
    auto& nic = dynamic_cast<TestNic&>(a);
    EXPECT_EQ(nic.speed_, 10u);
    EXPECT_FALSE(nic.mitigation_);
    EXPECT_EQ(nic.devfn_, 6 << 3);

    Device& b = add({{"driver", "test-nic"}, {"speed", "1"}, {"addr", "7"}});
    EXPECT_EQ(dynamic_cast<TestNic&>(b).speed_, 1u);  // user beats global
    EXPECT_EQ(dynamic_cast<TestNic&>(b).devfn_, 7 << 3);

    // Other types only get the parent-type global.
    Device& c = add({{"driver", "test-flaky"}, {"addr", "9"}});
    EXPECT_EQ(c.get_property("addr"), nlohmann::json(9 << 3));
    auto flaky = new_object<Flaky>("test-flaky");
    EXPECT_EQ(flaky->devfn_, 6 << 3);
}

TEST_F(DeviceTest, GlobalErrors) {
    auto& globals = GlobalProperties::instance();
    EXPECT_EQ(error_of([&] { globals.add_option("nonsense"); }), "Invalid parameter 'nonsense'");
    EXPECT_EQ(error_of([&] { globals.add_option("driver=x,property=y"); }),
              "options 'driver', 'property', and 'value' are required");
    EXPECT_EQ(error_of([&] { globals.add_option("driver=x,property=y,valu=1"); }),
              "Invalid parameter 'valu'");
    EXPECT_TRUE(globals.list().empty());

    globals.add_option("test-nic.bogus=1");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}}); }),
              "can't apply global test-nic.bogus=1: Property 'test-nic.bogus' not found");
    EXPECT_TRUE(machine_->peripheral_anon().children().empty());
    globals.clear();

    globals.add_option("test-nic.speed=fast");
    EXPECT_EQ(error_of([&] { add({{"driver", "test-nic"}}); }),
              "can't apply global test-nic.speed=fast: Parameter 'speed' expects integer");
    globals.clear();

    // Property names may contain dots; the value may contain '='.
    globals.add_option("no-such-driver.a.b=c=d");
    globals.add_option("test-host.x=1");
    globals.add_option("test-nic.speed=5");
    ASSERT_EQ(globals.list().size(), 3u);
    EXPECT_EQ(globals.list()[0].property, "a.b");
    EXPECT_EQ(globals.list()[0].value, "c=d");
    EXPECT_EQ(globals.unused_warnings(),
              (std::vector<std::string>{"global no-such-driver.a.b has invalid class name",
                                        "global test-host.x=1 not used"}));
}

TEST_F(DeviceTest, ResetWalksChildrenFirst) {
    add({{"driver", "test-recorder"}, {"id", "a"}, {"tag", "A"}, {"with-bus", "on"}});
    add({{"driver", "test-isa-recorder"}, {"tag", "x"}});
    add({{"driver", "test-isa-recorder"}, {"tag", "y"}});
    add({{"driver", "test-recorder"}, {"tag", "B"}});
    // Not realized: skipped.
    auto loose = new_object<Recorder>("test-recorder");
    loose->parse_property("tag", "unrealized");
    loose->set_parent_bus(pci0(*machine_));

    machine_->system_reset();
    EXPECT_EQ(Recorder::log(), (std::vector<std::string>{"B", "y", "x", "A"}));
}

TEST_F(DeviceTest, BusNames) {
    Device& a = add({{"driver", "test-recorder"}, {"with-bus", "on"}});
    Device& b = add({{"driver", "test-recorder"}, {"with-bus", "on"}});
    Device& c = add({{"driver", "test-recorder"}, {"id", "rec"}, {"with-bus", "on"}});
    EXPECT_EQ(a.child_buses().at(0)->name(), "isa.0");
    EXPECT_EQ(b.child_buses().at(0)->name(), "isa.1");
    EXPECT_EQ(c.child_buses().at(0)->name(), "rec.0");
    EXPECT_EQ(c.child_buses().at(0)->parent_device(), &c);
    EXPECT_EQ(c.child_buses().at(0)->canonical_path(), "/machine/peripheral/rec/rec.0");
    Device& isa = add({{"driver", "test-isa-recorder"}, {"bus", "rec.0"}});
    EXPECT_EQ(isa.parent_bus(), c.child_buses().at(0));
}

TEST_F(DeviceTest, RemovingABusTakesItsDevices) {
    Device& ctrl = add({{"driver", "test-recorder"}, {"id", "ctrl"}, {"with-bus", "on"}});
    add({{"driver", "test-isa-recorder"}, {"id", "kid"}, {"bus", "ctrl.0"}});
    ASSERT_NE(machine_->peripheral().child("kid"), nullptr);
    machine_->peripheral().remove_child(ctrl);
    EXPECT_EQ(machine_->peripheral().child("ctrl"), nullptr);
    EXPECT_EQ(machine_->peripheral().child("kid"), nullptr);
    EXPECT_TRUE(pci0(*machine_).devices().empty());
    EXPECT_EQ(dynamic_cast<PciBus&>(pci0(*machine_)).device_at(0), nullptr);
}

TEST_F(DeviceTest, DestroyingTheTreeIsClean) {
    BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", std::any(1));
    add({{"driver", "test-recorder"}, {"id", "ctrl"}, {"with-bus", "on"}});
    add({{"driver", "test-isa-recorder"}, {"bus", "ctrl.0"}});
    add({{"driver", "test-nic"}, {"netdev", "nd0"}});
    root_.reset();
    EXPECT_EQ(BackendRegistry::instance().user(BackendKind::kNetdev, "nd0"), nullptr);
}

TEST_F(DeviceTest, BusPaths) {
    Device& ctrl = add({{"driver", "test-recorder"}, {"id", "ctrl"}, {"with-bus", "on"}});
    Bus& pci = pci0(*machine_);
    Bus& isa = *ctrl.child_buses().at(0);
    Bus& sys = machine_->sysbus();
    EXPECT_EQ(&find_bus_by_path(sys, "pci.0"), &pci);
    EXPECT_EQ(&find_bus_by_path(sys, "/"), &sys);
    EXPECT_EQ(&find_bus_by_path(sys, "/test-host/pci.0"), &pci);
    EXPECT_EQ(&find_bus_by_path(sys, "/test-host"), &pci);  // its only bus
    EXPECT_EQ(&find_bus_by_path(sys, "/test-host/pci.0/ctrl/ctrl.0"), &isa);
    EXPECT_EQ(&find_bus_by_path(sys, "pci.0/ctrl"), &isa);
    EXPECT_EQ(&find_bus_by_path(sys, "pci.0/test-recorder"), &isa);  // by type name

    auto error = [&](const char* path) { return error_of([&] { find_bus_by_path(sys, path); }); };
    EXPECT_EQ(error("nope.0"), "Bus 'nope.0' not found");
    EXPECT_EQ(error("/nope"), "Device 'nope' not found");
    EXPECT_EQ(error("/test-host/pci.1"), "Bus 'pci.1' not found");
    add({{"driver", "test-nic"}, {"id", "net0"}});
    EXPECT_EQ(error("pci.0/net0"), "Device 'net0' has no child bus");

    add({{"driver", "test-isa-recorder"}, {"bus", "pci.0/ctrl/ctrl.0"}});
    EXPECT_EQ(isa.devices().size(), 1u);
    add({{"driver", "test-one-slot-ctrl"}, {"id", "disks"}});
    add({{"driver", "test-one-slot-dev"}, {"bus", "pci.0/disks"}});
    EXPECT_EQ(error_of([&] { add({{"driver", "test-one-slot-dev"}, {"bus", "pci.0/disks"}}); }),
              "Bus 'pci.0/disks' is full");
}

TEST_F(DeviceTest, DeviceAddFromJson) {
    BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", std::any(1));
    Device& dev = device_add(*machine_, nlohmann::json{{"driver", "test-nic"},
                                                       {"id", "net0"},
                                                       {"netdev", "nd0"},
                                                       {"speed", 100},
                                                       {"mitigation", false},
                                                       {"addr", "04.0"}});
    auto& nic = dynamic_cast<TestNic&>(dev);
    EXPECT_EQ(nic.speed_, 100u);
    EXPECT_FALSE(nic.mitigation_);
    EXPECT_EQ(nic.devfn_, 32);
    EXPECT_EQ(nic.canonical_path(), "/machine/peripheral/net0");

    auto json_error = [&](nlohmann::json args) { return error_of([&] { device_add(*machine_, args); }); };
    // QEMU 7.2 takes QMP's arguments through QemuOpts: strings are parsed
    // as on the command line, and typed values are checked by type.
    Device& parsed = device_add(*machine_, nlohmann::json{{"driver", "test-nic"}, {"id", "net1"},
                                                          {"speed", "1000"}, {"mitigation", "off"}});
    EXPECT_EQ(dynamic_cast<TestNic&>(parsed).speed_, 1000u);
    EXPECT_FALSE(dynamic_cast<TestNic&>(parsed).mitigation_);
    EXPECT_NE(json_error({{"driver", "test-nic"}, {"speed", "fast"}}), "");
    EXPECT_NE(json_error({{"driver", "test-nic"}, {"mitigation", 1}}), "");
    EXPECT_EQ(json_error({{"driver", 5}}), "Invalid parameter type for 'driver', expected: string");
    EXPECT_EQ(json_error({{"id", "x"}}), "Parameter 'driver' is missing");
    EXPECT_EQ(machine_->peripheral_anon().children().size(), 0u);
}

TEST_F(DeviceTest, DeviceDel) {
    EXPECT_EQ(error_of([&] { device_del(*machine_, "net0"); }), "Device 'net0' not found");
    add({{"driver", "test-nic"}, {"id", "net0"}});
    add({{"driver", "test-nic"}});
    EXPECT_EQ(error_of([&] { device_del(*machine_, "net0"); }),
              "Bus 'pci.0' does not support hotplugging");
    pci0(*machine_).set_hotpluggable(true);
    device_del(*machine_, "net0");
    EXPECT_EQ(machine_->peripheral().child("net0"), nullptr);
    device_del(*machine_, "/machine/peripheral-anon/device[0]");
    EXPECT_TRUE(pci0(*machine_).devices().empty());
    EXPECT_EQ(error_of([&] { device_del(*machine_, "/machine/unattached"); }),
              "/machine/unattached is not a hotpluggable device");
    machine_->sysbus().set_hotpluggable(true);
    EXPECT_EQ(error_of([&] { device_del(*machine_, "/machine/unattached/device[0]"); }),
              "Device 'test-host' does not support hotplugging");
}

TEST_F(DeviceTest, QomListAndBuiltins) {
    Device& net = add({{"driver", "test-nic"}, {"id", "net0"}});
    EXPECT_EQ(net.get_property("type"), nlohmann::json("test-nic"));
    EXPECT_EQ(net.get_property("realized"), nlohmann::json(true));
    EXPECT_EQ(net.get_property("hotplugged"), nlohmann::json(false));
    EXPECT_EQ(net.get_property("hotpluggable"), nlohmann::json(true));
    EXPECT_EQ(net.get_property("parent_bus"), nlohmann::json("/machine/unattached/device[0]/pci.0"));
    EXPECT_EQ(error_of([&] { net.set_property("realized", nlohmann::json(false)); }),
              "Property 'test-nic.realized' is not writable");
    EXPECT_EQ(error_of([&] { net.parse_property("type", "x"); }),
              "Property 'test-nic.type' is not writable");

    std::vector<std::string> listed;
    for (const auto& entry : net.list_properties()) listed.push_back(entry.name + ":" + entry.type);
    EXPECT_EQ(listed, (std::vector<std::string>{"type:string", "realized:bool", "hotplugged:bool",
                                                "hotpluggable:bool", "parent_bus:link<bus>",
                                                "mac:str", "netdev:str", "speed:uint32",
                                                "mitigation:bool", "addr:int32"}));
    listed.clear();
    for (const auto& entry : machine_->list_properties()) listed.push_back(entry.name + ":" + entry.type);
    EXPECT_EQ(listed, (std::vector<std::string>{"type:string", "unattached:child<container>",
                                                "peripheral:child<container>",
                                                "peripheral-anon:child<container>"}));
    EXPECT_EQ(machine_->get_property("type"), nlohmann::json("test-machine"));
}

}  // namespace
}  // namespace mimic::qom::test
