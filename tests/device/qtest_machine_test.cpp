// The qtest accelerator end to end: the real binary, a real socket, guest RAM
// and an I/O port device (isa-debugcon writing to a file chardev).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "qtest_client.h"

using mimic::test::QtestClient;
using mimic::test::QtestError;

namespace {

std::string temp_path(const std::string& name) {
    return (std::filesystem::path(testing::TempDir()) / name).string();
}

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace

TEST(QtestMachine, GuestRamReadsBackWhatWasWritten) {
    QtestClient vm({"-m", "64M"});
    vm.writel(0x1000, 0xdeadbeef);
    EXPECT_EQ(vm.readl(0x1000), 0xdeadbeefu);
    EXPECT_EQ(vm.readb(0x1000), 0xef);
    vm.writeq(0x3fff000, 0x0123456789abcdefull);  // near the top of 64 MiB
    EXPECT_EQ(vm.readq(0x3fff000), 0x0123456789abcdefull);
    vm.memwrite(0x2000, {1, 2, 3, 4, 5});
    EXPECT_EQ(vm.memread(0x2000, 5), (std::vector<uint8_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(vm.quit(), 0);
}

TEST(QtestMachine, UnassignedMemoryAndPortsReadAllOnes) {
    QtestClient vm({"-m", "32M"});
    EXPECT_EQ(vm.readl(0x80000000), 0xffffffffu);  // above RAM, below the BIOS
    EXPECT_EQ(vm.inb(0x3f8), 0xff);                // no device there yet
}

TEST(QtestMachine, BiosIsMappedBelow4GAndAt0xF0000) {
    QtestClient vm({"-m", "32M"});
    // SeaBIOS (or any BIOS image) ends with the reset vector: the last 16
    // bytes of the image appear at both 0xFFFFFFF0 and 0xFFFF0.
    EXPECT_EQ(vm.memread(0xfffffff0, 16), vm.memread(0xffff0, 16));
    // The first instruction at the reset vector is a far jump (EA) in SeaBIOS.
    EXPECT_EQ(vm.readb(0xfffffff0), 0xea);
}

TEST(QtestMachine, IoPortDeviceWritesToItsChardev) {
    std::string out = temp_path("debugcon.out");
    std::filesystem::remove(out);
    QtestClient vm({"-chardev", "file,id=dc,path=" + out, "-device",
                    "isa-debugcon,chardev=dc,iobase=0x402,readback=0x5a"});
    for (char c : std::string("hello\n")) vm.outb(0x402, static_cast<uint8_t>(c));
    EXPECT_EQ(vm.inb(0x402), 0x5a);
    EXPECT_EQ(vm.quit(), 0);
    EXPECT_EQ(read_file(out), "hello\n");
}

TEST(QtestMachine, DebugconOptionCreatesPortE9) {
    std::string out = temp_path("debugcon-e9.out");
    std::filesystem::remove(out);
    QtestClient vm({"-debugcon", "file:" + out});
    vm.outb(0xe9, 'X');
    EXPECT_EQ(vm.inb(0xe9), 0xe9);
    vm.quit();
    EXPECT_EQ(read_file(out), "X");
}

TEST(QtestMachine, DebugExitEndsTheProcessWithItsStatus) {
    QtestClient vm({"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"});
    EXPECT_THROW(vm.outb(0xf4, 0x10), QtestError);  // the emulator is gone
    int status = 0;
    ASSERT_EQ(waitpid(vm.pid(), &status, 0), vm.pid());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), (0x10 << 1) | 1);
}

TEST(QtestMachine, VirtualClockMovesOnlyWhenStepped) {
    QtestClient vm({});
    int64_t start = vm.clock_step(0);
    EXPECT_EQ(vm.clock_step(1000000), start + 1000000);
    EXPECT_EQ(vm.clock_step(0), start + 1000000);
    EXPECT_EQ(vm.clock_set(start + 5000000), start + 5000000);
}

TEST(QtestMachine, BadRequestsAnswerFailAndTheSessionGoesOn) {
    QtestClient vm({});
    EXPECT_THROW(vm.command("bogus"), QtestError);
    EXPECT_THROW(vm.command("outb 0x80"), QtestError);
    vm.writeb(0x500, 7);
    EXPECT_EQ(vm.readb(0x500), 7);
}

TEST(QtestMachine, SigtermEndsCleanlyWithQemusMessage) {
    QtestClient vm({});
    EXPECT_EQ(vm.quit(), 0);
    EXPECT_NE(vm.stderr_text().find("mimic-system-x86_64: terminating on signal 15 from pid"),
              std::string::npos)
        << vm.stderr_text();
}

TEST(QtestMachine, ConfigurationErrorsReachTheTest) {
    try {
        QtestClient vm({"-device", "isa-debugcon,bogus=1"});
        FAIL() << "started";
    } catch (const QtestError& e) {
        EXPECT_NE(std::string(e.what()).find("Property 'isa-debugcon.bogus' not found"),
                  std::string::npos)
            << e.what();
    }
}
