// QEMU's "edu" device through the real binary, driven over qtest as a
// student's driver would: identification and liveness, the factorial unit
// (polled and with its interrupt), raise/acknowledge on INTx, DMA in both
// directions on the 100 ms virtual-clock schedule, MSI messages, access-size
// rules, dma_mask, and bad DMA commands that must be ignored, not fatal.
// The monitor's view (info pci, info qtree) is checked over QMP.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "qmp_test_client.h"
#include "qtest_client.h"

using mimic::test::QmpTestClient;
using mimic::test::QtestClient;

namespace {

constexpr int kSlot = 4;
constexpr int kDevfn = kSlot << 3;
constexpr uint64_t kBar = 0xfea00000;
constexpr int kIrq = 11;
constexpr int64_t kMs = 1'000'000;

// Registers.
constexpr uint64_t kId = kBar + 0x00, kLive = kBar + 0x04, kFact = kBar + 0x08,
                   kStatus = kBar + 0x20, kIrqStatus = kBar + 0x24, kRaise = kBar + 0x60,
                   kAck = kBar + 0x64, kDmaSrc = kBar + 0x80, kDmaDst = kBar + 0x88,
                   kDmaCount = kBar + 0x90, kDmaCmd = kBar + 0x98;
constexpr uint64_t kRun = 1, kToRam = 2, kDmaIrq = 4;
constexpr uint64_t kBuffer = 0x40000;

// Guest RAM used by the tests.
constexpr uint64_t kPattern = 0x100000, kOut = 0x200000, kMsiTarget = 0x300000;

void pci_write(QtestClient& vm, uint8_t offset, uint32_t value, unsigned size = 4) {
    vm.outl(0xcf8, 0x80000000u | (kDevfn << 8) | (offset & ~3u));
    uint16_t port = static_cast<uint16_t>(0xcfc + (offset & 3));
    if (size == 4) vm.outl(port, value);
    if (size == 2) vm.outw(port, static_cast<uint16_t>(value));
    if (size == 1) vm.outb(port, static_cast<uint8_t>(value));
}
uint32_t pci_read(QtestClient& vm, uint8_t offset) {
    vm.outl(0xcf8, 0x80000000u | (kDevfn << 8) | offset);
    return vm.inl(0xcfc);
}

std::vector<std::string> args(const std::string& extra = "") {
    return {"-nodefaults", "-m", "512", "-device", "edu,addr=" + std::to_string(kSlot) + extra};
}

// BAR0 mapped, memory decoding and bus mastering on, INTA routed to IRQ 11
// and watched at the PIC.
void enable(QtestClient& vm, uint16_t command = 0x0006) {
    pci_write(vm, 0x10, static_cast<uint32_t>(kBar));
    pci_write(vm, 0x04, command);
    int pirq = (kSlot - 1) & 3;
    vm.outl(0xcf8, 0x80000000u | (1 << 11) | 0x60);
    vm.outb(static_cast<uint16_t>(0xcfc + pirq), kIrq);
    vm.outb(0x4d1, static_cast<uint8_t>(vm.inb(0x4d1) | 1 << (kIrq - 8)));
    vm.irq_intercept_in("pic");
}

// The factorial unit runs after the write returns: poll, as drivers must.
bool wait_factorial(QtestClient& vm) {
    for (int i = 0; i < 1000; ++i) {
        if (!(vm.readl(kStatus) & 1)) return true;
        usleep(1000);
    }
    return false;
}

std::vector<uint8_t> pattern(size_t size, unsigned seed) {
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 13 + seed + i / 256);
    return data;
}

// Where the DMA timer armed now expires: QEMU arms it in whole
// milliseconds, 100 after the current one.
int64_t dma_deadline(QtestClient& vm) { return (vm.clock_step(0) / kMs + 100) * kMs; }

void start_dma(QtestClient& vm, uint64_t src, uint64_t dst, uint64_t count, uint64_t cmd) {
    vm.writeq(kDmaSrc, src);
    vm.writeq(kDmaDst, dst);
    vm.writeq(kDmaCount, count);
    vm.writeq(kDmaCmd, cmd);
}

