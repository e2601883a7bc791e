#include "test_devices.h"

#include "mimic/qom/device_add.h"
#include "mimic/util/error.h"

namespace mimic::qom::test {

MIMIC_REGISTER_TYPE({
    .name = "test-pci-device",
    .parent = kTypeDevice,
    .abstract = true,
    .properties = {prop::pci_devfn("addr", &TestPciDevice::devfn_)},
    .bus_type = kTypePciBus,
});

MIMIC_REGISTER_TYPE({
    .name = "test-nic",
    .parent = "test-pci-device",
    .factory = factory_of<TestNic>(),
    .description = "Test Gigabit Ethernet",
    .properties = {
        prop::mac("mac", &TestNic::mac_),
        prop::netdev("netdev", &TestNic::netdev_),
        prop::uint32("speed", &TestNic::speed_, 1000, "link speed in Mbit/s"),
        prop::boolean("mitigation", &TestNic::mitigation_, true),
    },
    .categories = {DeviceCategory::kNetwork},
    .alias = "test-nic-82540em",
});

// A variant that only changes a default.
MIMIC_REGISTER_TYPE({
    .name = "test-nic-fast",
    .parent = "test-nic",
    .factory = factory_of<TestNic>(),
    .properties = {prop::uint32("speed", &TestNic::speed_, 10000, "link speed in Mbit/s")},
    .user_creatable = false,
});

MIMIC_REGISTER_TYPE({
    .name = "test-all-props",
    .parent = kTypeDevice,
    .factory = factory_of<AllProps>(),
    .properties = {
        prop::boolean("flag", &AllProps::flag_, false),
        prop::int8("i8", &AllProps::i8_, -1),
        prop::int16("i16", &AllProps::i16_, 0),
        prop::int32("i32", &AllProps::i32_, 0),
        prop::int64("i64", &AllProps::i64_, 0),
        prop::uint8("u8", &AllProps::u8_, 0),
        prop::uint16("u16", &AllProps::u16_, 0),
        prop::uint32("u32", &AllProps::u32_, 0),
        prop::uint64("u64", &AllProps::u64_, 0),
        prop::uint8("level", &AllProps::level_, 3).range(0, 15),
        prop::size("size", &AllProps::size_, 65536),
        prop::string("name", &AllProps::name_, "default-name"),
        prop::enumeration("mode", &AllProps::mode_, "TestMode", {"fast", "slow", "off"},
                          Mode::kSlow, "how to go"),
        prop::on_off_auto("accel", &AllProps::accel_, OnOffAuto::kAuto),
        prop::mac("mac", &AllProps::mac_),
        prop::pci_devfn("addr", &AllProps::addr_),
        prop::drive("drive", &AllProps::drive_),
        prop::netdev("netdev", &AllProps::netdev_),
        prop::chardev("chardev", &AllProps::chardev_),
        prop::uint32("live", &AllProps::live_, 0).after_realize(),
    },
    .categories = {DeviceCategory::kMisc},
});

void Flaky::do_realize() {
    if (fail_) throw Error("flaky: realize failed on purpose");
    ++realized_count_;
}

MIMIC_REGISTER_TYPE({
    .name = "test-flaky",
    .parent = "test-pci-device",
    .factory = factory_of<Flaky>(),
    .properties = {prop::boolean("fail", &Flaky::fail_, false)},
});

TestHost::TestHost() { add_bus(kTypePciBus, "pci.0"); }

MIMIC_REGISTER_TYPE({
    .name = "test-host",
    .parent = kTypeSysBusDevice,
    .factory = factory_of<TestHost>(),
    .categories = {DeviceCategory::kBridge},
});

std::vector<std::string>& Recorder::log() {
    static std::vector<std::string> entries;
    return entries;
}

void Recorder::do_realize() {
    if (with_bus_ && child_buses().empty()) add_bus(kTypeIsaBus);
    if (fail_after_bus_) throw Error("recorder: realize failed after creating its bus");
}

void Recorder::do_reset() { log().push_back(tag_); }

void IsaRecorder::do_reset() { Recorder::log().push_back(tag_); }

MIMIC_REGISTER_TYPE({
    .name = "test-recorder",
    .parent = "test-pci-device",
    .factory = factory_of<Recorder>(),
    .properties = {
        prop::string("tag", &Recorder::tag_),
        prop::boolean("with-bus", &Recorder::with_bus_, false),
        prop::boolean("fail-after-bus", &Recorder::fail_after_bus_, false),
    },
});

MIMIC_REGISTER_TYPE({
    .name = "test-isa-recorder",
    .parent = kTypeIsaDevice,
    .factory = factory_of<IsaRecorder>(),
    .properties = {prop::string("tag", &IsaRecorder::tag_)},
});

MIMIC_REGISTER_TYPE({
    .name = "OneSlot",
    .parent = kTypeBus,
    .factory = factory_of<OneSlotBus>(),
});

void OneSlotController::do_realize() {
    if (child_buses().empty()) add_bus("OneSlot");
}

MIMIC_REGISTER_TYPE({
    .name = "test-one-slot-ctrl",
    .parent = "test-pci-device",
    .factory = factory_of<OneSlotController>(),
    .categories = {DeviceCategory::kStorage},
});

MIMIC_REGISTER_TYPE({
    .name = "test-one-slot-dev",
    .parent = kTypeDevice,
    .factory = factory_of<OneSlotDevice>(),
    .description = "A disk",
    .bus_type = "OneSlot",
    .categories = {DeviceCategory::kStorage},
});

MIMIC_REGISTER_TYPE({
    .name = "test-machine",
    .parent = kTypeMachine,
    .factory = factory_of<TestMachine>(),
});

QomTest::QomTest() {
    BackendRegistry::instance().clear();
    GlobalProperties::instance().clear();
    Bus::reset_automatic_names();
    Recorder::log().clear();
    root_ = Container::make_root();
    machine_ = &root_->add_child("machine", new_object<TestMachine>("test-machine"));
    auto host = new_object<TestHost>("test-host");
    host->set_parent_bus(machine_->sysbus());
    host_ = static_cast<TestHost*>(&machine_->add_unattached(std::move(host)));
    host_->realize();
}

QomTest::~QomTest() {
    root_.reset();
    BackendRegistry::instance().clear();
    GlobalProperties::instance().clear();
}

Device& QomTest::add(std::vector<std::pair<std::string, std::string>> options) {
    return device_add(*machine_, options);
}

}  // namespace mimic::qom::test
