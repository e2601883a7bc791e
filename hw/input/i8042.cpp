// i8042: the PS/2 keyboard controller (ports 0x60/0x64) with its keyboard on
// IRQ1 and mouse on IRQ12.
//
// The controller has one output buffer. The keyboard and mouse queue their
// bytes and the controller moves the next one into the buffer whenever the
// guest has read the previous one; a controller command's reply goes first.
// Behind the buffer the controller holds one reply, as QEMU's: a newer one
// replaces it, so a guest that never reads cannot pile replies up.
// Besides input, the chip carries two board signals on its output port: the
// A20 gate (bit 1) and the CPU reset line (bit 0, pulsed by command 0xFE).
#include <algorithm>
#include <optional>

#include "mimic/hw/board_signals.h"
#include "mimic/hw/isa.h"
#include "mimic/qom/property.h"
#include "mimic/ui/input.h"
#include "mimic/util/log.h"
#include "ps2.h"

namespace mimic::hw {
namespace {

// Status register (port 0x64 read).
constexpr uint8_t kStatOutputFull = 0x01, kStatInputFull = 0x02, kStatSystem = 0x04,
                  kStatCommand = 0x08, kStatUnlocked = 0x10, kStatAuxData = 0x20;
// Command byte.
constexpr uint8_t kModeKbdInt = 0x01, kModeAuxInt = 0x02, kModeSystem = 0x04,
                  kModeKbdDisabled = 0x10, kModeAuxDisabled = 0x20, kModeTranslate = 0x40;
// Output port.
constexpr uint8_t kOutReset = 0x01, kOutA20 = 0x02, kOutKbdFull = 0x10, kOutAuxFull = 0x20;

// The keyboard's side of the input layer: keys by qcode.
class KeyboardInputHandler : public ui::InputHandler {
public:
    explicit KeyboardInputHandler(Ps2Keyboard& keyboard) : keyboard_(keyboard) {}
    std::string input_name() const override { return "QEMU PS/2 Keyboard"; }
    unsigned input_mask() const override { return ui::kInputMaskKey; }
    void input_event(const ui::InputEvent& event) override {
        std::string_view name = ui::qcode_name(event.key);
        if (!keyboard_.send_key(name, event.down))
            MIMIC_LOG(log::kUnimp, "ps2 keyboard: no scancode for key '{}'\n", name);
    }

private:
    Ps2Keyboard& keyboard_;
};

// The mouse's side: motion, wheel and buttons gathered until the sync that
// ends a group, then reported as one packet.
class MouseInputHandler : public ui::InputHandler {
public:
    explicit MouseInputHandler(Ps2Mouse& mouse) : mouse_(mouse) {}
    std::string input_name() const override { return "QEMU PS/2 Mouse"; }
    unsigned input_mask() const override { return ui::kInputMaskButton | ui::kInputMaskRel; }
    void input_event(const ui::InputEvent& event) override {
        switch (event.kind) {
        case ui::InputEvent::Kind::kRel:
            // Screen y grows downwards, PS/2 counts up.
            if (event.axis == ui::InputAxis::kX) {
                dx_ += event.value;
            } else {
                dy_ -= event.value;
            }
            break;
        case ui::InputEvent::Kind::kButton: {
            static constexpr int kBit[] = {0, 2, 1, -1, -1, 3, 4, -1, -1};  // by InputButton
            int index = static_cast<int>(event.button);
            if (event.down && event.button == ui::InputButton::kWheelUp) dz_ -= 1;
            if (event.down && event.button == ui::InputButton::kWheelDown) dz_ += 1;
            int bit = kBit[index];
            if (bit < 0) break;
            buttons_ = static_cast<uint8_t>(event.down ? buttons_ | (1 << bit) : buttons_ & ~(1 << bit));
            break;
        }
        default: break;
        }
        pending_ = true;
    }
    void input_sync() override {
        if (!pending_) return;
        pending_ = false;
        auto clamp = [](int64_t v) { return static_cast<int>(std::clamp<int64_t>(v, -65536, 65536)); };
        mouse_.move(clamp(dx_), clamp(dy_), clamp(dz_), buttons_);
        dx_ = dy_ = dz_ = 0;
    }

private:
    Ps2Mouse& mouse_;
    int64_t dx_ = 0, dy_ = 0, dz_ = 0;
    uint8_t buttons_ = 0;
    bool pending_ = false;
};

class I8042 : public IsaDevice {
public:
    I8042() : keyboard_([this] { pump(); }), mouse_([this] { pump(); }) {}

protected:
    void do_realize() override {
        memory::MmioOps data_ops;
        data_ops.read = [this](uint64_t, unsigned) -> uint64_t { return read_data(); };
        data_ops.write = [this](uint64_t, uint64_t value, unsigned) {
            write_data(static_cast<uint8_t>(value));
        };
        data_ops.valid = {1, 1, false};
        data_ops.impl = {1, 1, false};
        data_region_.init_io("i8042-data", 1, std::move(data_ops));
        register_ioport(data_region_, 0x60);

        memory::MmioOps command_ops;
        command_ops.read = [this](uint64_t, unsigned) -> uint64_t { return status_; };
        command_ops.write = [this](uint64_t, uint64_t value, unsigned) {
            write_command(static_cast<uint8_t>(value));
        };
        command_ops.valid = {1, 1, false};
        command_ops.impl = {1, 1, false};
        command_region_.init_io("i8042-cmd", 1, std::move(command_ops));
        register_ioport(command_region_, 0x64);
        kbd_irq_ = isa_irq(1);
        aux_irq_ = isa_irq(12);
        do_reset();
        keyboard_input_.input_register();
        mouse_input_.input_register();
    }

