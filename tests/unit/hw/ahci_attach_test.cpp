// attach_ahci_drives(): what a board with its disks on AHCI (q35) does with
// -drive if=ide. The drive on bus N, unit 0 becomes an ide-hd (ide-cd for
// media=cdrom) on port N; anything else is refused with the drive's option.
// In-process, on the qom tests' machine with a bare pci.0.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mimic/cli/command_line.h"
#include "mimic/hw/ide.h"
#include "mimic/system/drives.h"
#include "mimic/util/error.h"
#include "test_devices.h"

namespace mimic::qom::test {
namespace {

std::string make_image(const std::string& name) {
    std::string path = (std::filesystem::path(testing::TempDir()) / ("ahci-attach-" + name)).string();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(64 * 1024, 'x');
    return path;
}

cli::VmConfig parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"mimic", "-nodefaults"});
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return cli::parse_command_line(static_cast<int>(argv.size()), argv.data()).config;
}

class AhciAttach : public QomTest {};

TEST_F(AhciAttach, IfIdeDrivesBecomeDevicesOnTheirPorts) {
    std::string disk = make_image("disk.raw"), iso = make_image("cd.iso");
    system::DriveSet drives;
    drives.open_all(parse({"-drive", "file=" + disk + ",format=raw,if=ide,bus=0,unit=0", "-drive",
                           "file=" + iso + ",format=raw,if=ide,bus=4,unit=0,media=cdrom"}));
    Device& ahci = add({{"driver", "ich9-ahci"}, {"id", "sata"}});
    ASSERT_EQ(ahci.child_buses().size(), 6u);
    EXPECT_EQ(ahci.child_buses()[0]->name(), "sata.0");
    hw::attach_ahci_drives(ahci, drives);
    for (size_t port = 0; port < 6; ++port) {
        const std::vector<Device*>& on_port = ahci.child_buses()[port]->devices();
        if (port == 0 || port == 4) {
            ASSERT_EQ(on_port.size(), 1u) << port;
            EXPECT_EQ(on_port[0]->type_name(), port == 0 ? "ide-hd" : "ide-cd");
            EXPECT_EQ(on_port[0]->get_property("drive"), port == 0 ? "ide0-hd0" : "ide4-cd0");
            EXPECT_EQ(on_port[0]->get_property("unit"), 0);
            EXPECT_TRUE(on_port[0]->realized());
        } else {
            EXPECT_TRUE(on_port.empty()) << port;
        }
    }
}

TEST_F(AhciAttach, DrivesThatFitNoPortAreRefused) {
    std::string disk = make_image("slave.raw");
    for (const std::string& where : {std::string("bus=0,unit=1"), std::string("bus=6,unit=0")}) {
        system::DriveSet drives;
        drives.open_all(parse({"-drive", "file=" + disk + ",format=raw,if=ide," + where}));
        Device& ahci = add({{"driver", "ich9-ahci"}});
        try {
            hw::attach_ahci_drives(ahci, drives);
            ADD_FAILURE() << where << ": attached";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("-drive file=" + disk), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("machine type does not support if=ide"), std::string::npos)
                << e.what();
        }
        for (Bus* bus : ahci.child_buses()) EXPECT_TRUE(bus->devices().empty());
        Bus::remove_device(ahci);
    }
}

}  // namespace
}  // namespace mimic::qom::test
