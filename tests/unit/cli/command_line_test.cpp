#include "mimic/cli/command_line.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <initializer_list>
#include <vector>

#include "mimic/util/error.h"

using mimic::cli::HelpRequest;
using mimic::cli::parse_command_line;
using mimic::cli::ParseOutcome;

namespace {

// Parses the given arguments (program name added), with informational
// output captured into `output` when given.
ParseOutcome parse(std::initializer_list<const char*> args, std::string* output = nullptr) {
    std::vector<const char*> argv{"mimic-system-x86_64"};
    argv.insert(argv.end(), args);
    char* buffer = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    ParseOutcome outcome;
    try {
        outcome = parse_command_line(static_cast<int>(argv.size()), argv.data(), out);
    } catch (...) {
        std::fclose(out);
        std::free(buffer);
        throw;
    }
    std::fclose(out);
    if (output) *output = std::string(buffer, size);
    std::free(buffer);
    return outcome;
}

std::string error_of(std::initializer_list<const char*> args) {
    try {
        parse(args);
    } catch (const mimic::Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(CommandLine, Defaults) {
    ParseOutcome outcome = parse({});
    EXPECT_EQ(outcome.config.ram_size, 128ull << 20);
    EXPECT_EQ(outcome.config.smp.cpus, 1u);
    EXPECT_EQ(outcome.config.machine.opts.get("type"), "pc");
    EXPECT_FALSE(outcome.exit_now);
}

TEST(CommandLine, SeedCommandLine) {
    ParseOutcome outcome =
        parse({"-m", "2048", "-smp", "4", "-hda", "ubuntu-server.qcow2", "-cdrom", "x.iso",
               "-enable-kvm", "-boot", "cdn", "-netdev", "user,id=network-ubuntubase", "-device",
               "e1000,netdev=network-ubuntubase,mac=52:54:e4:99:78:31", "-monitor",
               "telnet:127.0.0.1:9999,server,nowait"});
    const auto& config = outcome.config;
    EXPECT_EQ(config.ram_size, 2048ull << 20);
    EXPECT_EQ(config.smp.cpus, 4u);
    ASSERT_EQ(config.drives.size(), 2u);
    EXPECT_EQ(config.drives[0].opts.get("file"), "ubuntu-server.qcow2");
    EXPECT_EQ(config.drives[0].opts.get("index"), "0");
    EXPECT_EQ(config.drives[0].opts.get("media"), "disk");
    EXPECT_EQ(config.drives[1].opts.get("media"), "cdrom");
    EXPECT_EQ(config.drives[1].opts.get("index"), "2");
    ASSERT_EQ(config.accels.size(), 1u);
    EXPECT_EQ(config.accels[0].opts.get("accel"), "kvm");
    EXPECT_EQ(config.boot.opts.get("order"), "cdn");
    ASSERT_EQ(config.netdevs.size(), 1u);
    EXPECT_EQ(config.netdevs[0].opts.id(), "network-ubuntubase");
    ASSERT_EQ(config.devices.size(), 1u);
    EXPECT_EQ(config.devices[0].opts.get("mac"), "52:54:e4:99:78:31");
    EXPECT_EQ(config.devices[0].location,
              "-device e1000,netdev=network-ubuntubase,mac=52:54:e4:99:78:31");
    ASSERT_EQ(config.monitors.size(), 1u);
    EXPECT_EQ(config.monitors[0].opts.get("spec"), "telnet:127.0.0.1:9999,server,nowait");
}

TEST(CommandLine, MemorySizes) {
    EXPECT_EQ(parse({"-m", "2G"}).config.ram_size, 2ull << 30);
    EXPECT_EQ(parse({"-m", "size=512M"}).config.ram_size, 512ull << 20);
    EXPECT_EQ(parse({"-m", "1.5G"}).config.ram_size, 3ull << 29);
    EXPECT_EQ(parse({"-m", "0"}).config.ram_size, 128ull << 20);
    EXPECT_EQ(parse({"-m", "1000k"}).config.ram_size, 1024000u);  // already 8 KiB aligned
    EXPECT_EQ(parse({"-m", "1001k"}).config.ram_size, 1032192u);  // rounded up to 8 KiB
    EXPECT_EQ(parse({"-m", "1G", "-m", "2G"}).config.ram_size, 2ull << 30);
}

TEST(CommandLine, DrivesWithEscapedCommas) {
    auto config = parse({"-drive", "file=a,,b.img,if=ide,format=raw"}).config;
    ASSERT_EQ(config.drives.size(), 1u);
    EXPECT_EQ(config.drives[0].opts.get("file"), "a,b.img");
    EXPECT_EQ(config.drives[0].opts.get("format"), "raw");
    // Shorthand options escape the file name themselves.
    config = parse({"-hdb", "odd,name.img"}).config;
    EXPECT_EQ(config.drives[0].opts.get("file"), "odd,name.img");
    EXPECT_EQ(config.drives[0].opts.get("index"), "1");
}

TEST(CommandLine, BareArgumentIsFirstDisk) {
    auto config = parse({"disk.img"}).config;
    ASSERT_EQ(config.drives.size(), 1u);
    EXPECT_EQ(config.drives[0].opts.get("file"), "disk.img");
    EXPECT_EQ(config.drives[0].opts.get("index"), "0");
}

TEST(CommandLine, DoubleDashSpelling) {
    EXPECT_EQ(parse({"--m", "256"}).config.ram_size, 256ull << 20);
}

TEST(CommandLine, FlagsAndStrings) {
    auto config = parse({"-nographic", "-no-reboot", "-no-shutdown", "-S", "-s", "-snapshot",
                         "-daemonize", "-pidfile", "/tmp/p", "-name", "vm1", "-kernel", "bz",
                         "-initrd", "rd", "-append", "console=ttyS0 quiet", "-L", "/fw", "-bios",
                         "b.bin", "-d", "in_asm,int", "-D", "/tmp/log", "-qtest",
                         "unix:/tmp/q", "-rtc", "base=utc,clock=vm", "-vga", "std"})
                      .config;
    EXPECT_TRUE(config.nographic);
    EXPECT_TRUE(config.no_reboot);
    EXPECT_TRUE(config.no_shutdown);
    EXPECT_TRUE(config.start_paused);
    EXPECT_EQ(config.gdb, "tcp::1234");
    EXPECT_TRUE(config.snapshot);
    EXPECT_TRUE(config.daemonize);
    EXPECT_EQ(config.pidfile, "/tmp/p");
    EXPECT_EQ(config.name, "vm1");
    EXPECT_EQ(config.append, "console=ttyS0 quiet");
    EXPECT_EQ(config.firmware_dirs, std::vector<std::string>{"/fw"});
    EXPECT_EQ(config.bios, "b.bin");
    EXPECT_NE(config.log_mask, 0u);
    EXPECT_EQ(config.log_file, "/tmp/log");
    EXPECT_EQ(config.qtest, "unix:/tmp/q");
    EXPECT_EQ(config.rtc.opts.get("clock"), "vm");
    EXPECT_EQ(config.vga, "std");
}

TEST(CommandLine, Globals) {
    auto config = parse({"-global", "e1000.mac=52:54:00:00:00:01", "-global",
                         "driver=isa-serial,property=iobase,value=0x2f8"})
                      .config;
    ASSERT_EQ(config.globals.size(), 2u);
    EXPECT_EQ(config.globals[0].opts.get("driver"), "e1000");
    EXPECT_EQ(config.globals[0].opts.get("property"), "mac");
    EXPECT_EQ(config.globals[0].opts.get("value"), "52:54:00:00:00:01");
    EXPECT_EQ(config.globals[1].opts.get("property"), "iobase");
    EXPECT_EQ(error_of({"-global", "driver=x"}), "-global driver=x: Parameter 'property' is missing");
}

TEST(CommandLine, HelpRequests) {
    EXPECT_EQ(parse({"-machine", "help"}).help->topic, HelpRequest::Topic::kMachine);
    EXPECT_EQ(parse({"-M", "?"}).help->topic, HelpRequest::Topic::kMachine);
    EXPECT_EQ(parse({"-cpu", "help"}).help->topic, HelpRequest::Topic::kCpu);
    EXPECT_EQ(parse({"-device", "help"}).help->topic, HelpRequest::Topic::kDevice);
    auto outcome = parse({"-device", "e1000,help"});
    EXPECT_EQ(outcome.help->topic, HelpRequest::Topic::kDeviceProperties);
    EXPECT_EQ(outcome.help->subject, "e1000");
    EXPECT_EQ(parse({"-netdev", "help"}).help->topic, HelpRequest::Topic::kNetdev);
    EXPECT_EQ(parse({"-accel", "help"}).help->topic, HelpRequest::Topic::kAccel);
}

TEST(CommandLine, VersionAndHelpPrintAndExit) {
    std::string output;
    EXPECT_TRUE(parse({"-version"}, &output).exit_now);
    EXPECT_NE(output.find("Mimic emulator version"), std::string::npos);
    EXPECT_TRUE(parse({"-help"}, &output).exit_now);
    EXPECT_NE(output.find("usage: mimic-system-x86_64 [options] [disk_image]"), std::string::npos);
    EXPECT_NE(output.find("-hda file"), std::string::npos);
    EXPECT_TRUE(parse({"-d", "help"}, &output).exit_now);
    EXPECT_NE(output.find("in_asm"), std::string::npos);
}

TEST(CommandLine, ErrorsNameTheOption) {
    EXPECT_EQ(error_of({"-m", "foo"}),
              "-m foo: Parameter 'size' expects a non-negative number below 2^64\n"
              "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
              "and exabytes, respectively.");
    // QEMU reads -m as bytes first: a fraction needs a unit.
    EXPECT_EQ(error_of({"-m", "1.5"}).substr(0, 52), "-m 1.5: Parameter 'size' expects a non-negative numb");
    EXPECT_EQ(error_of({"-m", "16E"}), "-m 16E: Value '16E' is out of range for parameter 'size'");
    EXPECT_EQ(error_of({"-m", "17592186044416"}), "Parameter 'memory.size' expects size");
    EXPECT_EQ(error_of({"-machine", ","}), "-machine ,: Invalid parameter ''");
    EXPECT_EQ(error_of({"-machine", "pc,bogus"}), "-machine pc,bogus: Expected '=' after parameter 'bogus'");
    EXPECT_EQ(error_of({"-kernel", ""}), "could not open kernel file '': No such file or directory");
    EXPECT_EQ(error_of({"-m", "2G,bogus=1"}), "-m 2G,bogus=1: Invalid parameter 'bogus'");
    EXPECT_EQ(error_of({"-smp", "0"}),
              "-smp 0: Invalid CPU topology: CPU topology parameters must be greater than zero");
    EXPECT_EQ(error_of({"-bogus"}), "-bogus: invalid option");
    EXPECT_EQ(error_of({"-m"}), "-m: requires an argument");
    // QEMU 7.2's texts and order: the id first, then the type.
    EXPECT_EQ(error_of({"-netdev", "bogus"}), "-netdev bogus: Parameter 'id' is missing");
    EXPECT_EQ(error_of({"-netdev", "bogus,id=x"}), "-netdev bogus,id=x: Parameter 'type' does not accept value 'bogus'");
    EXPECT_EQ(error_of({"-net", "bogus"}), "-net bogus: Parameter 'type' does not accept value 'bogus'");
    EXPECT_EQ(error_of({"-netdev", "user"}), "-netdev user: Parameter 'id' is missing");
    EXPECT_EQ(error_of({"-netdev", "user,id=a", "-netdev", "user,id=a"}),
              "-netdev user,id=a: Duplicate ID 'a' for netdev");
    EXPECT_EQ(error_of({"-chardev", "null"}), "-chardev null: chardev: no id specified");
    EXPECT_EQ(error_of({"-boot", "z"}), "-boot z: Invalid boot device 'z'");
    EXPECT_EQ(error_of({"-boot", "cc"}), "-boot cc: Boot device 'c' was given twice");
    EXPECT_EQ(error_of({"-boot", "e"}), "-boot e: Invalid boot device for PC: 'e'");
    EXPECT_EQ(error_of({"-boot", "menu=maybe"}),
              "-boot menu=maybe: Parameter 'menu' expects 'on' or 'off'");
    EXPECT_EQ(error_of({"-accel", "xyz"}), "-accel xyz: invalid accelerator xyz");
    EXPECT_EQ(error_of({"-vga", "bogus"}), "-vga bogus: unknown vga type: bogus");
    EXPECT_EQ(error_of({"-display", "bogus"}),
              "-display bogus: Parameter 'type' does not accept value 'bogus'");
    EXPECT_EQ(error_of({"-d", "bogus"}), "-d bogus: unknown logging item 'bogus' (see -d help)");
    EXPECT_EQ(error_of({"-uuid", "123"}), "-uuid 123: Fail to parse UUID string. Wrong format.");
    EXPECT_EQ(error_of({"-mon", "mode=control"}),
              "-mon mode=control: Parameter 'chardev' is missing");
    EXPECT_EQ(error_of({"-mon", "c0,mode=bogus"}),
              "-mon c0,mode=bogus: Parameter 'mode' does not accept value 'bogus'");
    EXPECT_EQ(error_of({"-device", "driver="}), "-device driver=: Parameter 'driver' is missing");
    EXPECT_EQ(error_of({"-rtc", "bogus=1"}), "-rtc bogus=1: Invalid parameter 'bogus'");
}

TEST(CommandLine, SmbiosTypes0And1) {
    ParseOutcome outcome = parse({"-smbios", "type=0,vendor=Acme,release=1.2,uefi=on", "-smbios",
                                  "type=1,product=Box,,Large,uuid=550e8400-e29b-41d4-a716-446655440000"});
    ASSERT_EQ(outcome.config.smbios.size(), 2u);
    EXPECT_EQ(outcome.config.smbios[0].opts.get("vendor"), "Acme");
    EXPECT_EQ(outcome.config.smbios[1].opts.get("product"), "Box,Large");
    // As QEMU: type 1's uuid is the machine's UUID.
    EXPECT_EQ(outcome.config.uuid, "550e8400-e29b-41d4-a716-446655440000");

    EXPECT_EQ(error_of({"-smbios", "vendor=x"}), "-smbios vendor=x: Must specify type= or file=");
    EXPECT_EQ(error_of({"-smbios", "type=0,bogus=1"}), "-smbios type=0,bogus=1: Invalid parameter 'bogus'");
    EXPECT_EQ(error_of({"-smbios", "type=1,vendor=x"}), "-smbios type=1,vendor=x: Invalid parameter 'vendor'");
    EXPECT_EQ(error_of({"-smbios", "type=0,release=x"}), "-smbios type=0,release=x: Invalid release");
    EXPECT_EQ(error_of({"-smbios", "type=1,uuid=123"}), "-smbios type=1,uuid=123: Invalid UUID");
    EXPECT_EQ(error_of({"-smbios", "type=2"}), "-smbios type=2: -smbios type=2 is not supported yet");
    EXPECT_EQ(error_of({"-smbios", "type=9"}),
              "-smbios type=9: Don't know how to build fields for SMBIOS type 9");
}

TEST(CommandLine, SandboxKeepsEachUseAndChecksOnlyTheKeys) {
    ParseOutcome outcome = parse({"-sandbox", "on,spawn=deny", "-sandbox", "off"});
    ASSERT_EQ(outcome.config.sandboxes.size(), 2u);
    EXPECT_EQ(outcome.config.sandboxes[0].location, "-sandbox on,spawn=deny");
    EXPECT_EQ(outcome.config.sandboxes[0].opts.get("enable"), "on");
    EXPECT_EQ(outcome.config.sandboxes[0].opts.get("spawn"), "deny");
    // The values of the sub-options are QEMU's business when the filter is
    // made, after the whole command line; keys and 'enable' are checked now.
    EXPECT_NO_THROW(parse({"-sandbox", "on,spawn=maybe"}));
    EXPECT_EQ(error_of({"-sandbox", "on,bogus=1"}), "-sandbox on,bogus=1: Invalid parameter 'bogus'");
    EXPECT_EQ(error_of({"-sandbox", "foo"}), "-sandbox foo: Parameter 'enable' expects 'on' or 'off'");
}