TEST(Edu, ConfigSpaceIsQemus) {
    QtestClient vm(args());
    EXPECT_EQ(pci_read(vm, 0x00), 0x11e81234u);
    EXPECT_EQ(pci_read(vm, 0x08), 0x00ff0010u);  // class 00ff00, revision 0x10
    EXPECT_EQ(pci_read(vm, 0x2c), 0x11001af4u);
    EXPECT_EQ(pci_read(vm, 0x3c) >> 8 & 0xff, 1u);  // INTA
    EXPECT_TRUE(pci_read(vm, 0x04) >> 16 & 0x10);   // capability list
    EXPECT_EQ(pci_read(vm, 0x34) & 0xff, 0x40u);
    // MSI: one vector, 64-bit, no masking, the only capability.
    EXPECT_EQ(pci_read(vm, 0x40), 0x00800005u);
    // BAR0: 1 MiB of 32-bit memory.
    pci_write(vm, 0x10, 0xffffffff);
    EXPECT_EQ(pci_read(vm, 0x10), 0xfff00000u);
    EXPECT_EQ(pci_read(vm, 0x14), 0u);
}

TEST(Edu, IdentificationAndLiveness) {
    QtestClient vm(args());
    enable(vm);
    EXPECT_EQ(vm.readl(kId), 0x010000edu);
    vm.writel(kLive, 0x12345678);
    EXPECT_EQ(vm.readl(kLive), 0xedcba987u);
    vm.writel(kLive, 0);
    EXPECT_EQ(vm.readl(kLive), 0xffffffffu);
}

TEST(Edu, FactorialPolled) {
    QtestClient vm(args());
    enable(vm);
    struct Case {
        uint32_t n, result;
    } cases[] = {{0, 1},
                 {1, 1},
                 {5, 120},
                 {10, 3628800},
                 {12, 479001600},
                 {13, 1932053504},  // 13! modulo 2^32
                 {33, 2147483648u},
                 {34, 0},
                 {0xffffffff, 0}};
    for (const Case& c : cases) {
        vm.writel(kFact, c.n);
        ASSERT_TRUE(wait_factorial(vm)) << c.n;
        EXPECT_EQ(vm.readl(kFact), c.result) << c.n;
    }
    // Without status bit 0x80 no interrupt is raised.
    EXPECT_EQ(vm.readl(kIrqStatus), 0u);
    EXPECT_FALSE(vm.irq_level(kIrq));
}

TEST(Edu, FactorialRaisesInterruptWhenAsked) {
    QtestClient vm(args());
    enable(vm);
    vm.writel(kStatus, 0x80);
    EXPECT_EQ(vm.readl(kStatus), 0x80u);
    vm.writel(kStatus, 0x81);  // the computing bit is not the guest's
    EXPECT_EQ(vm.readl(kStatus), 0x80u);
    vm.writel(kFact, 6);
    ASSERT_TRUE(wait_factorial(vm));
    EXPECT_EQ(vm.readl(kFact), 720u);
    EXPECT_EQ(vm.readl(kIrqStatus), 0x1u);
    EXPECT_TRUE(vm.irq_level(kIrq));
    vm.writel(kAck, 0x1);
    EXPECT_EQ(vm.readl(kIrqStatus), 0u);
    EXPECT_FALSE(vm.irq_level(kIrq));
    // Clearing 0x80 stops the interrupts.
    vm.writel(kStatus, 0);
    vm.writel(kFact, 3);
    ASSERT_TRUE(wait_factorial(vm));
    EXPECT_EQ(vm.readl(kFact), 6u);
    EXPECT_EQ(vm.readl(kIrqStatus), 0u);
    EXPECT_FALSE(vm.irq_level(kIrq));
}

TEST(Edu, RaiseAndAcknowledgeDriveIntx) {
    QtestClient vm(args());
    enable(vm);
    EXPECT_FALSE(vm.irq_level(kIrq));
    vm.writel(kRaise, 0);  // nothing to raise
    EXPECT_FALSE(vm.irq_level(kIrq));
    vm.writel(kRaise, 0x10);
    EXPECT_EQ(vm.readl(kIrqStatus), 0x10u);
    EXPECT_TRUE(vm.irq_level(kIrq));
    EXPECT_TRUE(pci_read(vm, 0x04) >> 16 & 0x08);  // STATUS.interrupt
    vm.writel(kRaise, 0x4);
    EXPECT_EQ(vm.readl(kIrqStatus), 0x14u);
    vm.writel(kAck, 0x10);
    EXPECT_EQ(vm.readl(kIrqStatus), 0x4u);
    EXPECT_TRUE(vm.irq_level(kIrq));  // still a bit set
    vm.writel(kAck, 0x4);
    EXPECT_EQ(vm.readl(kIrqStatus), 0u);
    EXPECT_FALSE(vm.irq_level(kIrq));
    EXPECT_FALSE(pci_read(vm, 0x04) >> 16 & 0x08);
}

