// The i8042 keyboard controller through the real binary: controller
// commands, the keyboard's reset reply on IRQ1, A20 through the output port
// and the reset pulse (a guest reset through the run control; -no-reboot
// turns it into an exit).
#include <gtest/gtest.h>

#include <thread>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

uint8_t read_output(QtestClient& vm) {
    EXPECT_EQ(vm.inb(0x64) & 0x01, 0x01) << "output buffer empty";
    return vm.inb(0x60);
}

}  // namespace

TEST(I8042, SelfTestAndInterfaceTests) {
    QtestClient vm({});
    EXPECT_EQ(vm.inb(0x64) & 0x01, 0x00);
    vm.outb(0x64, 0xaa);
    EXPECT_EQ(read_output(vm), 0x55);
    EXPECT_EQ(vm.inb(0x64) & 0x05, 0x04);  // system flag set, buffer empty
    vm.outb(0x64, 0xab);
    EXPECT_EQ(read_output(vm), 0x00);
    vm.outb(0x64, 0xa9);
    EXPECT_EQ(read_output(vm), 0x00);
}

TEST(I8042, CommandByteReadsBackWhatWasWritten) {
    QtestClient vm({});
    vm.outb(0x64, 0x20);
    EXPECT_EQ(read_output(vm), 0x03);
    vm.outb(0x64, 0x60);
    vm.outb(0x60, 0x65);
    vm.outb(0x64, 0x20);
    EXPECT_EQ(read_output(vm), 0x65);
    vm.outb(0x64, 0xa8);  // enable the mouse port clears bit 5
    vm.outb(0x64, 0x20);
    EXPECT_EQ(read_output(vm), 0x45);
}

TEST(I8042, KeyboardResetRepliesOnIrq1) {
    QtestClient vm({});
    vm.irq_intercept_in("pic");
    vm.outb(0x60, 0xff);
    EXPECT_TRUE(vm.irq_level(1));
    EXPECT_EQ(read_output(vm), 0xfa);
    EXPECT_TRUE(vm.irq_level(1));  // the next byte follows at once
    EXPECT_EQ(read_output(vm), 0xaa);
    EXPECT_FALSE(vm.irq_level(1));
    // Identify: MF2 keyboard, 0x83 untranslated.
    vm.outb(0x60, 0xf2);
    EXPECT_EQ(read_output(vm), 0xfa);
    EXPECT_EQ(read_output(vm), 0xab);
    EXPECT_EQ(read_output(vm), 0x83);
    vm.outb(0x60, 0xee);
    EXPECT_EQ(read_output(vm), 0xee);
}

TEST(I8042, MouseCommandsReplyOnIrq12) {
    QtestClient vm({});
    vm.irq_intercept_in("pic");
    vm.outb(0x64, 0xd4);
    vm.outb(0x60, 0xff);
    EXPECT_TRUE(vm.irq_level(12));
    EXPECT_EQ(vm.inb(0x64) & 0x21, 0x21);
    EXPECT_EQ(read_output(vm), 0xfa);
    EXPECT_EQ(read_output(vm), 0xaa);
    EXPECT_EQ(read_output(vm), 0x00);
    vm.outb(0x64, 0xd4);
    vm.outb(0x60, 0xe9);  // status request
    EXPECT_EQ(read_output(vm), 0xfa);
    EXPECT_EQ(read_output(vm), 0x00);
    EXPECT_EQ(read_output(vm), 0x02);
    EXPECT_EQ(read_output(vm), 100);
}

TEST(I8042, A20ThroughTheOutputPort) {
    QtestClient vm({});
    vm.outb(0x64, 0xd0);
    EXPECT_EQ(read_output(vm) & 0x03, 0x03);
    vm.outb(0x64, 0xd1);
    vm.outb(0x60, 0xdd);  // A20 off, reset line high
    vm.outb(0x64, 0xd0);
    EXPECT_EQ(read_output(vm) & 0x03, 0x01);
    vm.outb(0x64, 0xdf);  // enable A20 (the HP command)
    vm.outb(0x64, 0xd0);
    EXPECT_EQ(read_output(vm) & 0x03, 0x03);
    // Port 92h gates A20 too.
    vm.outb(0x92, 0x02);
    EXPECT_EQ(vm.inb(0x92), 0x02);
}

TEST(I8042, PulseFeResetsTheMachine) {
    QtestClient vm({});
    vm.outb(0x64, 0x60);
    vm.outb(0x60, 0x65);
    vm.outb(0x64, 0xfe);
    // The reset is carried out by the main loop; every device returns to its
    // power-on state, the controller's command byte included.
    uint8_t mode = 0;
    for (int i = 0; i < 100; ++i) {
        vm.outb(0x64, 0x20);
        mode = read_output(vm);
        if (mode == 0x03) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(mode, 0x03);
}

namespace {

// With -no-reboot a guest reset ends the process: the qtest link drops.
bool exits_soon(QtestClient& vm, uint16_t port) {
    for (int i = 0; i < 200; ++i) {
        try {
            vm.inb(port);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } catch (const mimic::test::QtestError&) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST(I8042, PulseFeWithNoRebootEndsTheProcess) {
    QtestClient vm({"-no-reboot"});
    vm.outb(0x64, 0xfe);
    EXPECT_TRUE(exits_soon(vm, 0x64));
}

TEST(I8042, Port92Bit0ResetsTheMachine) {
    QtestClient vm({"-no-reboot"});
    vm.outb(0x92, 0x01);
    EXPECT_TRUE(exits_soon(vm, 0x92));
}

// Replies a guest never reads stay bounded, as on QEMU: the controller
// keeps one pending reply behind its output buffer (a newer one replaces
// it), a PS/2 device at most 256 bytes.
TEST(I8042, UnreadControllerRepliesKeepOnlyTheLatest) {
    QtestClient vm({});
    for (int i = 1; i <= 300; ++i) {
        vm.outb(0x64, 0xd2);  // write keyboard output buffer: a reply of our choosing
        vm.outb(0x60, static_cast<uint8_t>(i));
    }
    EXPECT_EQ(read_output(vm), 1);
    EXPECT_EQ(read_output(vm), static_cast<uint8_t>(300));
    EXPECT_EQ(vm.inb(0x64) & 0x01, 0x00);
}

TEST(I8042, UnreadDeviceRepliesAreBounded) {
    QtestClient vm({});
    for (int i = 0; i < 1000; ++i) vm.outb(0x60, 0xee);  // echo
    int replies = 0;
    while ((vm.inb(0x64) & 0x01) && replies < 2000) {
        EXPECT_EQ(vm.inb(0x60), 0xee);
        ++replies;
    }
    EXPECT_EQ(replies, 1 + 256);  // the output buffer and the device's queue
}
