// The input layer, QEMU's keymap files, and the path from a VNC keysym
// through a qcode to the scancodes the PS/2 keyboard sends.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "mimic/ui/input.h"
#include "mimic/ui/keymap.h"
#include "mimic/ui/qcode.h"
#include "mimic/util/error.h"
#include "ps2.h"

using namespace mimic::ui;

namespace {

QKeyCode q(const char* name) { return qcode_from_name(name).value(); }

struct Recorder : InputHandler {
    std::string name;
    unsigned mask;
    std::vector<InputEvent> events;
    int syncs = 0;
    Recorder(std::string n, unsigned m) : name(std::move(n)), mask(m) {}
    std::string input_name() const override { return name; }
    unsigned input_mask() const override { return mask; }
    void input_event(const InputEvent& e) override { events.push_back(e); }
    void input_sync() override { ++syncs; }
};

std::vector<uint8_t> drain(mimic::hw::Ps2Device& device) {
    std::vector<uint8_t> bytes;
    while (device.has_data()) bytes.push_back(device.pop());
    return bytes;
}

const std::vector<std::string> kDataDirs = {"/usr/share/qemu"};
bool have_keymaps() { return std::filesystem::exists("/usr/share/qemu/keymaps/de"); }

}  // namespace

TEST(Qcode, NamesAndNumbersAsQemu) {
    EXPECT_EQ(qcode_name(0), "unmapped");
    EXPECT_EQ(qcode_to_number(q("a")), 0x1eu);
    EXPECT_EQ(qcode_to_number(q("kp_enter")), 0x9cu);
    EXPECT_EQ(qcode_name(qcode_from_number(0x30)), "b");
    EXPECT_EQ(qcode_name(qcode_from_number(0x37)), "kp_multiply");
    EXPECT_EQ(qcode_from_number(0x7f), kQKeyUnmapped);
    EXPECT_FALSE(qcode_from_name("nosuch"));
    EXPECT_EQ(qcode_name(q("f24")), "f24");
}

TEST(Input, EventsGoToTheNewestHandlerOfTheirKind) {
    Recorder keyboard("kbd", kInputMaskKey), mouse("QEMU PS/2 Mouse", kInputMaskButton | kInputMaskRel);
    keyboard.input_register();
    mouse.input_register();
    EXPECT_TRUE(input_send(InputEvent::key_event(q("a"), true)));
    EXPECT_TRUE(input_send(InputEvent::move_event(InputEvent::Kind::kRel, InputAxis::kX, 5)));
    EXPECT_FALSE(input_send(InputEvent::move_event(InputEvent::Kind::kAbs, InputAxis::kX, 5)));
    input_sync();
    ASSERT_EQ(keyboard.events.size(), 1u);
    EXPECT_EQ(keyboard.events[0].key, q("a"));
    ASSERT_EQ(mouse.events.size(), 1u);
    EXPECT_EQ(mouse.syncs, 1);
    EXPECT_FALSE(input_pointer_is_absolute());
    {
        // A tablet arriving takes the pointer, and leaving gives it back.
        Recorder tablet("QEMU HID Tablet", kInputMaskButton | kInputMaskAbs);
        tablet.input_register();
        EXPECT_TRUE(input_pointer_is_absolute());
        auto mice = input_mice();
        ASSERT_EQ(mice.size(), 2u);
        EXPECT_EQ(mice[0].name, "QEMU PS/2 Mouse");
        EXPECT_FALSE(mice[0].current);
        EXPECT_TRUE(mice[1].current);
        EXPECT_TRUE(mice[1].absolute);
        EXPECT_TRUE(input_send(InputEvent::button_event(InputButton::kLeft, true)));
        EXPECT_EQ(tablet.events.size(), 1u);
    }
    EXPECT_FALSE(input_pointer_is_absolute());
    EXPECT_EQ(input_mice().size(), 1u);
    EXPECT_TRUE(input_mice()[0].current);
}

