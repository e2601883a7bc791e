// ACPI PCI hot-plug on the pc machine through the real binary: device_add
// and device_del over QMP while qtest plays the guest's AML (the registers
// at 0xAE00, GPE0 at 0xAFE0, the SCI on IOAPIC pin 9), QEMU 7.2's refusal
// texts, and pci-testdev, the device it is proven with.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "qmp_test_client.h"
#include "qtest_client.h"

using mimic::test::QmpTestClient;
using mimic::test::QtestClient;
using nlohmann::json;

namespace {

constexpr uint16_t kUp = 0xae00, kDown = 0xae04, kEject = 0xae08, kRemovable = 0xae0c, kSelect = 0xae10;
constexpr uint16_t kGpeStatus = 0xafe0, kGpeEnable = 0xafe2;
constexpr int kSciPin = 9;

uint32_t cfg_readl(QtestClient& vm, int devfn, int reg) {
    vm.outl(0xcf8, 0x80000000u | static_cast<uint32_t>(devfn) << 8 | static_cast<uint32_t>(reg));
    return vm.inl(0xcfc);
}

void cfg_writel(QtestClient& vm, int devfn, int reg, uint32_t value) {
    vm.outl(0xcf8, 0x80000000u | static_cast<uint32_t>(devfn) << 8 | static_cast<uint32_t>(reg));
    vm.outl(0xcfc, value);
}

// A machine with a QMP socket beside its qtest one, without the default NIC.
struct Vm {
    explicit Vm(std::vector<std::string> args = {}) : vm(with_qmp(std::move(args))), qmp(qmp_path()) {
        vm.irq_intercept_in("ioapic");
    }
    ~Vm() { unlink(qmp_path().c_str()); }

    std::string qmp_path() const { return "/tmp/mimic-pcihp-" + std::to_string(getpid()) + ".qmp"; }
    std::vector<std::string> with_qmp(std::vector<std::string> args) const {
        args.insert(args.end(), {"-nic", "none", "-qmp", "unix:" + qmp_path() + ",server=on,wait=off"});
        return args;
    }
    bool present(int slot) { return (cfg_readl(vm, slot << 3, 0) & 0xffff) != 0xffff; }
    json pci_slots() {
        json slots = json::array();
        json reply = qmp.command("query-pci");
        for (const json& device : reply["return"][0]["devices"]) slots.push_back(device["slot"]);
        return slots;
    }

    QtestClient vm;
    QmpTestClient qmp;
};

}  // namespace

TEST(PciHotplug, DeviceAddRaisesTheUpBitAndTheSci) {
    Vm m;
    m.vm.outb(kGpeEnable, 0x02);
    EXPECT_FALSE(m.vm.irq_level(kSciPin));
    ASSERT_EQ(m.qmp.command("device_add", {{"driver", "pci-testdev"}, {"id", "t1"}, {"addr", "6"}}),
              json({{"return", json::object()}}));
    EXPECT_TRUE(m.present(6));
    EXPECT_EQ(m.vm.inb(kGpeStatus) & 0x02, 0x02);
    EXPECT_TRUE(m.vm.irq_level(kSciPin));
    EXPECT_EQ(m.vm.inl(kUp), 1u << 6);
    EXPECT_EQ(m.vm.inl(kUp), 0u);  // reading clears it
    EXPECT_EQ(m.vm.inl(kDown), 0u);
    m.vm.outb(kGpeStatus, 0x02);  // the OS acknowledges the GPE
    EXPECT_FALSE(m.vm.irq_level(kSciPin));
    // A free slot is chosen without addr=.
    ASSERT_EQ(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"id", "t2"}}), "");
    EXPECT_EQ(m.vm.inl(kUp), 1u << 3);
}

TEST(PciHotplug, DeviceAddTakesPropertiesAsStringsOrTyped) {
    // QEMU 7.2 parses string arguments as on the command line (QemuOpts).
    Vm m;
    ASSERT_EQ(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"id", "s"}, {"membar", "8192"}}), "");
    EXPECT_EQ(m.qmp.command("qom-get", {{"path", "/machine/peripheral/s"}, {"property", "membar"}})["return"], 8192);
    ASSERT_EQ(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"id", "n"}, {"membar", 4096}}), "");
    EXPECT_EQ(m.qmp.command("qom-get", {{"path", "/machine/peripheral/n"}, {"property", "membar"}})["return"], 4096);
    EXPECT_NE(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"id", "b"}, {"membar", "lots"}}), "");
}