    void do_reset() override {
        mode_ = kModeKbdInt | kModeAuxInt;
        status_ = kStatCommand | kStatUnlocked;
        outport_ = kOutReset | kOutA20 | 0xcc;  // unused pins read as 1
        pending_command_.reset();
        pending_reply_.reset();
        keyboard_.reset();
        mouse_.reset();
        keyboard_.set_translation(mode_ & kModeTranslate);
        update_irq();
    }

private:
    // Source of the byte now in the output buffer.
    enum class Source { kNone, kController, kKeyboard, kMouse };

    uint8_t read_data() {
        uint8_t value = output_;
        if (status_ & kStatOutputFull) {
            status_ &= ~(kStatOutputFull | kStatAuxData);
            source_ = Source::kNone;
            update_irq();
            pump();
        }
        return value;
    }

    // Fills the empty output buffer from the highest-priority source.
    void pump() {
        if (status_ & kStatOutputFull) return;
        if (pending_reply_) {
            place(pending_reply_->first, pending_reply_->second);
            pending_reply_.reset();
        } else if (!(mode_ & kModeKbdDisabled) && keyboard_.has_data()) {
            place(keyboard_.pop(), Source::kKeyboard);
        } else if (!(mode_ & kModeAuxDisabled) && mouse_.has_data()) {
            place(mouse_.pop(), Source::kMouse);
        }
        update_irq();
    }

    void place(uint8_t value, Source source) {
        output_ = value;
        source_ = source;
        status_ |= kStatOutputFull;
        if (source == Source::kMouse) status_ |= kStatAuxData;
    }

    void reply(uint8_t value, Source as = Source::kController) {
        pending_reply_.emplace(value, as);
        pump();
    }

    void update_irq() {
        bool full = status_ & kStatOutputFull;
        bool aux = status_ & kStatAuxData;
        // Level signals: the PIC's edge detection sees one interrupt per byte
        // because reading the buffer drops the line before the next byte.
        kbd_irq_.set(full && !aux && (mode_ & kModeKbdInt));
        aux_irq_.set(full && aux && (mode_ & kModeAuxInt));
        outport_ = static_cast<uint8_t>((outport_ & ~(kOutKbdFull | kOutAuxFull)) |
                                        (full && !aux ? kOutKbdFull : 0) |
                                        (full && aux ? kOutAuxFull : 0));
    }