TEST(Edu, DmaBothWaysAfter100Ms) {
    QtestClient vm(args());
    enable(vm);
    std::vector<uint8_t> data = pattern(4096, 7);
    vm.memwrite(kPattern, data);

    // RAM -> buffer, all 4 KiB, with the completion interrupt.
    int64_t deadline = dma_deadline(vm);
    start_dma(vm, kPattern, kBuffer, 4096, kRun | kDmaIrq);
    EXPECT_EQ(vm.readq(kDmaCmd), kRun | kDmaIrq);
    // The parameters hold still while it runs; so does the command.
    vm.writeq(kDmaCount, 16);
    vm.writeq(kDmaCmd, kRun | kToRam);
    EXPECT_EQ(vm.readq(kDmaCount), 4096u);
    EXPECT_EQ(vm.readq(kDmaCmd), kRun | kDmaIrq);
    vm.clock_set(deadline - 1);
    EXPECT_EQ(vm.readq(kDmaCmd), kRun | kDmaIrq) << "done before 100 ms";
    EXPECT_EQ(vm.readl(kIrqStatus), 0u);
    EXPECT_FALSE(vm.irq_level(kIrq));
    vm.clock_set(deadline);
    EXPECT_EQ(vm.readq(kDmaCmd), kDmaIrq);
    EXPECT_EQ(vm.readl(kIrqStatus), 0x100u);
    EXPECT_TRUE(vm.irq_level(kIrq));
    vm.writel(kAck, 0x100);
    EXPECT_FALSE(vm.irq_level(kIrq));

    // Buffer -> RAM, a piece from the middle, no interrupt.
    deadline = dma_deadline(vm);
    start_dma(vm, kBuffer + 0x10, kOut, 0x100, kRun | kToRam);
    vm.clock_set(deadline - 1);
    EXPECT_EQ(vm.memread(kOut, 0x100), std::vector<uint8_t>(0x100, 0)) << "done before 100 ms";
    vm.clock_set(deadline);
    EXPECT_EQ(vm.readq(kDmaCmd) & kRun, 0u);
    EXPECT_EQ(vm.memread(kOut, 0x100),
              std::vector<uint8_t>(data.begin() + 0x10, data.begin() + 0x110));
    EXPECT_EQ(vm.readl(kOut + 0x100), 0u);
    EXPECT_EQ(vm.readl(kIrqStatus), 0u);
    EXPECT_FALSE(vm.irq_level(kIrq));

    // The last bytes of the buffer (a transfer ending at its end).
    deadline = dma_deadline(vm);
    start_dma(vm, kBuffer + 4096 - 8, kOut + 0x1000, 8, kRun | kToRam);
    vm.clock_set(deadline);
    EXPECT_EQ(vm.memread(kOut + 0x1000, 8), std::vector<uint8_t>(data.end() - 8, data.end()));
}

TEST(Edu, MsiMessagesInsteadOfIntx) {
    QtestClient vm(args());
    enable(vm);
    // Address in RAM, 64-bit form; data; enable.
    pci_write(vm, 0x44, static_cast<uint32_t>(kMsiTarget));
    pci_write(vm, 0x48, 0);
    pci_write(vm, 0x4c, 0xbeef, 2);
    pci_write(vm, 0x42, 0x0001, 2);
    EXPECT_EQ(pci_read(vm, 0x40), 0x00810005u);

    vm.writel(kRaise, 0x2);
    EXPECT_EQ(vm.readl(kMsiTarget), 0xbeefu);
    EXPECT_EQ(vm.readl(kIrqStatus), 0x2u);
    EXPECT_FALSE(vm.irq_level(kIrq));
    vm.writel(kAck, 0x2);

    // Completion of a DMA and of a factorial send the message too.
    vm.writel(kMsiTarget, 0);
    int64_t deadline = dma_deadline(vm);
    start_dma(vm, kPattern, kBuffer, 16, kRun | kDmaIrq);
    vm.clock_set(deadline - 1);
    EXPECT_EQ(vm.readl(kMsiTarget), 0u);
    vm.clock_set(deadline);
    EXPECT_EQ(vm.readl(kMsiTarget), 0xbeefu);
    vm.writel(kAck, 0x100);
    vm.writel(kMsiTarget, 0);
    vm.writel(kStatus, 0x80);
    vm.writel(kFact, 4);
    ASSERT_TRUE(wait_factorial(vm));
    EXPECT_EQ(vm.readl(kMsiTarget), 0xbeefu);
    EXPECT_FALSE(vm.irq_level(kIrq));
    vm.writel(kAck, 0x1);

    // No bus mastering, no message.
    pci_write(vm, 0x04, 0x0002);
    vm.writel(kMsiTarget, 0);
    vm.writel(kRaise, 0x2);
    EXPECT_EQ(vm.readl(kMsiTarget), 0u);
    EXPECT_FALSE(vm.irq_level(kIrq));
}