TEST(PciHotplug, DeviceDelWaitsForTheGuestsEject) {
    Vm m;
    m.vm.outb(kGpeEnable, 0x02);
    ASSERT_EQ(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"id", "t1"}, {"addr", "6"}}), "");
    m.vm.inl(kUp);
    m.vm.outb(kGpeStatus, 0x02);
    ASSERT_EQ(m.qmp.command("device_del", {{"id", "t1"}}), json({{"return", json::object()}}));
    EXPECT_TRUE(m.vm.irq_level(kSciPin));
    EXPECT_EQ(m.vm.inl(kDown), 1u << 6);
    EXPECT_EQ(m.vm.inl(kDown), 1u << 6);  // stays until the eject
    EXPECT_TRUE(m.present(6));
    EXPECT_EQ(m.pci_slots(), json({0, 1, 1, 1, 2, 6}));
    // Asking again is no error, as in QEMU 7.2.
    EXPECT_EQ(m.qmp.error_of("device_del", {{"id", "t1"}}), "");
    EXPECT_TRUE(m.qmp.events().empty());

    m.vm.outl(kSelect, 0);
    m.vm.outl(kEject, 1u << 6);  // _EJ0 through PCEJ
    json event = m.qmp.wait_event("DEVICE_DELETED");
    EXPECT_EQ(event["data"], json({{"device", "t1"}, {"path", "/machine/peripheral/t1"}}));
    EXPECT_EQ(m.vm.inl(kDown), 0u);
    EXPECT_FALSE(m.present(6));
    EXPECT_EQ(m.pci_slots(), json({0, 1, 1, 1, 2}));
    EXPECT_EQ(m.qmp.error_of("device_del", {{"id", "t1"}}), "Device 't1' not found");
    // The slot is free again.
    EXPECT_EQ(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"id", "t1"}, {"addr", "6"}}), "");
}

TEST(PciHotplug, CommandLineDevicesAreUnpluggableAndEjectNeedsNoRequest) {
    Vm m({"-device", "pci-testdev,id=c1,addr=7", "-device", "pci-testdev,addr=8"});
    EXPECT_EQ(m.vm.inl(kUp), 0u);  // present at start: no event
    EXPECT_EQ(m.vm.inb(kGpeStatus), 0u);
    EXPECT_EQ(m.qmp.error_of("device_del", {{"id", "c1"}}), "");
    EXPECT_EQ(m.vm.inl(kDown), 1u << 7);
    // As in QEMU, the guest may eject any removable slot, asked or not;
    // the lowest slot written goes, and DEVICE_DELETED has no id for an
    // anonymous device.
    m.vm.outl(kEject, 1u << 8 | 1u << 9);
    EXPECT_EQ(m.qmp.wait_event("DEVICE_DELETED")["data"],
              json({{"path", "/machine/peripheral-anon/device[0]"}}));
    EXPECT_FALSE(m.present(8));
    EXPECT_TRUE(m.present(7));
    EXPECT_EQ(m.vm.inl(kDown), 1u << 7);
    m.vm.outl(kEject, 1u << 7);
    EXPECT_EQ(m.qmp.wait_event("DEVICE_DELETED")["data"], json({{"device", "c1"}, {"path", "/machine/peripheral/c1"}}));
    EXPECT_FALSE(m.present(7));
}

TEST(PciHotplug, BuiltInDevicesStay) {
    Vm m;
    // i440FX (slot 0), PIIX3/IDE/PM (slot 1) and VGA (slot 2) are not removable.
    EXPECT_EQ(m.vm.inl(kRemovable), 0xfffffff8u);
    m.vm.outl(kEject, 1u << 2);
    m.vm.outl(kEject, 1u << 1);
    EXPECT_TRUE(m.present(2));
    EXPECT_TRUE(m.present(1));
    int refused = 0;
    json children = m.qmp.command("qom-list", {{"path", "/machine/unattached"}})["return"];
    for (const json& child : children) {
        std::string type = child["type"];
        std::string path = "/machine/unattached/" + child["name"].get<std::string>();
        for (const char* builtin : {"i440FX", "PIIX3", "PIIX4_PM", "piix3-ide", "VGA"}) {
            if (type != "child<" + std::string(builtin) + ">") continue;
            EXPECT_EQ(m.qmp.error_of("device_del", {{"id", path}}),
                      "Device '" + std::string(builtin) + "' does not support hotplugging");
            ++refused;
        }
    }
    EXPECT_EQ(refused, 5);
    EXPECT_EQ(m.qmp.error_of("device_del", {{"id", "/machine/i440fx"}}),
              "Bus 'main-system-bus' does not support hotplugging");
    EXPECT_EQ(m.qmp.error_of("device_add", {{"driver", "VGA"}}), "Parameter 'driver' expects a pluggable device type");
    EXPECT_EQ(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"addr", "1.4"}}),
              "PCI: slot 1 function 0 already occupied by PIIX3, new func pci-testdev cannot be exposed to guest.");
    EXPECT_EQ(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"addr", "2"}}),
              "PCI: slot 2 function 0 not available for pci-testdev, in use by VGA,id=(null)");
    EXPECT_EQ(m.vm.inl(kUp), 0u);
}

