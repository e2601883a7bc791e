#include "mimic/chardev/mux.h"

#include <fmt/format.h>

#include <algorithm>

#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/main_loop.h"
#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

std::function<void()>& quit_handler() {
    static std::function<void()> handler = [] { request_exit(ShutdownCause::kHostQmpQuit); };
    return handler;
}

std::function<void()>& commit_handler() {
    static std::function<void()> handler;
    return handler;
}

// C-a .. C-y have a readable name; any other escape byte is announced by
// its code first and then called "Escape-Char".
bool has_control_name(uint8_t escape) { return escape > 0 && escape < 26; }

std::string key_name(uint8_t escape) {
    if (has_control_name(escape)) return fmt::format("C-{}", static_cast<char>('a' + escape - 1));
    return "Escape-Char";
}

// Muxes alive, for release_open_events(); front ends of muxes created
// while events are held learn that their backend is open only then.
std::vector<MuxChardev*>& live_muxes() {
    static std::vector<MuxChardev*> muxes;
    return muxes;
}
bool g_hold_open_events = false;

}  // namespace

void MuxChardev::set_quit_handler(std::function<void()> handler) { quit_handler() = std::move(handler); }
void MuxChardev::set_commit_handler(std::function<void()> handler) { commit_handler() = std::move(handler); }

std::string MuxChardev::help_text(uint8_t escape) {
    std::string k = key_name(escape);
    std::string text =
        has_control_name(escape) ? "\n\r" : fmt::format("\n\rEscape-Char set to Ascii: 0x{:02x}\n\r\n\r", escape);
    text += k + " h    print this help\n\r";
    text += k + " x    exit emulator\n\r";
    text += k + " s    save disk data back to file (if -snapshot)\n\r";
    text += k + " t    toggle console timestamps\n\r";
    text += k + " b    send break (magic sysrq)\n\r";
    text += k + " c    switch between console and monitor\n\r";
    text += k + " " + k + "  sends " + k + "\n\r";
    return text;
}

MuxChardev::MuxChardev(std::string id, Chardev& backend)
    : Chardev(std::move(id)), backend_(backend), events_held_(g_hold_open_events) {
    live_muxes().push_back(this);
    backend_.attach(this);  // an open backend reports kOpened right away
}

void MuxChardev::hold_open_events() { g_hold_open_events = true; }

void MuxChardev::release_open_events() {
    g_hold_open_events = false;
    for (MuxChardev* mux : live_muxes()) {
        if (!mux->events_held_) continue;
        mux->events_held_ = false;
        if (!mux->is_open()) continue;
        for (const Slot& slot : mux->frontends_) slot.frontend->event(ChardevEvent::kOpened);
    }
}

MuxChardev::~MuxChardev() {
    std::erase(live_muxes(), this);
    backend_.on_writable(nullptr);
    backend_.detach(this);
}

void MuxChardev::attach(CharFrontend* frontend) {
    for (const Slot& slot : frontends_) {
        if (slot.frontend == frontend) return;
    }
    if (frontends_.size() >= kMaxFrontends) throw Error("Too many uses of chardevs multiplexer '{}'", id());
    frontends_.push_back(Slot{frontend, {}});
    if (is_open() && !events_held_) frontend->event(ChardevEvent::kOpened);
    set_focus(frontends_.size() - 1);
}

void MuxChardev::detach(CharFrontend* frontend) {
    auto it = std::find_if(frontends_.begin(), frontends_.end(),
                           [frontend](const Slot& slot) { return slot.frontend == frontend; });
    if (it == frontends_.end()) return;
    size_t index = static_cast<size_t>(it - frontends_.begin());
    frontends_.erase(it);
    if (index < focus_) focus_--;
    if (focus_ >= frontends_.size()) focus_ = 0;
}

void MuxChardev::set_focus(size_t index) {
    if (index >= frontends_.size()) return;
    if (focus_ < frontends_.size() && focus_ != index) frontends_[focus_].frontend->event(ChardevEvent::kMuxOut);
    focus_ = index;
    frontends_[focus_].frontend->event(ChardevEvent::kMuxIn);
}