    void write_mode(uint8_t value) {
        mode_ = value;
        status_ = static_cast<uint8_t>((status_ & ~kStatSystem) | (value & kModeSystem ? kStatSystem : 0));
        keyboard_.set_translation(value & kModeTranslate);
        update_irq();
        pump();
    }

    void write_outport(uint8_t value) {
        bool a20 = value & kOutA20;
        if (a20 != bool(outport_ & kOutA20)) set_a20_gate(*this, a20);
        outport_ = value;
        // The reset line is active low.
        if (!(value & kOutReset)) request_system_reset(*this, "the keyboard controller");
    }

    void write_command(uint8_t command) {
        status_ |= kStatCommand;
        pending_command_.reset();
        switch (command) {
            case 0x20:
                reply(mode_);
                break;
            case 0x60:  // write command byte
            case 0xd1:  // write output port
            case 0xd2:  // write keyboard output buffer
            case 0xd3:  // write mouse output buffer
            case 0xd4:  // write to the mouse
                pending_command_ = command;
                break;
            case 0xa7:
                mode_ |= kModeAuxDisabled;
                break;
            case 0xa8:
                mode_ &= ~kModeAuxDisabled;
                pump();
                break;
            case 0xa9:  // mouse interface test: no error
            case 0xab:  // keyboard interface test: no error
                reply(0x00);
                break;
            case 0xaa:  // controller self test
                status_ |= kStatSystem;
                reply(0x55);
                break;
            case 0xad:
                mode_ |= kModeKbdDisabled;
                break;
            case 0xae:
                mode_ &= ~kModeKbdDisabled;
                pump();
                break;
            case 0xc0:  // input port: keyboard not inhibited
                reply(0x80);
                break;
            case 0xd0:
                reply(outport_);
                break;
            case 0xdd:  // HP Vectra style A20 control
                write_outport(outport_ & ~kOutA20);
                break;
            case 0xdf:
                write_outport(outport_ | kOutA20);
                break;
            default:
                if (command >= 0xf0) {
                    // Pulse output lines whose bit is 0; bit 0 is reset.
                    if (!(command & 0x01)) request_system_reset(*this, "the keyboard controller");
                } else {
                    MIMIC_LOG(log::kUnimp, "i8042: unsupported controller command {:#04x}\n", command);
                }
                break;
        }
    }

    void write_data(uint8_t value) {
        status_ &= ~kStatCommand;
        if (!pending_command_) {
            // Data without a command goes to the keyboard, which wakes up.
            mode_ &= ~kModeKbdDisabled;
            keyboard_.write(value);
            return;
        }
        uint8_t command = *pending_command_;
        pending_command_.reset();
        switch (command) {
            case 0x60:
                write_mode(value);
                break;
            case 0xd1:
                write_outport(value);
                break;
            case 0xd2:
                reply(value, Source::kKeyboard);
                break;
            case 0xd3:
                reply(value, Source::kMouse);
                break;
            case 0xd4:
                mouse_.write(value);
                break;
        }
    }

    memory::MemoryRegion data_region_, command_region_;
    IrqLine kbd_irq_, aux_irq_;
    Ps2Keyboard keyboard_;
    Ps2Mouse mouse_;
    KeyboardInputHandler keyboard_input_{keyboard_};
    MouseInputHandler mouse_input_{mouse_};

    uint8_t mode_ = kModeKbdInt | kModeAuxInt;
    uint8_t status_ = kStatCommand | kStatUnlocked;
    uint8_t outport_ = kOutReset | kOutA20;
    uint8_t output_ = 0;
    Source source_ = Source::kNone;
    std::optional<uint8_t> pending_command_;
    std::optional<std::pair<uint8_t, Source>> pending_reply_;
};

MIMIC_REGISTER_TYPE({
    .name = "i8042",
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<I8042>(),
    .description = "PS/2 keyboard controller with keyboard and mouse",
    .categories = {qom::DeviceCategory::kInput},
});

}  // namespace
}  // namespace mimic::hw