// CPUs sit on no bus: the machine answers for them, as QEMU's pc does.
TEST(PciHotplug, CpusRefuseDeviceDel) {
    Vm m({"-smp", "2"});
    std::vector<std::string> cpus;
    json children = m.qmp.command("qom-list", {{"path", "/machine/unattached"}})["return"];
    for (const json& child : children) {
        if (child["type"] == "child<qemu64-x86_64-cpu>") cpus.push_back("/machine/unattached/" + child["name"].get<std::string>());
    }
    ASSERT_EQ(cpus.size(), 2u);
    EXPECT_EQ(m.qmp.error_of("device_del", {{"id", cpus[0]}}), "Boot CPU is unpluggable");
    EXPECT_EQ(m.qmp.error_of("device_del", {{"id", cpus[1]}}),
              "acpi: device unplug request for not supported device type: qemu64-x86_64-cpu");
    EXPECT_EQ(m.qmp.command("qom-get", {{"path", cpus[1]}, {"property", "type"}})["return"], "qemu64-x86_64-cpu");
}

TEST(PciHotplug, BusSelectAndResetEjectPendingRequests) {
    Vm m({"-device", "pci-testdev,id=c1,addr=5"});
    EXPECT_EQ(m.qmp.error_of("device_del", {{"id", "c1"}}), "");
    m.vm.outl(kSelect, 1);  // no such bus: nothing pending, all removable
    EXPECT_EQ(m.vm.inl(kSelect), 1u);
    EXPECT_EQ(m.vm.inl(kDown), 0u);
    EXPECT_EQ(m.vm.inl(kRemovable), 0xffffffffu);
    m.vm.outl(kEject, 1u << 5);
    m.vm.outl(kSelect, 300);  // past the last bus: everything reads zero
    EXPECT_EQ(m.vm.inl(kRemovable), 0u);
    m.vm.outl(kSelect, 0);
    EXPECT_EQ(m.vm.inl(kDown), 1u << 5);
    EXPECT_TRUE(m.present(5));
    // A reset ends the request: the guest that was asked is gone.
    m.vm.outb(0xcf9, 0x06);
    EXPECT_EQ(m.qmp.wait_event("DEVICE_DELETED")["data"], json({{"device", "c1"}, {"path", "/machine/peripheral/c1"}}));
    EXPECT_EQ(m.vm.inl(kDown), 0u);
    EXPECT_FALSE(m.present(5));
}

// pci-testdev: QEMU's identity and BARs, and its test registers.
TEST(PciTestdev, IdentityAndBars) {
    QtestClient vm({"-device", "pci-testdev,addr=5,membar=1M"});
    constexpr int kDevfn = 5 << 3;
    EXPECT_EQ(cfg_readl(vm, kDevfn, 0x00), 0x00051b36u);
    EXPECT_EQ(cfg_readl(vm, kDevfn, 0x08), 0x00ff0000u);  // class 0x00ff, revision 0
    EXPECT_EQ(cfg_readl(vm, kDevfn, 0x2c), 0x11001af4u);
    EXPECT_EQ(cfg_readl(vm, kDevfn, 0x3c) >> 8 & 0xff, 0u);  // no interrupt pin
    const uint32_t sizes[] = {0xfffff000, 0xffffff01, 0xfff0000c, 0xffffffff};
    for (int bar = 0; bar < 4; ++bar) {
        cfg_writel(vm, kDevfn, 0x10 + 4 * bar, 0xffffffff);
        EXPECT_EQ(cfg_readl(vm, kDevfn, 0x10 + 4 * bar), sizes[bar]) << "BAR" << bar;
    }
}

