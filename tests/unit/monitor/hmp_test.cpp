#include "monitor_fixture.h"

#include "mimic/main_loop/bottom_half.h"
#include "mimic/main_loop/bql.h"
#include "mimic/util/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace mimic::monitor;
using namespace mimic::monitor::testing;

namespace {

class HmpTest : public ::testing::Test, public MonitorTest {
protected:
    HmpTest() {
        for (size_t i = 0; i < memory.ram.size(); ++i) memory.ram[i] = static_cast<uint8_t>(i);
    }
    ~HmpTest() override {
        hub.providers().memory = nullptr;
        hub.providers().cpu = nullptr;
    }

    // Runs one line the way human-monitor-command does.
    std::string hmp(const std::string& line) { return hub.execute_hmp(line); }
    void with_providers() {
        hub.providers().memory = &memory;
        hub.providers().cpu = &cpu;
    }

    FakeMemory memory;
    FakeCpu cpu;
};

}  // namespace

TEST_F(HmpTest, BannerPromptEchoAndOutput) {
    std::string out;
    auto monitor = Monitor::create(hub, Monitor::Mode::kReadline, false, [&](std::string_view b) { out.append(b); });
    monitor->open();
    EXPECT_EQ(out, "Mimic 0.1.0 monitor - type 'help' for more information\r\n(qemu) ");
    out.clear();
    monitor->receive("info status\r");
    EXPECT_EQ(out, "info status\r\nVM status: paused (prelaunch)\r\n(qemu) ");
    out.clear();
    // A telnet client's "\r\n" is one Enter, and an empty line just prompts again.
    monitor->receive("\r\n");
    EXPECT_EQ(out, "\r\n(qemu) ");
}

TEST_F(HmpTest, RunStateCommands) {
    EXPECT_EQ(hmp("info status"), "VM status: paused (prelaunch)\n");
    EXPECT_EQ(hmp("c"), "");
    EXPECT_EQ(hmp("info status"), "VM status: running\n");
    EXPECT_EQ(hmp("stop"), "");
    EXPECT_EQ(hmp("info status"), "VM status: paused\n");
    EXPECT_EQ(hmp("cont"), "");
    EXPECT_TRUE(run.running());
    EXPECT_EQ(hmp("system_reset"), "");
    EXPECT_EQ(hmp("system_powerdown"), "");
    EXPECT_FALSE(run.process_requests());
    EXPECT_EQ(hmp("q"), "");
    EXPECT_TRUE(run.process_requests());
    EXPECT_EQ(run.last_shutdown_cause(), mimic::system::ShutdownCause::kHostQmpQuit);
}

TEST_F(HmpTest, InfoCommands) {
    EXPECT_EQ(hmp("info version"), "7.2.0 (mimic 0.1.0)\n");
    EXPECT_EQ(hmp("info name"), "");
    hub.set_name("guest");
    EXPECT_EQ(hmp("info name"), "guest\n");
    EXPECT_EQ(hmp("info uuid"), "00000000-0000-0000-0000-000000000000\n");
    EXPECT_EQ(hmp("info kvm"), "Error: query-kvm is not supported yet\n");
    struct Accel : AccelProvider {
        KvmInfo kvm() const override { return {true, true}; }
    } accel;
    hub.providers().accel = &accel;
    EXPECT_EQ(hmp("info kvm"), "kvm support: enabled\n");
    hub.providers().accel = nullptr;
    EXPECT_EQ(hmp("info foo"), "unknown command: 'info foo'\n");
    EXPECT_EQ(hmp("info network"), "Error: info network is not supported yet\n");
    EXPECT_NE(hmp("info commands").find("query-status\n"), std::string::npos);
    EXPECT_EQ(hmp("info registers"), "Error: info registers is not supported yet\n");
    with_providers();
    EXPECT_EQ(hmp("info registers"), "\nCPU#0\nRAX=0\n");
    EXPECT_EQ(hmp("info registers -a"), "\nCPU#0\nRAX=0\n\nCPU#1\nRAX=1\n");
    EXPECT_EQ(hmp("info cpus"), "* CPU #0: thread_id=100\n  CPU #1: thread_id=101\n");
    EXPECT_EQ(hmp("info mtree -f"), "FlatView #0\n");
}

