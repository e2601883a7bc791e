// The PIIX4 PM function's SMBus host controller (00:01.3) through the real
// binary, with the values QEMU 7.2's pc machine gives (checked against it
// with its HMP "i"/"o" commands; tests/device/smbus_peer_test.py repeats
// that comparison when QEMU is installed).
#include <gtest/gtest.h>

#include <cstdint>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr int kPiix4Pm = 0x0b;
constexpr uint16_t kBase = 0xb100;  // QEMU's power-on SMBBA

// Host registers.
constexpr uint16_t kStatus = 0, kControl = 2, kCommand = 3, kAddress = 4, kData0 = 5, kData1 = 6, kBlock = 7,
                   kAux = 0x0d;
// Control values: start with the protocol in bits 4:2.
constexpr uint8_t kQuick = 0x40, kByte = 0x44, kByteData = 0x48, kWordData = 0x4c, kBlockData = 0x54,
                  kI2cBlockRead = 0x58;
// Status bits.
constexpr uint8_t kBusy = 0x01, kIntr = 0x02, kDevErr = 0x04, kFailed = 0x10, kByteDone = 0x80;

uint32_t config_address(int reg) { return 0x80000000u | kPiix4Pm << 8 | static_cast<uint32_t>(reg & 0xfc); }

uint32_t cfg_readl(QtestClient& vm, int reg) {
    vm.outl(0xcf8, config_address(reg));
    return vm.inl(0xcfc);
}

void cfg_writel(QtestClient& vm, int reg, uint32_t value) {
    vm.outl(0xcf8, config_address(reg));
    vm.outl(0xcfc, value);
}

void cfg_writeb(QtestClient& vm, int reg, uint8_t value) {
    vm.outl(0xcf8, config_address(reg));
    vm.outb(static_cast<uint16_t>(0xcfc + (reg & 3)), value);
}

struct Smbus {
    QtestClient& vm;
    uint16_t base = kBase;

    uint8_t in(uint16_t reg) { return vm.inb(static_cast<uint16_t>(base + reg)); }
    void out(uint16_t reg, uint8_t value) { vm.outb(static_cast<uint16_t>(base + reg), value); }

    // Starts a transaction without interrupts: QEMU runs it on the first
    // status poll, which still reads busy; returns the second poll.
    uint8_t run(uint8_t address, uint8_t command, uint8_t control) {
        out(kAddress, address);
        out(kCommand, command);
        out(kControl, control);
        EXPECT_TRUE(in(kStatus) & kBusy);
        return in(kStatus);
    }
    void clear() { out(kStatus, 0xff); }
};

}  // namespace

TEST(Smbus, ConfigResetValuesAndWritable) {
    QtestClient vm({});
    EXPECT_EQ(cfg_readl(vm, 0x90), 0x0000b101u);  // SMBBA, I/O space bit set
    EXPECT_EQ(cfg_readl(vm, 0xd0), 0x00090000u);  // SMBHSTCFG 0x09: enabled
    cfg_writel(vm, 0x90, 0);
    EXPECT_EQ(cfg_readl(vm, 0x90), 0u);
    cfg_writel(vm, 0x90, 0xffffffff);
    EXPECT_EQ(cfg_readl(vm, 0x90), 0xffffffffu);  // no bit is read-only on QEMU
    cfg_writel(vm, 0xd0, 0xffffffff);
    EXPECT_EQ(cfg_readl(vm, 0xd0), 0xffffffffu);
}

TEST(Smbus, DecodedAtProgrammedBaseOnlyWhenEnabled) {
    QtestClient vm({});
    Smbus bus{vm};
    EXPECT_EQ(bus.in(kStatus), 0x00);
    EXPECT_EQ(bus.in(kControl), 0x00);
    EXPECT_EQ(bus.in(kAux), 0x02);  // 32-byte block buffer on, as QEMU's PIIX4
    EXPECT_EQ(bus.in(0x3f), 0x00);  // rest of the 64 bytes reads zero
    cfg_writeb(vm, 0xd2, 0x08);
    EXPECT_EQ(bus.in(kAux), 0xff);  // disabled: nothing decodes
    cfg_writeb(vm, 0xd2, 0x09);
    EXPECT_EQ(bus.in(kAux), 0x02);
    cfg_writel(vm, 0x90, 0xc07f);  // low six bits ignored: base 0xc040
    EXPECT_EQ(vm.inb(kBase + kAux), 0xff);
    EXPECT_EQ(vm.inb(0xc000 + kAux), 0xff);
    EXPECT_EQ(vm.inb(0xc040 + kAux), 0x02);
}

