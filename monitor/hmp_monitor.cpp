#include "hmp_monitor.h"

#include "hmp_parser.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/system/runstate.h"

#include <fmt/format.h>

namespace mimic::monitor {

HmpMonitor::HmpMonitor(MonitorHub& hub, Output output)
    : Monitor(hub, Mode::kReadline, std::move(output)),
      editor_([this](std::string_view text) { write(text); }, [this](const std::string& line) { run_line(line); },
              kHmpPrompt) {
    editor_.set_completer([this](std::string_view before, size_t& start) { return complete(before, start); });
}

void HmpMonitor::open() {
    editor_.reset();
    write(fmt::format("Mimic {} monitor - type 'help' for more information\n", version_info().mimic));
    editor_.show_prompt();
}

void HmpMonitor::close() { editor_.reset(); }

void HmpMonitor::receive(std::string_view bytes) { editor_.feed(bytes); }

void HmpMonitor::run_line(const std::string& line) {
    session_.history = editor_.history();
    HmpContext context(hub_, this, session_);
    run_hmp_line(line, context);
    write(context.output);
    // After `quit` the monitor stays silent, as QEMU's (it suspends itself).
    if (!hub_.run_control().shutdown_pending()) editor_.show_prompt();
}

std::vector<std::string> HmpMonitor::complete(std::string_view before_cursor, size_t& word_start) const {
    // Split into words; the last one (possibly empty) is being completed.
    std::vector<std::string_view> words;
    size_t pos = 0;
    while (pos < before_cursor.size()) {
        while (pos < before_cursor.size() && before_cursor[pos] == ' ') ++pos;
        size_t start = pos;
        while (pos < before_cursor.size() && before_cursor[pos] != ' ') ++pos;
        if (pos > start) words.push_back(before_cursor.substr(start, pos - start));
    }
    if (before_cursor.empty() || before_cursor.back() == ' ') words.push_back({});
    std::string_view current = words.back();
    word_start = before_cursor.size() - current.size();
    const HmpTable& table = hub_.hmp();
    if (words.size() == 1) return table.complete_command(current);
    if (words.size() == 2 && words[0] == "info") return table.complete_info(current);
    if (words.size() == 2 && words[0] == "help") return table.complete_command(current);
    return {};
}

}  // namespace mimic::monitor