TEST_F(HmpTest, InfoBlockLayout) {
    struct Block : BlockProvider {
        Json query_block() const override {
            return Json::parse(R"([
              {"device": "ide0-hd0", "removable": false, "locked": false,
               "inserted": {"file": "ubuntu1.qcow2", "drv": "qcow2", "ro": false, "encrypted": false,
                            "node-name": "#block121", "backing_file": "ubuntubase.qcow2", "backing_file_depth": 1,
                            "cache": {"writeback": true, "direct": false, "no-flush": false}, "detect_zeroes": "off"}},
              {"device": "ide1-cd0", "removable": true, "locked": false, "tray_open": false},
              {"device": "floppy0", "removable": true, "locked": false, "tray_open": true}])");
        }
        Json query_blockstats() const override {
            return Json::parse(R"([{"device": "ide0-hd0", "stats": {"rd_bytes": 512, "wr_bytes": 0}}])");
        }
    } block;
    hub.providers().block = &block;
    // The layout of seed 001's transcript.
    EXPECT_EQ(hmp("info block"),
              "ide0-hd0 (#block121): ubuntu1.qcow2 (qcow2)\n"
              "    Cache mode:       writeback\n"
              "    Backing file:     ubuntubase.qcow2 (chain depth: 1)\n"
              "\n"
              "ide1-cd0: [not inserted]\n"
              "    Removable device: not locked, tray closed\n"
              "\n"
              "floppy0: [not inserted]\n"
              "    Removable device: not locked, tray open\n");
    EXPECT_EQ(hmp("info block floppy0"), "floppy0: [not inserted]\n    Removable device: not locked, tray open\n");
    EXPECT_EQ(hmp("info blockstats"),
              "ide0-hd0: rd_bytes=512 wr_bytes=0 rd_operations=0 wr_operations=0 flush_operations=0 "
              "wr_total_time_ns=0 rd_total_time_ns=0 flush_total_time_ns=0 rd_merged=0 wr_merged=0 idle_time_ns=0\n");
    hub.providers().block = nullptr;
}

TEST_F(HmpTest, HelpFollowsTheTable) {
    std::string help = hmp("help");
    EXPECT_NE(help.find("c|cont  -- resume emulation\n"), std::string::npos);
    EXPECT_NE(help.find("x /fmt addr -- virtual memory dump starting at 'addr'\n"), std::string::npos);
    EXPECT_NE(help.find("q|quit  -- quit the emulator\n"), std::string::npos);
    EXPECT_LT(help.find("c|cont"), help.find("stop "));  // sorted
    EXPECT_EQ(hmp("help stop"), "stop  -- stop emulation\n");
    EXPECT_EQ(hmp("help cont"), "c|cont  -- resume emulation\n");
    EXPECT_EQ(hmp("help nothing"), "unknown command: 'nothing'\n");
    std::string info = hmp("info");
    EXPECT_NE(info.find("info status  -- show the current VM status (running|paused)\n"), std::string::npos);
    EXPECT_EQ(hmp("help info"), info);
    EXPECT_EQ(hmp("help info status"), "info status  -- show the current VM status (running|paused)\n");
    EXPECT_EQ(hmp("help info nothing"), "unknown command: 'info nothing'\n");
    // A command added by a subsystem shows up at once.
    hub.hmp().add_command({"boot_set", "bootdevice", "define new values for the boot device list", {}, {}});
    EXPECT_NE(hmp("help").find("boot_set bootdevice -- define"), std::string::npos);
}