TEST(Smbus, SpdEepromsAnswerAndAbsentAddressesFail) {
    QtestClient vm({});
    Smbus bus{vm};
    // Eight EEPROMs, 0x50-0x57, with QEMU's empty (zero) SPD contents.
    for (uint8_t device = 0x50; device <= 0x57; ++device) {
        EXPECT_EQ(bus.run(static_cast<uint8_t>(device << 1), 0, kQuick), kIntr) << int(device);
        bus.clear();
        bus.out(kData0, 0x99);
        EXPECT_EQ(bus.run(static_cast<uint8_t>(device << 1 | 1), 0, kByteData), kIntr) << int(device);
        EXPECT_EQ(bus.in(kData0), 0x00) << int(device);
        bus.clear();
    }
    EXPECT_EQ(bus.in(kStatus), 0x00);
    for (uint8_t device : {0x58, 0x60, 0x2f}) {
        EXPECT_EQ(bus.run(static_cast<uint8_t>(device << 1 | 1), 0, kByteData), kDevErr) << int(device);
        EXPECT_EQ(bus.in(kStatus), kDevErr);  // sticks until written back
        bus.clear();
    }
    // A device error still pending fails the next transaction unrun.
    bus.run(0xc0, 0, kQuick);
    bus.out(kAddress, 0xa0);
    bus.out(kControl, kQuick);
    EXPECT_EQ(bus.in(kStatus), kBusy | kDevErr);
    EXPECT_EQ(bus.in(kStatus), kDevErr);
    bus.clear();
    // The general call (address 0) is acknowledged by the EEPROMs.
    EXPECT_EQ(bus.run(0x00, 0, kQuick), kIntr);
    bus.clear();
    // Process call (4) and the reserved protocol 7 are not supported.
    EXPECT_EQ(bus.run(0xa1, 0, 0x50), kDevErr);
    bus.clear();
    EXPECT_EQ(bus.run(0xa1, 0, 0x5c), kDevErr);
    bus.clear();
    EXPECT_EQ(bus.in(kStatus), 0x00);
}

TEST(Smbus, EepromWritesReadBackUntilReset) {
    QtestClient vm({});
    Smbus bus{vm};
    bus.out(kData0, 0x5a);
    EXPECT_EQ(bus.run(0xa0, 0x05, kByteData), kIntr);  // write byte data
    bus.clear();
    EXPECT_EQ(bus.run(0xa1, 0x05, kByteData), kIntr);
    EXPECT_EQ(bus.in(kData0), 0x5a);
    bus.clear();
    // Receive byte continues after the last address read.
    EXPECT_EQ(bus.run(0xa1, 0, kByte), kIntr);
    EXPECT_EQ(bus.in(kData0), 0x00);
    bus.clear();
    bus.out(kData0, 0xef);
    bus.out(kData1, 0xbe);
    EXPECT_EQ(bus.run(0xa0, 0x20, kWordData), kIntr);
    bus.clear();
    EXPECT_EQ(bus.run(0xa1, 0x20, kWordData), kIntr);
    EXPECT_EQ(bus.in(kData0), 0xef);
    EXPECT_EQ(bus.in(kData1), 0xbe);
    bus.clear();
    // Send byte sets the address that receive byte then reads from.
    EXPECT_EQ(bus.run(0xa0, 0x21, kByte), kIntr);
    bus.clear();
    EXPECT_EQ(bus.run(0xa1, 0, kByte), kIntr);
    EXPECT_EQ(bus.in(kData0), 0xbe);
    bus.clear();

    // A system reset restores the EEPROM but, as on QEMU, neither the
    // host's registers nor the PCI configuration.
    cfg_writel(vm, 0x90, 0xc001);
    bus.base = 0xc000;
    bus.out(kCommand, 0x77);
    vm.outb(0xcf9, 0x06);
    EXPECT_EQ(cfg_readl(vm, 0x90), 0x0000c001u);
    EXPECT_EQ(bus.in(kCommand), 0x77);
    EXPECT_EQ(bus.run(0xa1, 0x05, kByteData), kIntr);
    EXPECT_EQ(bus.in(kData0), 0x00);
}