TEST(Edu, EnablingMsiDropsAnAssertedIntx) {
    QtestClient vm(args());
    enable(vm);
    vm.writel(kRaise, 0x8);
    EXPECT_TRUE(vm.irq_level(kIrq));
    pci_write(vm, 0x44, static_cast<uint32_t>(kMsiTarget));
    pci_write(vm, 0x42, 0x0001, 2);
    EXPECT_FALSE(vm.irq_level(kIrq));
}

TEST(Edu, MsiToTheApicSetsIrr) {
    QtestClient vm(args());
    enable(vm);
    vm.writel(0xfee000f0, 0x1ff);     // APIC software enable
    pci_write(vm, 0x44, 0xfee00000);  // fixed, physical, APIC 0
    pci_write(vm, 0x48, 0);
    pci_write(vm, 0x4c, 0x0055, 2);  // vector 0x55, edge
    pci_write(vm, 0x42, 0x0001, 2);
    uint64_t irr = 0xfee00200 + 0x10 * (0x55 / 32);
    EXPECT_EQ(vm.readl(irr) & (1u << (0x55 % 32)), 0u);
    vm.writel(kRaise, 0x1);
    EXPECT_NE(vm.readl(irr) & (1u << (0x55 % 32)), 0u);
}

TEST(Edu, AccessSizes) {
    QtestClient vm(args());
    enable(vm);
    // Below 0x80 only dwords: others read all ones and write nothing.
    EXPECT_EQ(vm.readb(kId), 0xffu);
    EXPECT_EQ(vm.readw(kId), 0xffffu);
    EXPECT_EQ(vm.readq(kId), ~uint64_t{0});
    vm.writel(kLive, 0x0f0f0f0f);
    vm.writeb(kLive, 0x12);
    vm.writew(kLive, 0x1234);
    vm.writeq(kId, 0x12340000'00005678ull);  // one 8-byte access at 0, spanning 0x04
    EXPECT_EQ(vm.readl(kLive), 0xf0f0f0f0u);
    vm.writeq(kRaise, 0x1);
    EXPECT_EQ(vm.readl(kIrqStatus), 0u);
    // Unaligned and unknown registers.
    EXPECT_EQ(vm.readl(kBar + 2), 0xffffffffu);
    EXPECT_EQ(vm.readl(kBar + 0x0c), 0xffffffffu);
    EXPECT_EQ(vm.readl(kBar + 0xffffc), 0xffffffffu);
    // From 0x80 dwords and qwords; a dword write sets the whole register.
    vm.writeq(kDmaSrc, 0x123456789abcdef0ull);
    EXPECT_EQ(vm.readq(kDmaSrc), 0x123456789abcdef0ull);
    EXPECT_EQ(vm.readl(kDmaSrc), 0x9abcdef0u);
    EXPECT_EQ(vm.readl(kDmaSrc + 4), 0xffffffffu);
    vm.writel(kDmaSrc, 0x11223344);
    EXPECT_EQ(vm.readq(kDmaSrc), 0x11223344u);
    vm.writew(kDmaSrc, 0x5566);
    vm.writeb(kDmaSrc, 0x77);
    EXPECT_EQ(vm.readq(kDmaSrc), 0x11223344u);
    EXPECT_EQ(vm.readw(kDmaSrc), 0xffffu);
    // A command without the start bit is not taken.
    vm.writeq(kDmaCmd, kDmaIrq);
    EXPECT_EQ(vm.readq(kDmaCmd), 0u);
}

// Reads 16 bytes of the DMA buffer at `offset` out to RAM.
std::vector<uint8_t> buffer_bytes(QtestClient& vm, uint64_t offset) {
    vm.writel(kOut, 0);
    int64_t deadline = dma_deadline(vm);
    start_dma(vm, kBuffer + offset, kOut, 16, kRun | kToRam);
    vm.clock_set(deadline);
    return vm.memread(kOut, 16);
}

TEST(Edu, BadDmaCommandsAreIgnored) {
    // 128 MiB of RAM: 0x0ff00000, inside dma_mask, decodes nothing.
    QtestClient vm({"-nodefaults", "-m", "128", "-d", "guest_errors", "-device",
                    "edu,addr=" + std::to_string(kSlot)});
    enable(vm);
    vm.memwrite(kPattern, pattern(4096, 3));
    std::vector<uint8_t> zeros(16, 0);
    struct Case {
        const char* what;
        uint64_t src, dst, count, cmd;
    } cases[] = {
        {"count over 4096", kPattern, kBuffer, 4097, kRun | kDmaIrq},
        {"huge count", kPattern, kBuffer, ~uint64_t{0}, kRun | kDmaIrq},
        {"below the buffer", kPattern, kBuffer - 1, 16, kRun | kDmaIrq},
        {"past the buffer's end", kPattern, kBuffer + 4096 - 8, 16, kRun | kDmaIrq},
        {"wrapping buffer range", kPattern, ~uint64_t{0} - 4, 16, kRun | kDmaIrq},
        {"buffer address 0", kPattern, 0, 16, kRun | kDmaIrq},
        {"RAM address outside dma_mask", uint64_t{1} << 28, kBuffer, 16, kRun | kDmaIrq},
        {"RAM range crossing dma_mask", (uint64_t{1} << 28) - 8, kBuffer, 16, kRun | kDmaIrq},
        {"RAM nothing decodes", 0x0ff00000, kBuffer, 16, kRun | kDmaIrq},
        {"to RAM outside dma_mask", kBuffer, ~uint64_t{0} - 4, 16, kRun | kToRam | kDmaIrq},
        {"to RAM past the buffer", kBuffer + 4095, kOut, 2, kRun | kToRam | kDmaIrq},
    };
    vm.limit_address_space(64 << 20);
    for (const Case& c : cases) {
        int64_t deadline = dma_deadline(vm);
        start_dma(vm, c.src, c.dst, c.count, c.cmd);
        vm.clock_set(deadline);
        EXPECT_EQ(vm.readq(kDmaCmd) & kRun, 0u) << c.what << ": the device must be usable again";
        EXPECT_EQ(vm.readl(kIrqStatus), 0u) << c.what;
        EXPECT_FALSE(vm.irq_level(kIrq)) << c.what;
        EXPECT_EQ(buffer_bytes(vm, 0), zeros) << c.what << ": the buffer changed";
        EXPECT_EQ(vm.readl(kId), 0x010000edu) << c.what;
    }
    EXPECT_NE(vm.stderr_text().find("outside the buffer"), std::string::npos) << vm.stderr_text();
    EXPECT_NE(vm.stderr_text().find("outside dma_mask"), std::string::npos) << vm.stderr_text();
    EXPECT_NE(vm.stderr_text().find("master abort"), std::string::npos) << vm.stderr_text();
    // The read that nothing answered is a master abort in STATUS.
    EXPECT_TRUE(pci_read(vm, 0x04) >> 16 & 0x2000);

    // Without bus mastering nothing moves either.
    pci_write(vm, 0x04, 0x0002);
    int64_t deadline = dma_deadline(vm);
    start_dma(vm, kPattern, kBuffer, 16, kRun | kDmaIrq);
    vm.clock_set(deadline);
    EXPECT_EQ(vm.readl(kIrqStatus), 0u);
    pci_write(vm, 0x04, 0x0006);
    EXPECT_EQ(buffer_bytes(vm, 0), zeros);
    // And a good command still works after all that.
    deadline = dma_deadline(vm);
    start_dma(vm, kPattern, kBuffer, 16, kRun | kDmaIrq);
    vm.clock_set(deadline);
    EXPECT_EQ(vm.readl(kIrqStatus), 0x100u);
    std::vector<uint8_t> expected = pattern(16, 3);
    EXPECT_EQ(buffer_bytes(vm, 0), expected);
}

TEST(Edu, DmaMaskProperty) {
    constexpr uint64_t kHigh = 0x10000000;  // RAM above the default 28-bit mask
    for (bool wide : {false, true}) {
        QtestClient vm(args(wide ? ",dma_mask=0xffffffff" : ""));
        enable(vm);
        vm.memwrite(kHigh, pattern(16, 9));
        int64_t deadline = dma_deadline(vm);
        start_dma(vm, kHigh, kBuffer, 16, kRun | kDmaIrq);
        vm.clock_set(deadline);
        EXPECT_EQ(vm.readl(kIrqStatus), wide ? 0x100u : 0u) << wide;
        EXPECT_EQ(buffer_bytes(vm, 0), wide ? pattern(16, 9) : std::vector<uint8_t>(16, 0)) << wide;
    }
}

TEST(Edu, ResetDisablesMsi) {
    QtestClient vm(args());
    enable(vm);
    pci_write(vm, 0x44, static_cast<uint32_t>(kMsiTarget));
    pci_write(vm, 0x42, 0x0001, 2);
    vm.outb(0xcf9, 0x06);  // PIIX hard reset
    EXPECT_EQ(pci_read(vm, 0x40), 0x00800005u);
    EXPECT_EQ(pci_read(vm, 0x44), 0u);
}

// The monitor shows it as QEMU 7.2 does.
TEST(Edu, MonitorViews) {
    std::string qmp_path = "/tmp/mimic-edu-" + std::to_string(getpid()) + ".qmp";
    std::vector<std::string> a = args(",id=e0");
    a.insert(a.end(), {"-qmp", "unix:" + qmp_path + ",server=on,wait=off"});
    QtestClient vm(a);
    QmpTestClient qmp(qmp_path);
    unlink(qmp_path.c_str());
    auto hmp = [&](const std::string& line) {
        std::string out = qmp.command("human-monitor-command", {{"command-line", line}})["return"];
        std::erase(out, '\r');  // the monitor's line ends are CRLF
        return out;
    };
    std::string pci = hmp("info pci");
    EXPECT_NE(pci.find("  Bus  0, device   4, function 0:\n"
                       "    Class 0255: PCI device 1234:11e8\n"
                       "      PCI subsystem 1af4:1100\n"
                       "      IRQ 0, pin A\n"
                       "      BAR0: 32 bit memory at 0xffffffffffffffff [0x000ffffe].\n"
                       "      id \"e0\"\n"),
              std::string::npos)
        << pci;
    std::string qtree = hmp("info qtree");
    EXPECT_NE(qtree.find("dev: edu, id \"e0\"\n"), std::string::npos) << qtree;
    EXPECT_NE(qtree.find("class Class 00ff, addr 00:04.0, pci id 1234:11e8 (sub 1af4:1100)\n"),
              std::string::npos)
        << qtree;
    EXPECT_EQ(qtree.find("dma_mask"), std::string::npos) << "a plain QOM property, not in qtree";
    EXPECT_EQ(qmp.command("qom-get",
                          {{"path", "/machine/peripheral/e0"}, {"property", "dma_mask"}})["return"],
              (1 << 28) - 1);
}

}  // namespace

