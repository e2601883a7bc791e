// In-process: the PS/2 keyboard's scancodes (set 2, set 1, and the i8042's
// translation) and the mouse's packets, without the emulator binary.
#include <gtest/gtest.h>

#include <vector>

#include "ps2.h"

using mimic::hw::Ps2Keyboard;
using mimic::hw::Ps2Mouse;

namespace {

template <class Device>
std::vector<uint8_t> drain(Device& device) {
    std::vector<uint8_t> bytes;
    while (device.has_data()) bytes.push_back(device.pop());
    return bytes;
}

using Bytes = std::vector<uint8_t>;

}  // namespace

TEST(Ps2Keyboard, Set2MakeAndBreakCodes) {
    Ps2Keyboard kbd([] {});
    kbd.reset();
    EXPECT_TRUE(kbd.send_key("a", true));
    EXPECT_TRUE(kbd.send_key("a", false));
    EXPECT_EQ(drain(kbd), (Bytes{0x1c, 0xf0, 0x1c}));
    kbd.send_key("up", true);
    kbd.send_key("up", false);
    EXPECT_EQ(drain(kbd), (Bytes{0xe0, 0x75, 0xe0, 0xf0, 0x75}));
    EXPECT_FALSE(kbd.send_key("no_such_key", true));
}

TEST(Ps2Keyboard, ControllerTranslationGivesSet1) {
    Ps2Keyboard kbd([] {});
    kbd.reset();
    kbd.set_translation(true);
    kbd.send_key("a", true);
    kbd.send_key("a", false);
    kbd.send_key("f7", true);
    kbd.send_key("ctrl_r", false);
    EXPECT_EQ(drain(kbd), (Bytes{0x1e, 0x9e, 0x41, 0xe0, 0x9d}));
}

TEST(Ps2Keyboard, CommandsAndScancodeSet1) {
    Ps2Keyboard kbd([] {});
    kbd.reset();
    kbd.write(0xf0);
    kbd.write(0x01);
    EXPECT_EQ(drain(kbd), (Bytes{0xfa, 0xfa}));
    kbd.write(0xf0);
    kbd.write(0x00);
    EXPECT_EQ(drain(kbd), (Bytes{0xfa, 0xfa, 0x01}));
    kbd.send_key("esc", true);
    kbd.send_key("esc", false);
    EXPECT_EQ(drain(kbd), (Bytes{0x01, 0x81}));
    kbd.write(0xed);
    kbd.write(0x07);
    EXPECT_EQ(kbd.leds(), 0x07);
    kbd.write(0xf5);  // disabled: keys are dropped
    drain(kbd);
    kbd.send_key("a", true);
    EXPECT_FALSE(kbd.has_data());
    kbd.write(0xff);
    EXPECT_EQ(drain(kbd), (Bytes{0xfa, 0xaa}));
}

TEST(Ps2Mouse, StreamModePackets) {
    Ps2Mouse mouse([] {});
    mouse.reset();
    mouse.move(5, 5, 0, 0);  // not enabled yet
    EXPECT_FALSE(mouse.has_data());
    mouse.write(0xf4);
    EXPECT_EQ(drain(mouse), (Bytes{0xfa}));
    mouse.move(3, -2, 0, 0x01);
    EXPECT_EQ(drain(mouse), (Bytes{0x08 | 0x01 | 0x20, 3, 0xfe}));
    mouse.move(-400, 0, 0, 0x01);  // saturates at -256, the rest follows
    EXPECT_EQ(drain(mouse), (Bytes{0x08 | 0x01 | 0x10, 0x00, 0x00}));
}

TEST(Ps2Mouse, RemoteModeAndSettings) {
    Ps2Mouse mouse([] {});
    mouse.reset();
    mouse.write(0xf3);
    mouse.write(40);
    mouse.write(0xe8);
    mouse.write(3);
    mouse.write(0xf0);  // remote mode
    drain(mouse);
    mouse.move(1, 1, 0, 0);
    EXPECT_FALSE(mouse.has_data());
    mouse.write(0xeb);
    EXPECT_EQ(drain(mouse), (Bytes{0xfa, 0x08, 0x01, 0x01}));
    mouse.write(0xe9);
    EXPECT_EQ(drain(mouse), (Bytes{0xfa, 0x40, 3, 40}));
    mouse.write(0xf2);
    EXPECT_EQ(drain(mouse), (Bytes{0xfa, 0x00}));
}