TEST(Smbus, BlockTransfersThroughTheBuffer) {
    QtestClient vm({});
    Smbus bus{vm};
    // Block write: command, count, then the bytes from the buffer.
    bus.out(kData0, 4);
    for (uint8_t value : {0x03, 0x11, 0x22, 0x33}) bus.out(kBlock, value);
    EXPECT_EQ(bus.run(0xa0, 0x10, kBlockData), kIntr);
    bus.clear();
    // Block read: the first byte read is the count.
    EXPECT_EQ(bus.run(0xa1, 0x10, kBlockData), kIntr);
    EXPECT_EQ(bus.in(kData0), 4);
    for (uint8_t value : {0x03, 0x11, 0x22, 0x33}) EXPECT_EQ(bus.in(kBlock), value);
    EXPECT_EQ(bus.in(kControl), kBlockData & 0x1f);  // start reads back clear
    bus.clear();
    // A count over 32 reads nothing.
    bus.out(kData0, 0x21);
    EXPECT_EQ(bus.run(0xa0, 0x60, kByteData), kIntr);
    bus.clear();
    EXPECT_EQ(bus.run(0xa1, 0x60, kBlockData), kIntr);
    EXPECT_EQ(bus.in(kData0), 0);
    bus.clear();
    // A block write whose buffer holds fewer bytes than the count fails.
    bus.out(kData0, 3);
    bus.out(kBlock, 0x01);
    EXPECT_EQ(bus.run(0xa0, 0x70, kBlockData), kDevErr);
    bus.clear();

    // I2C block read: offset in data 1, one byte per "byte done" until the
    // guest marks the last one.
    bus.out(kData1, 0x11);
    EXPECT_EQ(bus.run(0xa0, 0, kI2cBlockRead), kBusy | kByteDone);
    EXPECT_EQ(bus.in(kBlock), 0x03);
    bus.out(kStatus, kByteDone);
    EXPECT_EQ(bus.in(kStatus), kBusy | kByteDone);
    EXPECT_EQ(bus.in(kBlock), 0x11);
    bus.out(kControl, 0x20);  // last byte
    bus.out(kStatus, kByteDone);
    EXPECT_EQ(bus.in(kStatus), kIntr);
    bus.clear();

    // Byte-at-a-time block write with the buffer off.
    bus.out(kAux, 0);
    EXPECT_EQ(bus.in(kAux), 0);
    bus.out(kData0, 2);
    bus.out(kBlock, 0x44);
    EXPECT_EQ(bus.run(0xa0, 0x40, kBlockData), kBusy | kByteDone);
    bus.out(kBlock, 0x55);
    bus.out(kStatus, kByteDone);
    EXPECT_EQ(bus.in(kStatus), kBusy | kByteDone);
    bus.out(kStatus, kByteDone);
    EXPECT_EQ(bus.in(kStatus), kIntr);
    bus.clear();
    bus.out(kAux, 2);
    EXPECT_EQ(bus.run(0xa1, 0x40, kBlockData), kIntr);
    EXPECT_EQ(bus.in(kData0), 2);
    EXPECT_EQ(bus.in(kBlock), 0x44);
    EXPECT_EQ(bus.in(kBlock), 0x55);
}

TEST(Smbus, InterruptEnableRunsAtOnceAndKillFails) {
    QtestClient vm({});
    Smbus bus{vm};
    bus.out(kAddress, 0xa1);
    bus.out(kControl, kQuick | 0x01);
    EXPECT_EQ(bus.in(kStatus), kIntr);  // never seen busy
    bus.clear();
    bus.out(kControl, 0x02);  // kill
    EXPECT_EQ(bus.in(kStatus), kFailed);
    EXPECT_EQ(bus.in(kControl), 0x02);
    // Wider accesses come apart into the byte registers.
    EXPECT_EQ(vm.inw(kBase + kAddress), 0x00a1);
}
