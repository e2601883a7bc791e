// Device types and a machine used by the qom tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mimic/qom/backend_registry.h"
#include "mimic/qom/device.h"
#include "mimic/qom/global_properties.h"
#include "mimic/qom/machine.h"
#include "mimic/qom/standard_buses.h"

namespace mimic::qom::test {

enum class Mode { kFast, kSlow, kOff };

// Base of the PCI test devices: plugs into "PCI" and has addr=.
class TestPciDevice : public Device {
public:
    int32_t devfn_ = -1;
};

// A NIC: mac=, netdev=, a couple of scalars.
class TestNic : public TestPciDevice {
public:
    MacAddress mac_;
    BackendLink netdev_;
    uint32_t speed_ = 0;
    bool mitigation_ = false;
};

// Every property kind, on no bus.
class AllProps : public Device {
public:
    bool flag_ = false;
    int8_t i8_ = 0;
    int16_t i16_ = 0;
    int32_t i32_ = 0;
    int64_t i64_ = 0;
    uint8_t u8_ = 0;
    uint16_t u16_ = 0;
    uint32_t u32_ = 0;
    uint64_t u64_ = 0;
    uint8_t level_ = 0;  // ranged 0-15
    uint64_t size_ = 0;
    std::string name_;
    Mode mode_ = Mode::kFast;
    OnOffAuto accel_ = OnOffAuto::kAuto;
    MacAddress mac_;
    int32_t addr_ = -1;
    BackendLink drive_;
    BackendLink netdev_;
    BackendLink chardev_;
    uint32_t live_ = 0;  // settable after realize
};

// Fails realize when fail=on; counts realizes.
class Flaky : public TestPciDevice {
public:
    bool fail_ = false;
    int realized_count_ = 0;

protected:
    void do_realize() override;
};

// Host bridge on the system bus, providing pci.0.
class TestHost : public SysBusDevice {
public:
    TestHost();
};

// Records the order of resets into a shared log; may provide an ISA bus.
class Recorder : public TestPciDevice {
public:
    static std::vector<std::string>& log();
    std::string tag_;
    bool with_bus_ = false;
    bool fail_after_bus_ = false;  // realize creates its bus, then fails

protected:
    void do_realize() override;
    void do_reset() override;
};

class IsaRecorder : public IsaDevice {
public:
    std::string tag_;

protected:
    void do_reset() override;
};

// A bus with room for one device, and its controller/device types.
class OneSlotBus : public Bus {
public:
    OneSlotBus() { set_max_devices(1); }
};
class OneSlotController : public TestPciDevice {
protected:
    void do_realize() override;
};
class OneSlotDevice : public Device {};

class TestMachine : public Machine {};

// A fresh machine with a host bridge (/machine/unattached/device[0]) on the
// system bus and its PCI bus "pci.0"; registries cleared.
class QomTest : public ::testing::Test {
protected:
    QomTest();
    ~QomTest() override;

    Device& add(std::vector<std::pair<std::string, std::string>> options);

    std::unique_ptr<Container> root_;
    TestMachine* machine_ = nullptr;
    TestHost* host_ = nullptr;
};

}  // namespace mimic::qom::test
