// HMP: a line-edited command prompt printing QEMU's text layouts.
#pragma once

#include "mimic/main_loop/bottom_half.h"
#include "mimic/monitor/hmp_table.h"
#include "mimic/monitor/line_editor.h"
#include "mimic/monitor/monitor.h"

namespace mimic::monitor {

// QEMU prints "(qemu) ", and expect scripts written for QEMU wait for exactly
// that, so Mimic keeps the prompt; only the banner names Mimic.
inline constexpr const char* kHmpPrompt = "(qemu) ";

class HmpMonitor : public Monitor {
public:
    HmpMonitor(MonitorHub& hub, Output output);

    void open() override;
    void close() override;
    void receive(std::string_view bytes) override;

    // Drops the line being edited and prints a fresh prompt (mux focus returned).
    void restart_line() {
        editor_.reset();
        editor_.show_prompt();
    }

    HmpSession& session() { return session_; }
    const LineEditor& editor() const { return editor_; }
    // While a command's output is still coming, input waits.
    bool accepting_input() const override { return !more_output_; }

private:
    void run_line(const std::string& line);
    // The next piece of a streamed output, from the main loop; the last one
    // ends the command and lets held input through.
    void continue_output();
    // Writes one piece; false when it was the last.
    bool write_next_piece();
    void end_command();
    // Feeds held input to the line editor until a command starts streaming.
    void feed_input();
    std::vector<std::string> complete(std::string_view before_cursor, size_t& word_start) const;

    HmpSession session_;
    LineEditor editor_;
    HmpContext::OutputSource more_output_;
    std::string held_input_;
    BottomHalf output_step_{[this] { continue_output(); }};
};

}  // namespace mimic::monitor