TEST_F(HmpTest, ParseErrors) {
    EXPECT_EQ(hmp("nope"), "unknown command: 'nope'\n");
    EXPECT_EQ(hmp("stop now"), "stop: extraneous characters at the end of line\nTry \"help stop\" for more information\n");
    EXPECT_EQ(hmp("logfile"), "logfile: string expected\nTry \"help logfile\" for more information\n");
    EXPECT_EQ(hmp("logfile \"abc"), "unterminated string\nTry \"help logfile\" for more information\n");
    EXPECT_EQ(hmp("print"), "unexpected end of expression\nTry \"help print\" for more information\n");
    EXPECT_EQ(hmp("print 1 +"), "unexpected end of expression\nTry \"help print\" for more information\n");
    EXPECT_EQ(hmp("print (1"), "')' expected\nTry \"help print\" for more information\n");
    EXPECT_EQ(hmp("print $eax"), "no cpu defined\nTry \"help print\" for more information\n");
    EXPECT_EQ(hmp("x/4q 0"), "invalid char in format: 'q'\nTry \"help x\" for more information\n");
    EXPECT_EQ(hmp("info registers -z"), "registers: unsupported option -z\nTry \"help info registers\" for more information\n");
    EXPECT_EQ(hmp(""), "");
    EXPECT_EQ(hmp("   "), "");
}

// The evaluator's own limits: 64-bit signed division that does not fit,
// and nesting deep enough to exhaust the host stack, are errors like
// division by zero; the monitor answers the next line as usual.
TEST_F(HmpTest, ExpressionLimits) {
    const std::string try_help = "Try \"help p\" for more information\n";
    EXPECT_EQ(hmp("p 7 % 0"), "division by zero\n" + try_help);
    EXPECT_EQ(hmp("p -9223372036854775808/-1"), "division overflow\n" + try_help);
    EXPECT_EQ(hmp("p -9223372036854775808%-1"), "division overflow\n" + try_help);
    EXPECT_EQ(hmp("p/d -9223372036854775807/-1"), "9223372036854775807\n");
    EXPECT_EQ(hmp("p/d -9223372036854775808/1"), "-9223372036854775808\n");
    std::string deep = std::string(100000, '(') + "1" + std::string(100000, ')');
    EXPECT_EQ(hmp("p " + deep), "expression too deeply nested\n" + try_help);
    EXPECT_EQ(hmp("p " + std::string(100000, '-') + "1"), "expression too deeply nested\n" + try_help);
    EXPECT_EQ(hmp("p " + std::string(100000, '~') + "1"), "expression too deeply nested\n" + try_help);
    // Nesting a person writes is fine.
    EXPECT_EQ(hmp("p/d " + std::string(64, '(') + "1" + std::string(64, ')') + " + --2"), "3\n");
    EXPECT_EQ(hmp("p 1"), "0x1\n");
}

TEST_F(HmpTest, PrintExpressions) {
    EXPECT_EQ(hmp("print 10"), "0xa\n");
    EXPECT_EQ(hmp("p/d 0x10 + 2 * 3"), "22\n");
    EXPECT_EQ(hmp("p/d (1 + 2) * 3"), "9\n");
    EXPECT_EQ(hmp("p/d 2 * 6 & 3"), "4\n");  // & binds tighter than *, as in QEMU
    EXPECT_EQ(hmp("p/d -5"), "-5\n");
    EXPECT_EQ(hmp("p/u -1"), "18446744073709551615\n");
    EXPECT_EQ(hmp("p/x ~0"), "0xffffffffffffffff\n");
    EXPECT_EQ(hmp("p/o 8"), "010\n");
    EXPECT_EQ(hmp("p/c 65"), "'A'\n");
    EXPECT_EQ(hmp("p/c 10"), "'\\n'\n");
    EXPECT_EQ(hmp("p/d 'a'"), "97\n");
    EXPECT_EQ(hmp("p/d 010"), "8\n");
    EXPECT_EQ(hmp("p/d 7 % 4 + 12 / 4"), "6\n");
    EXPECT_EQ(hmp("p/d 12 /4"), "3\n");
    EXPECT_EQ(hmp("p 1 / 0"), "division by zero\nTry \"help p\" for more information\n");
    with_providers();
    EXPECT_EQ(hmp("print $eax"), "0x1234\n");
    EXPECT_EQ(hmp("print $EAX + 1"), "0x1235\n");
    EXPECT_EQ(hmp("print $nope"), "unknown register\nTry \"help print\" for more information\n");
}