void MuxChardev::frontend_event(ChardevEvent event) {
    if (event == ChardevEvent::kOpened || event == ChardevEvent::kClosed) {
        if (events_held_) return;
        for (const Slot& slot : frontends_) slot.frontend->event(event);
    } else if (focus_ < frontends_.size()) {
        frontends_[focus_].frontend->event(event);
    }
}

// Backend -> mux.

size_t MuxChardev::can_receive() {
    if (frontends_.empty()) return 0;
    // The backend asks before every poll, which makes this the place where
    // buffered input drains into a front end that has made room.
    flush_focused();
    return kBufferSize - frontends_[focus_].pending.size();
}

void MuxChardev::receive(std::span<const uint8_t> data) {
    for (uint8_t c : data) process_byte(c);
    flush_focused();
}

void MuxChardev::event(ChardevEvent event) {
    switch (event) {
    case ChardevEvent::kOpened: set_open(true); break;
    case ChardevEvent::kClosed: set_open(false); break;
    default: frontend_event(event); break;
    }
}

void MuxChardev::process_byte(uint8_t c) {
    if (got_escape_) {
        got_escape_ = false;
        if (c != escape_) {
            run_escape(c);
            return;
        }
        // Escape twice: a literal escape character for the guest.
    } else if (c == escape_) {
        got_escape_ = true;
        return;
    }
    if (!frontends_.empty()) frontends_[focus_].pending.push_back(c);
}

void MuxChardev::run_escape(uint8_t c) {
    switch (c) {
    case 'h':
    case '?':
        backend_.write_all(help_text(escape_));
        break;
    case 'x':
        backend_.write_all(std::string_view("Mimic: Terminated\n\r"));
        if (quit_handler()) quit_handler()();
        break;
    case 's':
        if (commit_handler()) commit_handler()();
        break;
    case 'b':
        frontend_event(ChardevEvent::kBreak);
        break;
    case 'c':
        if (!frontends_.empty()) set_focus((focus_ + 1) % frontends_.size());
        break;
    case 't':
        timestamps_ = !timestamps_;
        timestamps_start_ = clock_get_ms(Clock::kRealtime);
        // The current line was begun without a stamp; start with the next.
        at_line_start_ = false;
        break;
    default:
        break;  // unknown commands are swallowed
    }
}

void MuxChardev::flush_focused() {
    if (frontends_.empty()) return;
    Slot& slot = frontends_[focus_];
    while (!slot.pending.empty()) {
        size_t room = slot.frontend->can_receive();
        if (room == 0) break;
        size_t n = std::min(room, slot.pending.size());
        std::vector<uint8_t> chunk(slot.pending.begin(), slot.pending.begin() + static_cast<ptrdiff_t>(n));
        slot.pending.erase(slot.pending.begin(), slot.pending.begin() + static_cast<ptrdiff_t>(n));
        slot.frontend->receive(chunk);
        if (frontends_.empty()) return;  // the front end detached meanwhile
    }
}

void MuxChardev::accept_input() {
    flush_focused();
    backend_.accept_input();
}

// Front ends -> backend.

std::string MuxChardev::timestamp_prefix() {
    int64_t ms = clock_get_ms(Clock::kRealtime) - timestamps_start_;
    int64_t s = ms / 1000;
    return fmt::format("[{:02}:{:02}:{:02}.{:03}] ", s / 3600, (s / 60) % 60, s % 60, ms % 1000);
}

size_t MuxChardev::do_write(std::span<const uint8_t> data) {
    if (!timestamps_) return backend_.write(data);
    // Stamped output is rare and interactive: write it whole.
    std::string out;
    for (uint8_t c : data) {
        if (at_line_start_) {
            out += timestamp_prefix();
            at_line_start_ = false;
        }
        out += static_cast<char>(c);
        if (c == '\n') at_line_start_ = true;
    }
    backend_.write_all(out);
    return data.size();
}

bool MuxChardev::write_all(std::span<const uint8_t> data) {
    if (timestamps_) return do_write(data) == data.size();
    return backend_.write_all(data);
}

void MuxChardev::request_writable_notification() {
    backend_.on_writable([this] { notify_writable(); });
}

}  // namespace mimic::chardev
