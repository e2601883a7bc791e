// The i8259 pair through the real binary: inputs driven with set_irq_in on
// /machine/pic (the 16 ISA lines), state read through the guest ports.
#include <gtest/gtest.h>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

void init_pics(QtestClient& vm) {
    vm.outb(0x20, 0x11);  // ICW1: edge, cascade, ICW4
    vm.outb(0x21, 0x08);
    vm.outb(0x21, 0x04);
    vm.outb(0x21, 0x01);
    vm.outb(0xa0, 0x11);
    vm.outb(0xa1, 0x70);
    vm.outb(0xa1, 0x02);
    vm.outb(0xa1, 0x01);
    vm.outb(0x21, 0x00);
    vm.outb(0xa1, 0x00);
}

void set_irq(QtestClient& vm, int irq, int level) {
    vm.command("set_irq_in pic unnamed-gpio-in " + std::to_string(irq) + " " + std::to_string(level));
}

uint8_t poll(QtestClient& vm, uint16_t port) {
    vm.outb(port, 0x0c);  // OCW3: poll
    return vm.inb(port);
}

uint8_t read_irr(QtestClient& vm, uint16_t port) {
    vm.outb(port, 0x0a);
    return vm.inb(port);
}

uint8_t read_isr(QtestClient& vm, uint16_t port) {
    vm.outb(port, 0x0b);
    return vm.inb(port);
}

}  // namespace

TEST(I8259, RequestsAreServedByPriorityUntilEoi) {
    QtestClient vm({});
    init_pics(vm);
    set_irq(vm, 5, 1);
    set_irq(vm, 3, 1);
    EXPECT_EQ(read_irr(vm, 0x20), 0x28);
    EXPECT_EQ(poll(vm, 0x20), 0x83);  // IRQ3 first
    EXPECT_EQ(read_isr(vm, 0x20), 0x08);
    EXPECT_EQ(poll(vm, 0x20), 0x00);  // IRQ5 waits behind IRQ3 in service
    vm.outb(0x20, 0x20);              // non-specific EOI
    EXPECT_EQ(read_isr(vm, 0x20), 0x00);
    EXPECT_EQ(poll(vm, 0x20), 0x85);
    vm.outb(0x20, 0x65);              // specific EOI for IRQ5
    EXPECT_EQ(read_isr(vm, 0x20), 0x00);
}

TEST(I8259, MaskedInputsDoNotInterrupt) {
    QtestClient vm({});
    init_pics(vm);
    vm.outb(0x21, 0x10);
    EXPECT_EQ(vm.inb(0x21), 0x10);
    set_irq(vm, 4, 1);
    EXPECT_EQ(read_irr(vm, 0x20), 0x10);
    EXPECT_EQ(poll(vm, 0x20), 0x00);
    vm.outb(0x21, 0x00);
    EXPECT_EQ(poll(vm, 0x20), 0x84);
}

TEST(I8259, RotationChangesTheHighestPriority) {
    QtestClient vm({});
    init_pics(vm);
    vm.outb(0x20, 0xc0 | 4);  // IRQ4 lowest, IRQ5 highest
    set_irq(vm, 3, 1);
    set_irq(vm, 6, 1);
    EXPECT_EQ(poll(vm, 0x20), 0x86);
    vm.outb(0x20, 0xa0);  // rotate on non-specific EOI: IRQ6 becomes lowest
    EXPECT_EQ(poll(vm, 0x20), 0x83);
}

TEST(I8259, EdgeAndLevelPerElcr) {
    QtestClient vm({});
    init_pics(vm);
    vm.outb(0x4d0, 0xff);
    EXPECT_EQ(vm.inb(0x4d0), 0xf8);  // IRQ0-2 are edge only
    vm.outb(0x4d1, 0xff);
    EXPECT_EQ(vm.inb(0x4d1), 0xde);
    vm.outb(0x4d0, 0x00);

    // Edge: one request per rising edge.
    set_irq(vm, 3, 1);
    EXPECT_EQ(poll(vm, 0x20), 0x83);
    vm.outb(0x20, 0x20);
    EXPECT_EQ(read_irr(vm, 0x20) & 0x08, 0);

    // Level: the request stays while the line is high.
    set_irq(vm, 3, 0);
    vm.outb(0x4d0, 0x08);
    set_irq(vm, 3, 1);
    EXPECT_EQ(poll(vm, 0x20), 0x83);
    vm.outb(0x20, 0x20);
    EXPECT_EQ(read_irr(vm, 0x20) & 0x08, 0x08);
    set_irq(vm, 3, 0);
    EXPECT_EQ(read_irr(vm, 0x20) & 0x08, 0);
}

TEST(I8259, SlaveCascadesThroughIrq2) {
    QtestClient vm({});
    init_pics(vm);
    set_irq(vm, 10, 1);
    EXPECT_EQ(read_irr(vm, 0xa0), 0x04);
    EXPECT_EQ(read_irr(vm, 0x20), 0x04);
    EXPECT_EQ(poll(vm, 0xa0), 0x82);
    // Once the slave's request is in service its INT output drops.
    vm.outb(0xa1, 0xff);
    EXPECT_EQ(read_isr(vm, 0xa0), 0x04);
}

TEST(I8259, SpecialMaskModeLetsLowerPrioritiesThrough) {
    QtestClient vm({});
    init_pics(vm);
    set_irq(vm, 1, 1);
    EXPECT_EQ(poll(vm, 0x20), 0x81);
    set_irq(vm, 6, 1);
    EXPECT_EQ(poll(vm, 0x20), 0x00);
    vm.outb(0x21, 0x02);  // mask the in-service IRQ1
    vm.outb(0x20, 0x68);  // OCW3: set special mask
    EXPECT_EQ(poll(vm, 0x20), 0x86);
}

TEST(I8259, AutoEoiLeavesNothingInService) {
    QtestClient vm({});
    vm.outb(0x20, 0x11);
    vm.outb(0x21, 0x08);
    vm.outb(0x21, 0x04);
    vm.outb(0x21, 0x03);  // ICW4: 8086 mode, auto-EOI
    vm.outb(0x21, 0x00);
    set_irq(vm, 2 + 5, 1);
    EXPECT_EQ(poll(vm, 0x20), 0x87);
    EXPECT_EQ(read_isr(vm, 0x20), 0x00);
}
