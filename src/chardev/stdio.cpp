// "stdio": the emulator's own terminal. When stdin is a tty it is switched
// to raw mode so the guest sees every key, and it must be given back to the
// user however we exit: normal shutdown, exit() on a fatal error, a
// termination signal (which goes through the normal shutdown) or a crash
// (the emergency cleanup, hence the async-signal-safe static state).
#include <termios.h>
#include <unistd.h>

#include <memory>

#include "backends.h"
#include "fd_chardev.h"
#include "mimic/main_loop/cleanup.h"
#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

struct SavedTerminal {
    int fd = -1;
    termios settings;
};
SavedTerminal g_saved;  // fd >= 0 while we own the terminal's settings
bool g_stdio_in_use = false;

// Async-signal-safe: tcsetattr and plain loads only.
void restore_terminal(void*) {
    if (g_saved.fd >= 0) tcsetattr(g_saved.fd, TCSANOW, &g_saved.settings);
}

class StdioChardev : public FdChardev {
public:
    StdioChardev(std::string id, int in_fd, int out_fd, bool allow_signals) : FdChardev(std::move(id)) {
        if (g_stdio_in_use) throw Error("cannot use stdio by multiple character devices");
        g_stdio_in_use = true;
        if (isatty(in_fd) && tcgetattr(in_fd, &g_saved.settings) == 0) {
            g_saved.fd = in_fd;
            emergency_slot_ = register_emergency_cleanup(restore_terminal, nullptr);
            cleanup_id_ = register_cleanup([] { restore_terminal(nullptr); });
            // Output processing stays on so guest "\n" still reaches the
            // left margin on a terminal that the guest did not set up.
            make_raw_termios(in_fd, allow_signals, true);
        }
        set_fds(in_fd, out_fd, false);
        set_open(true);
    }

    ~StdioChardev() override {
        restore_terminal(nullptr);
        if (g_saved.fd >= 0) {
            unregister_cleanup(cleanup_id_);
            unregister_emergency_cleanup(emergency_slot_);
            g_saved.fd = -1;
        }
        g_stdio_in_use = false;
    }

    const char* backend_name() const override { return "stdio"; }

private:
    CleanupId cleanup_id_ = 0;
    int emergency_slot_ = -1;
};

}  // namespace

std::unique_ptr<Chardev> create_stdio_on(const std::string& id, int in_fd, int out_fd, bool allow_signals) {
    return std::make_unique<StdioChardev>(id, in_fd, out_fd, allow_signals);
}

std::unique_ptr<Chardev> create_stdio(const std::string& id, const ChardevOptions& options) {
    return create_stdio_on(id, STDIN_FILENO, STDOUT_FILENO, opt_bool(options, "signal").value_or(true));
}

}  // namespace mimic::chardev
