// The input layer (QEMU's InputEvent): front ends and the monitor send key,
// button and pointer events here; it hands each to the input device that
// takes that kind of event (the i8042's keyboard and mouse today; absolute
// pointers such as a USB tablet register the same way).
//
// A handler registered later takes precedence over earlier ones of the same
// kind, as a hot-plugged tablet takes over from the PS/2 mouse in QEMU.
// Everything runs with the BQL held.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mimic/ui/qcode.h"

namespace mimic::ui {

// QAPI InputButton, in its order.
enum class InputButton { kLeft, kMiddle, kRight, kWheelUp, kWheelDown, kSide, kExtra, kWheelLeft, kWheelRight };
// QAPI InputAxis.
enum class InputAxis { kX, kY };
// Absolute coordinates run from 0 to this, whatever the screen size.
inline constexpr int64_t kInputAbsMax = 0x7fff;

struct InputEvent {
    enum class Kind { kKey, kButton, kRel, kAbs };
    Kind kind = Kind::kKey;
    QKeyCode key = kQKeyUnmapped;           // kKey
    InputButton button = InputButton::kLeft;  // kButton
    bool down = false;                        // kKey, kButton
    InputAxis axis = InputAxis::kX;           // kRel, kAbs
    int64_t value = 0;                        // kRel, kAbs

    static InputEvent key_event(QKeyCode key, bool down) { return {Kind::kKey, key, {}, down, {}, 0}; }
    static InputEvent button_event(InputButton button, bool down) {
        return {Kind::kButton, kQKeyUnmapped, button, down, {}, 0};
    }
    static InputEvent move_event(Kind kind, InputAxis axis, int64_t value) {
        return {kind, kQKeyUnmapped, {}, false, axis, value};
    }
};

// The kinds a handler takes, as a mask of 1 << Kind.
inline constexpr unsigned input_mask(InputEvent::Kind kind) { return 1u << static_cast<unsigned>(kind); }
inline constexpr unsigned kInputMaskKey = input_mask(InputEvent::Kind::kKey);
inline constexpr unsigned kInputMaskButton = input_mask(InputEvent::Kind::kButton);
inline constexpr unsigned kInputMaskRel = input_mask(InputEvent::Kind::kRel);
inline constexpr unsigned kInputMaskAbs = input_mask(InputEvent::Kind::kAbs);

class InputHandler {
public:
    virtual ~InputHandler();
    // As `info mice` shows it ("QEMU PS/2 Mouse").
    virtual std::string input_name() const = 0;
    virtual unsigned input_mask() const = 0;
    virtual void input_event(const InputEvent& event) = 0;
    // The end of a group of events (a pointer's motion and buttons): the
    // moment a pointer device reports them together.
    virtual void input_sync() {}

    // Registration; the destructor unregisters.
    void input_register();
    void input_unregister();
    int input_id() const { return id_; }

private:
    int id_ = -1;
    unsigned registered_mask_ = 0;
};

// The handler that takes `kind` now; null when none does.
InputHandler* input_find_handler(InputEvent::Kind kind);
// False (and nothing happens) when no handler takes the event's kind.
bool input_send(const InputEvent& event);
void input_sync();

// `info mice` / query-mice: the pointer handlers, the current one marked.
struct MouseInfo {
    std::string name;
    int index;
    bool current;
    bool absolute;
};
std::vector<MouseInfo> input_mice();
// Whether the current pointer takes absolute coordinates (VNC tells its
// clients through the pointer-type-change pseudo-encoding).
bool input_pointer_is_absolute();

// Something to run when the current pointer's kind may have changed.
using InputModeNotifier = void (*)(void* opaque);
void input_add_mode_notifier(InputModeNotifier notifier, void* opaque);
void input_remove_mode_notifier(InputModeNotifier notifier, void* opaque);

}  // namespace mimic::ui