TEST(Keymap, ParsesIncludesModifiersAndUpperCase) {
    Keymap keymap = Keymap::parse(
        "# comment\nmap 0x407\ninclude common\nz 0x15\nZ 0x15 shift\nat 0x10 altgr\n"
        "ssharp 0x0c\nbogus_name 0x11\nEuroSign 0x12 altgr\nq 0x10 inhibit\n",
        [](const std::string& file) -> std::string {
            if (file != "common") throw mimic::Error("no {}", file);
            return "a 0x1e addupper\nKP_1 0x4f numlock\n";
        });
    EXPECT_EQ(keymap.lookup('z', false, false), q("y"));
    EXPECT_EQ(keymap.lookup('Z', true, false), q("y"));
    EXPECT_EQ(keymap.lookup('A', true, false), q("a"));  // from addupper
    EXPECT_EQ(keymap.lookup('@', false, true), q("q"));
    EXPECT_EQ(keymap.lookup(0xdf, false, false), q("minus"));
    EXPECT_EQ(keymap.lookup(0x20ac, false, true), q("e"));
    EXPECT_EQ(keymap.lookup('q', false, false), kQKeyUnmapped);  // inhibited
    EXPECT_EQ(keymap.lookup(0xffb1, false, false), q("kp_1"));
    EXPECT_EQ(keysym_from_name("U20AC"), 0x010020acu);
    EXPECT_EQ(keysym_from_name("0x0100002b"), 0x0100002bu);
    EXPECT_EQ(keysym_from_name("Return"), 0xff0du);
    EXPECT_THROW(Keymap::parse("include loop\n", [](const std::string&) { return std::string("include loop\n"); }),
                 mimic::Error);
}

TEST(Keymap, QemuFilesLoadAndMissingOnesFailAsQemu) {
    if (!have_keymaps()) GTEST_SKIP() << "no /usr/share/qemu/keymaps (qemu-system-data)";
    Keymap us = Keymap::load("en-us", kDataDirs);
    Keymap de = Keymap::load("de", kDataDirs);
    EXPECT_GT(us.size(), 100u);
    EXPECT_EQ(us.lookup('z', false, false), q("z"));
    EXPECT_EQ(de.lookup('z', false, false), q("y"));
    EXPECT_EQ(de.lookup('y', false, false), q("z"));
    EXPECT_EQ(us.lookup('@', true, false), q("2"));
    EXPECT_EQ(de.lookup('@', false, true), q("q"));
    EXPECT_EQ(de.lookup(0xe4 /* adiaeresis */, false, false), q("apostrophe"));
    EXPECT_EQ(us.lookup(0xff0d /* Return */, false, false), q("ret"));
    try {
        Keymap::load("xx", kDataDirs);
        FAIL() << "loaded a keymap that does not exist";
    } catch (const mimic::Error& e) {
        EXPECT_STREQ(e.what(), "could not read keymap file: 'xx'");
    }
    EXPECT_THROW(Keymap::load("../keymaps/de", kDataDirs), mimic::Error);
}

TEST(Keymap, KeysymToQcodeToScancodes) {
    if (!have_keymaps()) GTEST_SKIP() << "no /usr/share/qemu/keymaps (qemu-system-data)";
    Keymap de = Keymap::load("de", kDataDirs);
    mimic::hw::Ps2Keyboard keyboard([] {});
    keyboard.reset();
    // 'z' on a German keyboard is the key QEMU calls "y": set 2 code 0x35.
    QKeyCode key = de.lookup('z', false, false);
    ASSERT_TRUE(keyboard.send_key(qcode_name(key), true));
    ASSERT_TRUE(keyboard.send_key(qcode_name(key), false));
    EXPECT_EQ(drain(keyboard), (std::vector<uint8_t>{0x35, 0xf0, 0x35}));
    // Through the i8042's translation: set 1, 0x15 and 0x95.
    keyboard.set_translation(true);
    keyboard.send_key(qcode_name(key), true);
    keyboard.send_key(qcode_name(key), false);
    EXPECT_EQ(drain(keyboard), (std::vector<uint8_t>{0x15, 0x95}));
    // An E0 key: Return on the keypad.
    keyboard.send_key(qcode_name(de.lookup(0xff8d /* KP_Enter */, false, false)), true);
    EXPECT_EQ(drain(keyboard), (std::vector<uint8_t>{0xe0, 0x1c}));
}

TEST(Ps2Mouse, WheelAfterTheIntelliMouseKnock) {
    mimic::hw::Ps2Mouse mouse([] {});
    mouse.reset();
    for (uint8_t rate : {200, 100, 80}) {
        mouse.write(0xf3);
        mouse.write(rate);
    }
    mouse.write(0xf2);
    mouse.write(0xf4);
    EXPECT_EQ(drain(mouse), (std::vector<uint8_t>{0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03, 0xfa}));
    mouse.move(3, -2, -1, 0x01);
    EXPECT_EQ(drain(mouse), (std::vector<uint8_t>{0x29, 0x03, 0xfe, 0xff}));
}