TEST_F(HmpTest, MemoryDumpFormats) {
    with_providers();
    EXPECT_EQ(hmp("xp/4xb 0x10"), "0000000000000010: 0x10 0x11 0x12 0x13\n");
    EXPECT_EQ(hmp("xp/2xw 0"), "0000000000000000: 0x03020100 0x07060504\n");
    EXPECT_EQ(hmp("xp/3xg 0"),
              "0000000000000000: 0x0706050403020100 0x0f0e0d0c0b0a0908\n"
              "0000000000000010: 0x1716151413121110\n");
    EXPECT_EQ(hmp("xp/10xb 0"),
              "0000000000000000: 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07\n"
              "0000000000000008: 0x08 0x09\n");
    EXPECT_EQ(hmp("xp/2dh 0x80"), "0000000000000080: 33152 33666\n");
    EXPECT_EQ(hmp("xp/2uh 0x2"), "0000000000000002:   770  1284\n");
    EXPECT_EQ(hmp("xp/2ob 8"), "0000000000000008: 010 011\n");
    EXPECT_EQ(hmp("xp/4cb 0x40"), "0000000000000040: '@' 'A' 'B' 'C'\n");
    // As QEMU: 'c' shows each byte of count * unit (a word by default).
    EXPECT_EQ(hmp("xp/2c 0x40"), "0000000000000040: '@' 'A' 'B' 'C' 'D' 'E' 'F' 'G'\n");
    // Virtual addresses go through the CPU's view; the unit size sticks.
    EXPECT_EQ(hmp("x/2x 0xffff800000000000"), "ffff800000000000: 0x03020100 0x07060504\n");
    EXPECT_EQ(hmp("x/2x 0x1000"), "0000000000001000: Cannot access memory\n");
    EXPECT_EQ(hmp("xp/2x 0x1ffc"), "0000000000001ffc: Cannot access memory\n");
    memory.ram[0x100] = 'h';
    memory.ram[0x101] = 'i';
    memory.ram[0x102] = 0;
    EXPECT_EQ(hmp("xp/s 0x100"), "0000000000000100: \"hi\"\n");
}

TEST_F(HmpTest, FormatDefaultsCarryOverInASession) {
    with_providers();
    std::string out;
    auto monitor = Monitor::create(hub, Monitor::Mode::kReadline, false, [&](std::string_view b) { out.append(b); });
    monitor->open();
    monitor->receive("xp/2xb 0\r");
    out.clear();
    monitor->receive("xp 0\r");
    // Without /FMT the last format and unit size (byte) apply.
    EXPECT_EQ(out, "xp 0\r\n0000000000000000: 0x00\r\n(qemu) ");
}

// x/xp of a large count never builds its text at once: a monitor writes
// it in pieces of about 64 KiB, one per turn of the main loop, and holds
// back what is typed meanwhile; human-monitor-command stops at 16 MiB.
TEST_F(HmpTest, LargeDumpsAreStreamedInPieces) {
    if (!mimic::bql_locked()) mimic::bql_lock();  // bottom halves run under it
    with_providers();
    memory.ram.assign(4 << 20, 0);
    std::vector<size_t> writes;
    std::string out;
    auto monitor = Monitor::create(hub, Monitor::Mode::kReadline, false, [&](std::string_view b) {
        writes.push_back(b.size());
        out.append(b);
    });
    monitor->open();
    out.clear();
    writes.clear();
    monitor->receive("xp/1000000xg 0\rinfo status\r");
    EXPECT_FALSE(monitor->accepting_input());
    EXPECT_EQ(out.find("VM status"), std::string::npos);
    int turns = 0;
    while (!monitor->accepting_input() && turns < 10000) {
        mimic::run_bottom_halves();
        ++turns;
    }
    EXPECT_GT(turns, 10);
    // 4 MiB of RAM at 16 bytes a line, then the end of memory.
    EXPECT_NE(out.find("00000000003ffff0: 0x0000000000000000 0x0000000000000000\r\n"
                       "0000000000400000: Cannot access memory\r\n(qemu) info status\r\nVM status: paused"),
              std::string::npos);
    for (size_t size : writes) EXPECT_LT(size, 80u * 1024);

    std::string reply = hmp("xp/100000000xb 0x100");
    EXPECT_LT(reply.size(), 17u << 20);
    EXPECT_NE(reply.find("\nError: output cut at 16 MiB, use a monitor for more\n"), std::string::npos);
    // A count beyond QEMU's int stops at the largest.
    EXPECT_EQ(hmp("xp/99999999999999999999xb 0x3ffff8"),
              "00000000003ffff8: 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00\n0000000000400000: Cannot access memory\n");
}

