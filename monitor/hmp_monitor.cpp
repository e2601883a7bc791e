#include "hmp_monitor.h"

#include "hmp_parser.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/system/runstate.h"
#include "mimic/util/error.h"

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

void HmpMonitor::close() {
    // A client that goes away takes its command's remaining output with it.
    more_output_ = nullptr;
    output_step_.cancel();
    held_input_.clear();
    editor_.reset();
}

void HmpMonitor::receive(std::string_view bytes) {
    held_input_.append(bytes);
    feed_input();
}

void HmpMonitor::feed_input() {
    // Byte by byte: a line that starts a streamed output holds back what
    // was typed after it until that output is complete.
    size_t used = 0;
    while (used < held_input_.size() && !more_output_) editor_.feed(std::string_view(held_input_).substr(used++, 1));
    held_input_.erase(0, used);
}

void HmpMonitor::run_line(const std::string& line) {
    session_.history = editor_.history();
    HmpContext context(hub_, this, session_);
    run_hmp_line(line, context);
    write(context.output);
    if (context.password_request) {
        editor_.read_secret("Password: ", [this, handler = std::move(context.password_request)](const std::string& secret) {
            HmpContext answer(hub_, this, session_);
            try {
                handler(secret, answer);
            } catch (const Error& e) {
                answer.print("Error: {}\n", e.what());
            }
            write(answer.output);
            end_command();
        });
        return;
    }
    more_output_ = std::move(context.more_output);
    if (more_output_ && write_next_piece()) {
        // The rest on later turns of the main loop: the VM and the other
        // monitors run between pieces.
        output_step_.schedule();
        return;
    }
    more_output_ = nullptr;
    end_command();
}

void HmpMonitor::continue_output() {
    if (!more_output_) return;
    if (write_next_piece()) {
        output_step_.schedule();
        return;
    }
    more_output_ = nullptr;
    end_command();
    feed_input();
}

bool HmpMonitor::write_next_piece() {
    std::string piece;
    bool more;
    try {
        more = more_output_(piece);
    } catch (const Error& e) {
        piece += fmt::format("Error: {}\n", e.what());
        more = false;
    }
    write(piece);
    return more;
}

void HmpMonitor::end_command() {
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