// Unplugged in the middle of a DMA and a factorial: nothing of it may run
// afterwards.
TEST(Edu, HotUnplugWithWorkPending) {
    std::string qmp_path = "/tmp/mimic-edu-hp-" + std::to_string(getpid()) + ".qmp";
    QtestClient vm(
        {"-nodefaults", "-m", "512", "-qmp", "unix:" + qmp_path + ",server=on,wait=off"});
    QmpTestClient qmp(qmp_path);
    unlink(qmp_path.c_str());
    ASSERT_EQ(qmp.error_of("device_add", {{"driver", "edu"}, {"id", "hp"}, {"addr", "6"}}), "");
    constexpr uint32_t kConfig = 0x80000000u | (6 << 11);
    vm.outl(0xcf8, kConfig | 0x10);
    vm.outl(0xcfc, static_cast<uint32_t>(kBar));
    vm.outl(0xcf8, kConfig | 0x04);
    vm.outl(0xcfc, 0x0006);
    EXPECT_EQ(vm.readl(kId), 0x010000edu);
    vm.memwrite(kPattern, pattern(4096, 5));
    start_dma(vm, kPattern, kBuffer, 4096, kRun | kDmaIrq);
    vm.writel(kStatus, 0x80);
    vm.writel(kFact, 20);
    ASSERT_EQ(qmp.error_of("device_del", {{"id", "hp"}}), "");
    vm.outl(0xae08, 1u << 6);  // the guest ejects the slot
    qmp.wait_event("DEVICE_DELETED");
    vm.clock_step(200 * kMs);
    EXPECT_EQ(vm.readl(kId), 0xffffffffu);  // gone from the bus
    EXPECT_EQ(qmp.command("query-status")["return"]["status"], "running");
}