TEST_F(HmpTest, Disassembly) {
    with_providers();
    const uint8_t code[] = {0x55, 0x48, 0x89, 0xe5, 0xc3, 0x90};  // push rbp; mov rbp,rsp; ret; nop
    std::copy(std::begin(code), std::end(code), memory.ram.begin() + 0x100);
    std::string out = hmp("xp/3i 0x100");
    EXPECT_EQ(out,
              "0x00000100:  55                       pushq    %rbp\n"
              "0x00000101:  48 89 e5                 movq     %rsp, %rbp\n"
              "0x00000104:  c3                       retq     \n");
    EXPECT_EQ(hmp("x/1i $rip"), "0xffff800000000100:  55                       pushq    %rbp\n");
}

TEST_F(HmpTest, MemsaveAndLog) {
    with_providers();
    std::string path = ::testing::TempDir() + "/mimic-memsave.bin";
    EXPECT_EQ(hmp("memsave 0xffff800000000010 16 " + path), "");
    std::ifstream file(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    ASSERT_EQ(data.size(), 16u);
    EXPECT_EQ(data[0], 0x10);
    std::remove(path.c_str());
    EXPECT_EQ(hmp("pmemsave 0x1ff0 0x100 " + path), "Error: Invalid addr 0x0000000000001ff0/size 256 specified\n");
    std::remove(path.c_str());

    EXPECT_EQ(hmp("log int,guest_errors"), "");
    EXPECT_EQ(mimic::log::g_mask, mimic::log::kInt | mimic::log::kGuestErrors);
    EXPECT_EQ(hmp("log bogus"), "unknown logging item 'bogus' (see -d help)\n");
    EXPECT_EQ(hmp("log none"), "");
    EXPECT_EQ(mimic::log::g_mask, 0u);
    EXPECT_EQ(hmp("logfile /nonexistent/dir/log"),
              "could not open log file '/nonexistent/dir/log': No such file or directory\n");
}

TEST_F(HmpTest, CpuSelection) {
    with_providers();
    EXPECT_EQ(hmp("cpu 5"), "invalid CPU index\n");
    std::string out;
    auto monitor = Monitor::create(hub, Monitor::Mode::kReadline, false, [&](std::string_view b) { out.append(b); });
    monitor->receive("cpu 1\rinfo registers\r");
    EXPECT_NE(out.find("RAX=1\r\n"), std::string::npos);
}

TEST_F(HmpTest, PlaceholdersSayNotSupported) {
    EXPECT_EQ(hmp("eject -f ide1-cd0"), "Error: eject is not supported yet\n");
    EXPECT_EQ(hmp("device_add e1000,id=n1"), "Error: device_add is not supported yet\n");
    EXPECT_EQ(hmp("info pci"), "Error: info pci is not supported yet\n");
}

TEST_F(HmpTest, HistoryAndQuotedStrings) {
    std::string out;
    auto monitor = Monitor::create(hub, Monitor::Mode::kReadline, false, [&](std::string_view b) { out.append(b); });
    monitor->receive("info name\rstop\rinfo history\r");
    EXPECT_NE(out.find("0: 'info name'\r\n1: 'stop'\r\n2: 'info history'\r\n"), std::string::npos);
    EXPECT_EQ(hmp(R"(logfile "/nonexistent/a b")"),
              "could not open log file '/nonexistent/a b': No such file or directory\n");
}
