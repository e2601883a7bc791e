// The input layer: handler registry and event routing.
#include "mimic/ui/input.h"

#include <algorithm>
#include <utility>

namespace mimic::ui {
namespace {

struct Registry {
    std::vector<InputHandler*> handlers;  // newest first
    int next_id = 1;  // QEMU numbers its handlers from 1 (`info mice`)
    std::vector<std::pair<InputModeNotifier, void*>> notifiers;
};

Registry& registry() {
    static Registry r;
    return r;
}

void notify_mode_change() {
    for (auto [notifier, opaque] : std::vector(registry().notifiers)) notifier(opaque);
}

bool is_pointer(const InputHandler& handler) {
    return handler.input_mask() & (kInputMaskRel | kInputMaskAbs);
}

}  // namespace

InputHandler::~InputHandler() { input_unregister(); }

void InputHandler::input_register() {
    auto& r = registry();
    if (std::find(r.handlers.begin(), r.handlers.end(), this) != r.handlers.end()) return;
    id_ = r.next_id++;
    registered_mask_ = input_mask();
    r.handlers.insert(r.handlers.begin(), this);
    if (registered_mask_ & (kInputMaskRel | kInputMaskAbs)) notify_mode_change();
}

void InputHandler::input_unregister() {
    auto& r = registry();
    auto it = std::find(r.handlers.begin(), r.handlers.end(), this);
    if (it == r.handlers.end()) return;
    r.handlers.erase(it);
    // No virtual calls here: this runs from the destructor too.
    if (registered_mask_ & (kInputMaskRel | kInputMaskAbs)) notify_mode_change();
}

InputHandler* input_find_handler(InputEvent::Kind kind) {
    for (InputHandler* handler : registry().handlers) {
        if (handler->input_mask() & input_mask(kind)) return handler;
    }
    return nullptr;
}

bool input_send(const InputEvent& event) {
    InputHandler* handler = input_find_handler(event.kind);
    if (!handler) return false;
    handler->input_event(event);
    return true;
}

void input_sync() {
    for (InputHandler* handler : std::vector(registry().handlers)) handler->input_sync();
}

std::vector<MouseInfo> input_mice() {
    std::vector<MouseInfo> mice;
    InputHandler* current = nullptr;
    for (InputHandler* handler : registry().handlers) {
        if (is_pointer(*handler) && !current) current = handler;
    }
    // Oldest first, as QEMU lists them.
    for (auto it = registry().handlers.rbegin(); it != registry().handlers.rend(); ++it) {
        InputHandler* handler = *it;
        if (!is_pointer(*handler)) continue;
        mice.push_back({handler->input_name(), handler->input_id(), handler == current,
                        (handler->input_mask() & kInputMaskAbs) != 0});
    }
    return mice;
}

bool input_pointer_is_absolute() {
    for (InputHandler* handler : registry().handlers) {
        if (is_pointer(*handler)) return handler->input_mask() & kInputMaskAbs;
    }
    return false;
}

void input_add_mode_notifier(InputModeNotifier notifier, void* opaque) {
    registry().notifiers.emplace_back(notifier, opaque);
}

void input_remove_mode_notifier(InputModeNotifier notifier, void* opaque) {
    std::erase(registry().notifiers, std::make_pair(notifier, opaque));
}

}  // namespace mimic::ui