TEST(PciTestdev, TestRegisters) {
    QtestClient vm({"-device", "pci-testdev,addr=5"});
    constexpr int kDevfn = 5 << 3;
    constexpr uint64_t kMmio = 0xfe000000;
    constexpr uint16_t kPorts = 0xc100;
    cfg_writel(vm, kDevfn, 0x10, kMmio);
    cfg_writel(vm, kDevfn, 0x14, kPorts);
    cfg_writel(vm, kDevfn, 0x04, 0x3);  // I/O and memory decode
    auto header_name = [&](auto read_byte) {
        std::string name;
        for (uint64_t at = 16; char c = static_cast<char>(read_byte(at)); ++at) name += c;
        return name;
    };
    EXPECT_EQ(vm.readb(kMmio), 0);  // nothing selected yet
    vm.writeb(kMmio, 0);
    EXPECT_EQ(header_name([&](uint64_t at) { return vm.readb(kMmio + at); }), "mmio-no-eventfd");
    EXPECT_EQ(vm.readl(kMmio + 4), 2048u);
    EXPECT_EQ(vm.readb(kMmio + 8), 0xfa);
    for (int i = 0; i < 3; ++i) vm.writeb(kMmio + 2048, 0xfa);
    vm.writeb(kMmio + 2048, 0x12);  // wrong data
    EXPECT_EQ(vm.readl(kMmio + 12), 3u);
    // An eventfd test: one-byte writes at its offset go to the eventfd.
    vm.writeb(kMmio, 1);
    EXPECT_EQ(header_name([&](uint64_t at) { return vm.readb(kMmio + at); }), "mmio-wildcard-eventfd");
    vm.writeb(kMmio + 2049, 0x55);
    EXPECT_EQ(vm.readl(kMmio + 12), 0u);
    // Port I/O: tests 3-5.
    vm.outb(kPorts, 0);
    EXPECT_EQ(vm.inb(kPorts), 3);
    EXPECT_EQ(header_name([&](uint64_t at) { return vm.inb(static_cast<uint16_t>(kPorts + at)); }),
              "portio-no-eventfd");
    EXPECT_EQ(vm.inl(kPorts + 4), 131u);
    vm.outb(kPorts + 131, 0xfa);
    EXPECT_EQ(vm.inl(kPorts + 12), 1u);
    vm.outb(kPorts, 7);  // no such test: deselects
    EXPECT_EQ(vm.inl(kPorts + 4), 0u);
}

TEST(PciTestdev, MembarMustBeAPowerOfTwo) {
    try {
        QtestClient vm({"-device", "pci-testdev,membar=3000"});
        ADD_FAILURE() << "the emulator started";
    } catch (const mimic::test::QtestError& e) {
        EXPECT_NE(std::string(e.what()).find("-device pci-testdev,membar=3000: pci-testdev: membar size 3000 is not a "
                                             "power of 2"),
                  std::string::npos)
            << e.what();
    }
}

// A ROM file that is no file is a refusal for device_add, not the end of a
// running VM.
TEST(PciHotplug, DeviceAddWithARomfileThatIsNoFileIsRefused) {
    Vm m;
    for (const char* path : {"/tmp", "/dev/zero"}) {
        EXPECT_EQ(m.qmp.error_of("device_add", {{"driver", "pci-testdev"}, {"id", "r"}, {"romfile", path}}),
                  "failed to load romfile \"" + std::string(path) + "\"");
    }
    EXPECT_EQ(m.qmp.command("query-status")["return"]["status"], "running");
    EXPECT_EQ(m.vm.inl(kUp), 0u);
}

// Without ACPI (-no-acpi, -machine acpi=off) QEMU's pc has no PIIX4 PM
// function, hence no hot-plug controller and no ACPI tables for firmware.
TEST(PciHotplug, WithoutAcpiThereIsNoPmFunctionAndNoHotplug) {
    for (std::vector<std::string> args : {std::vector<std::string>{"-no-acpi"}, {"-machine", "acpi=off"}}) {
        Vm m(args);
        EXPECT_TRUE(m.present(1));
        EXPECT_EQ(cfg_readl(m.vm, 0x0b, 0), 0xffffffffu) << args[0];
        EXPECT_EQ(m.qmp.error_of("device_add", {{"driver", "e1000"}, {"id", "n1"}}),
                  "Bus 'pci.0' does not support hotplugging");
        EXPECT_EQ(m.qmp.command("qom-get", {{"path", "/machine"}, {"property", "acpi"}})["return"], "off");
    }
    Vm with_acpi;
    EXPECT_NE(cfg_readl(with_acpi.vm, 0x0b, 0), 0xffffffffu);
    EXPECT_EQ(with_acpi.qmp.command("qom-get", {{"path", "/machine"}, {"property", "acpi"}})["return"], "auto");
}
