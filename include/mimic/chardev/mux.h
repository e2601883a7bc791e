// The multiplexer: several front ends (serial port, monitor, ...) sharing
// one backend, switched with an escape character (C-a by default), as
// -nographic and "mon:stdio" set up.
//
// All front ends' output goes to the backend; input goes to the front end
// that has focus. The escape sequences:
//   C-a h / C-a ?  print help        C-a x  quit the emulator
//   C-a c          next front end    C-a b  send break to the focused one
//   C-a s          commit disks      C-a t  toggle output timestamps
//   C-a C-a        a literal C-a
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mimic/chardev/chardev.h"

namespace mimic::chardev {

class MuxChardev : public Chardev, private CharFrontend {
public:
    static constexpr size_t kMaxFrontends = 4;
    static constexpr uint8_t kDefaultEscape = 0x01;  // C-a

    // Takes over `backend`'s front end slot for its lifetime.
    MuxChardev(std::string id, Chardev& backend);
    ~MuxChardev() override;

    const char* backend_name() const override { return "mux"; }
    Chardev& backend() { return backend_; }

    // The newest front end takes focus, so attaching the monitor before the
    // serial port starts the user on the console, as QEMU does. Throws mimic::Error past
    // kMaxFrontends.
    void attach(CharFrontend* frontend) override;
    void detach(CharFrontend* frontend) override;
    bool in_use() const override { return !frontends_.empty(); }
    using Chardev::write_all;
    bool write_all(std::span<const uint8_t> data) override;
    void accept_input() override;

    size_t frontend_count() const { return frontends_.size(); }
    size_t focus() const { return focus_; }
    void set_focus(size_t index);

    void set_escape_char(uint8_t c) { escape_ = c; }
    bool timestamps() const { return timestamps_; }

    // C-a x: by default requests exit with cause host-qmp-quit.
    static void set_quit_handler(std::function<void()> handler);
    // C-a s: commit -snapshot disks; nothing by default.
    static void set_commit_handler(std::function<void()> handler);

    // Startup ordering, as QEMU does it: main calls hold_open_events()
    // before creating chardevs and release_open_events() once the machine
    // and monitors exist, so every front end of a mux learns the backend
    // is open at the same moment, with the final focus already settled,
    // and a monitor that is not in focus does not print its banner into
    // the serial console. Muxes created afterwards open immediately.
    static void hold_open_events();
    static void release_open_events();

    // The C-a h text, "\n\r" line endings as on a raw terminal.
    static std::string help_text(uint8_t escape = kDefaultEscape);

protected:
    size_t do_write(std::span<const uint8_t> data) override;
    void request_writable_notification() override;
    void frontend_event(ChardevEvent event) override;

private:
    struct Slot {
        CharFrontend* frontend;
        // Input accepted from the backend but not yet by the front end.
        std::vector<uint8_t> pending;
    };
    static constexpr size_t kBufferSize = 32;

    // CharFrontend (towards the backend).
    size_t can_receive() override;
    void receive(std::span<const uint8_t> data) override;
    void event(ChardevEvent event) override;

    void process_byte(uint8_t c);
    void run_escape(uint8_t c);
    void flush_focused();
    std::string timestamp_prefix();

    Chardev& backend_;
    std::vector<Slot> frontends_;
    size_t focus_ = 0;
    uint8_t escape_ = kDefaultEscape;
    bool got_escape_ = false;
    bool timestamps_ = false;
    int64_t timestamps_start_ = 0;
    bool at_line_start_ = true;
    bool events_held_;
};

}  // namespace mimic::chardev
