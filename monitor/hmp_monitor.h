// HMP: a line-edited command prompt printing QEMU's text layouts.
#pragma once

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

private:
    void run_line(const std::string& line);
    std::vector<std::string> complete(std::string_view before_cursor, size_t& word_start) const;

    HmpSession session_;
    LineEditor editor_;
};

}  // namespace mimic::monitor
