// The PS/2 keyboard behind the i8042: command set, and keys as scancode set 2
// (or set 1 when the guest selects it, or when the controller translates).
#include <string>

#include "mimic/util/log.h"
#include "ps2.h"

namespace mimic::hw {
namespace {

// A key by QEMU qcode: its set 1 and set 2 make codes; `extended` keys carry
// an E0 prefix in both sets.
struct Key {
    const char* qcode;
    uint8_t set1;
    uint8_t set2;
    bool extended = false;
};

constexpr Key kKeys[] = {
    {"esc", 0x01, 0x76}, {"1", 0x02, 0x16}, {"2", 0x03, 0x1e}, {"3", 0x04, 0x26},
    {"4", 0x05, 0x25}, {"5", 0x06, 0x2e}, {"6", 0x07, 0x36}, {"7", 0x08, 0x3d},
    {"8", 0x09, 0x3e}, {"9", 0x0a, 0x46}, {"0", 0x0b, 0x45}, {"minus", 0x0c, 0x4e},
    {"equal", 0x0d, 0x55}, {"backspace", 0x0e, 0x66}, {"tab", 0x0f, 0x0d},
    {"q", 0x10, 0x15}, {"w", 0x11, 0x1d}, {"e", 0x12, 0x24}, {"r", 0x13, 0x2d},
    {"t", 0x14, 0x2c}, {"y", 0x15, 0x35}, {"u", 0x16, 0x3c}, {"i", 0x17, 0x43},
    {"o", 0x18, 0x44}, {"p", 0x19, 0x4d}, {"bracket_left", 0x1a, 0x54},
    {"bracket_right", 0x1b, 0x5b}, {"ret", 0x1c, 0x5a}, {"ctrl", 0x1d, 0x14},
    {"a", 0x1e, 0x1c}, {"s", 0x1f, 0x1b}, {"d", 0x20, 0x23}, {"f", 0x21, 0x2b},
    {"g", 0x22, 0x34}, {"h", 0x23, 0x33}, {"j", 0x24, 0x3b}, {"k", 0x25, 0x42},
    {"l", 0x26, 0x4b}, {"semicolon", 0x27, 0x4c}, {"apostrophe", 0x28, 0x52},
    {"grave_accent", 0x29, 0x0e}, {"shift", 0x2a, 0x12}, {"backslash", 0x2b, 0x5d},
    {"z", 0x2c, 0x1a}, {"x", 0x2d, 0x22}, {"c", 0x2e, 0x21}, {"v", 0x2f, 0x2a},
    {"b", 0x30, 0x32}, {"n", 0x31, 0x31}, {"m", 0x32, 0x3a}, {"comma", 0x33, 0x41},
    {"dot", 0x34, 0x49}, {"slash", 0x35, 0x4a}, {"shift_r", 0x36, 0x59},
    {"kp_multiply", 0x37, 0x7c}, {"alt", 0x38, 0x11}, {"spc", 0x39, 0x29},
    {"caps_lock", 0x3a, 0x58}, {"f1", 0x3b, 0x05}, {"f2", 0x3c, 0x06}, {"f3", 0x3d, 0x04},
    {"f4", 0x3e, 0x0c}, {"f5", 0x3f, 0x03}, {"f6", 0x40, 0x0b}, {"f7", 0x41, 0x83},
    {"f8", 0x42, 0x0a}, {"f9", 0x43, 0x01}, {"f10", 0x44, 0x09}, {"num_lock", 0x45, 0x77},
    {"scroll_lock", 0x46, 0x7e}, {"kp_7", 0x47, 0x6c}, {"kp_8", 0x48, 0x75},
    {"kp_9", 0x49, 0x7d}, {"kp_subtract", 0x4a, 0x7b}, {"kp_4", 0x4b, 0x6b},
    {"kp_5", 0x4c, 0x73}, {"kp_6", 0x4d, 0x74}, {"kp_add", 0x4e, 0x79}, {"kp_1", 0x4f, 0x69},
    {"kp_2", 0x50, 0x72}, {"kp_3", 0x51, 0x7a}, {"kp_0", 0x52, 0x70},
    {"kp_decimal", 0x53, 0x71}, {"less", 0x56, 0x61}, {"f11", 0x57, 0x78},
    {"f12", 0x58, 0x07},
    {"kp_enter", 0x1c, 0x5a, true}, {"ctrl_r", 0x1d, 0x14, true},
    {"kp_divide", 0x35, 0x4a, true}, {"alt_r", 0x38, 0x11, true},
    {"home", 0x47, 0x6c, true}, {"up", 0x48, 0x75, true}, {"pgup", 0x49, 0x7d, true},
    {"left", 0x4b, 0x6b, true}, {"right", 0x4d, 0x74, true}, {"end", 0x4f, 0x69, true},
    {"down", 0x50, 0x72, true}, {"pgdn", 0x51, 0x7a, true}, {"insert", 0x52, 0x70, true},
    {"delete", 0x53, 0x71, true}, {"meta_l", 0x5b, 0x1f, true},
    {"meta_r", 0x5c, 0x27, true}, {"menu", 0x5d, 0x2f, true}, {"compose", 0x5d, 0x2f, true},
    {"kp_equals", 0x59, 0x0f}, {"asterisk", 0x37, 0x7c},
};

// The i8042's set 2 -> set 1 translation, derived from the key table: the
// controller maps every non-prefix byte; codes no key uses pass unchanged.
struct Translation {
    uint8_t table[256];
    constexpr Translation() : table() {
        for (int i = 0; i < 256; ++i) table[i] = static_cast<uint8_t>(i);
        for (const Key& key : kKeys) table[key.set2] = key.set1;
    }
};
constexpr Translation kTranslation;

const Key* find_key(std::string_view qcode) {
    for (const Key& key : kKeys) {
        if (qcode == key.qcode) return &key;
    }
    return nullptr;
}

}  // namespace

void Ps2Keyboard::reset() {
    clear_queue();
    scanning_ = true;
    scancode_set_ = 2;
    pending_command_ = -1;
    leds_ = 0;
    typematic_ = 0x2b;
    break_prefix_ = false;
}

// Bytes from the keyboard pass the controller's translation here, as the
// i8042 would apply it on its side of the wire.
void Ps2Keyboard::emit(uint8_t code) {
    if (!translate_) {
        queue(code);
        return;
    }
    if (code == 0xf0) {  // set 2 break prefix: folded into bit 7 of the next byte
        break_prefix_ = true;
        return;
    }
    uint8_t translated = kTranslation.table[code];
    if (break_prefix_) {
        translated |= 0x80;
        break_prefix_ = false;
    }
    queue(translated);
}

bool Ps2Keyboard::send_key(std::string_view qcode, bool down) {
    const Key* key = find_key(qcode);
    if (!key) return false;
    if (!scanning_) return true;
    if (!queue_has_room(3)) return true;  // buffer overrun: the key is lost
    if (scancode_set_ == 1) {
        // Set 1 needs no translation (the guest asked for it directly).
        if (key->extended) queue(0xe0);
        queue(static_cast<uint8_t>(key->set1 | (down ? 0 : 0x80)));
        return true;
    }
    if (key->extended) emit(0xe0);
    if (!down) emit(0xf0);
    emit(key->set2);
    return true;
}

void Ps2Keyboard::write(uint8_t value) {
    if (pending_command_ >= 0) {
        int command = pending_command_;
        pending_command_ = -1;
        switch (command) {
            case 0xed:
                leds_ = value & 0x07;
                reply(0xfa);
                return;
            case 0xf3:
                typematic_ = value & 0x7f;
                reply(0xfa);
                return;
            case 0xf0:
                if (value == 0) {
                    // The current set, as the controller's translation
                    // turns the bytes 1, 2, 3 into 0x43, 0x41, 0x3f.
                    static constexpr uint8_t kTranslated[4] = {0, 0x43, 0x41, 0x3f};
                    reply(0xfa);
                    reply(translate_ ? kTranslated[scancode_set_] : static_cast<uint8_t>(scancode_set_));
                } else if (value <= 3) {
                    scancode_set_ = value;
                    reply(0xfa);
                } else {
                    reply(0xfe);
                }
                return;
        }
    }
    switch (value) {
        case 0xed:  // set LEDs
        case 0xf3:  // set typematic rate and delay
        case 0xf0:  // get/set scancode set
            pending_command_ = value;
            reply(0xfa);
            break;
        case 0xee:  // echo
            reply(0xee);
            break;
        case 0xf2:  // identify: an MF2 keyboard (0x41 once translated)
            reply(0xfa);
            reply(0xab);
            reply(translate_ ? 0x41 : 0x83);
            break;
        case 0xf4:
            scanning_ = true;
            reply(0xfa);
            break;
        case 0xf5:  // disable: also restores defaults
            scanning_ = false;
            scancode_set_ = 2;
            typematic_ = 0x2b;
            reply(0xfa);
            break;
        case 0xf6:
            scancode_set_ = 2;
            typematic_ = 0x2b;
            reply(0xfa);
            break;
        case 0xff:  // reset: acknowledge, then the self-test result
            reset();
            reply(0xfa);
            reply(0xaa);
            break;
        default:
            MIMIC_LOG(log::kUnimp, "ps2 keyboard: unsupported command {:#04x}\n", value);
            reply(0xfe);
            break;
    }
}

}  // namespace mimic::hw
