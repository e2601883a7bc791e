#include "mimic/monitor/line_editor.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace mimic::monitor {

LineEditor::LineEditor(Output output, LineHandler on_line, std::string prompt)
    : output_(std::move(output)), on_line_(std::move(on_line)), prompt_(std::move(prompt)) {}

void LineEditor::show_prompt() {
    output_(prompt_);
    shown_.clear();
    shown_cursor_ = 0;
    refresh();
}

void LineEditor::read_secret(std::string prompt, LineHandler handler) {
    saved_prompt_ = std::exchange(prompt_, std::move(prompt));
    secret_handler_ = std::move(handler);
    buffer_.clear();
    cursor_ = 0;
    show_prompt();
}

void LineEditor::reset() {
    if (secret_handler_) {
        secret_handler_ = nullptr;
        prompt_ = saved_prompt_;
    }
    state_ = State::kNormal;
    buffer_.clear();
    cursor_ = 0;
    shown_.clear();
    shown_cursor_ = 0;
    history_index_ = -1;
    last_was_cr_ = false;
}

void LineEditor::feed(std::string_view bytes) {
    for (char c : bytes) handle_byte(static_cast<unsigned char>(c));
}

void LineEditor::handle_byte(unsigned char c) {
    // Telnet and terminals in CRLF mode send "\r\n" or "\r\0" for Enter.
    bool after_cr = last_was_cr_;
    last_was_cr_ = c == '\r';
    if (after_cr && (c == '\n' || c == '\0')) return;

    switch (state_) {
        case State::kEscape:
            if (c == '[') {
                state_ = State::kCsi;
                csi_param_ = 0;
            } else if (c == 'O') {
                state_ = State::kSs3;
            } else {
                state_ = State::kNormal;
            }
            return;
        case State::kCsi:
            if (c >= '0' && c <= '9') {
                csi_param_ = std::min(csi_param_ * 10 + (c - '0'), 1000);
                return;
            }
            if (c == ';') return;  // modifiers (Ctrl-Left ...) are ignored
            state_ = State::kNormal;
            handle_csi(static_cast<char>(c));
            return;
        case State::kSs3:
            state_ = State::kNormal;
            handle_csi(static_cast<char>(c));
            return;
        case State::kNormal:
            break;
    }

    switch (c) {
        case 1: cursor_ = 0; break;                            // C-a
        case 2: if (cursor_ > 0) --cursor_; break;            // C-b
        case 4: if (cursor_ < buffer_.size()) erase(cursor_, cursor_ + 1); break;  // C-d
        case 5: cursor_ = buffer_.size(); break;               // C-e
        case 6: if (cursor_ < buffer_.size()) ++cursor_; break;  // C-f
        case 8:
        case 127:
            if (cursor_ > 0) erase(cursor_ - 1, cursor_);
            break;
        case 9: complete(); return;
        case 10:
        case 13: enter(); return;
        case 11: erase(cursor_, buffer_.size()); break;        // C-k
        case 14: history_move(+1); break;                      // C-n
        case 16: history_move(-1); break;                      // C-p
        case 21: erase(0, cursor_); break;                     // C-u
        case 23: {                                             // C-w
            size_t start = cursor_;
            while (start > 0 && buffer_[start - 1] == ' ') --start;
            while (start > 0 && buffer_[start - 1] != ' ') --start;
            erase(start, cursor_);
            break;
        }
        case 27: state_ = State::kEscape; return;
        case 0x9B: state_ = State::kCsi; csi_param_ = 0; return;  // 8-bit CSI
        default:
            if (c >= 32 && c != 127) insert(static_cast<char>(c));
            break;
    }
    refresh();
}

void LineEditor::handle_csi(char final) {
    switch (final) {
        case 'A': history_move(-1); break;
        case 'B': history_move(+1); break;
        case 'C': if (cursor_ < buffer_.size()) ++cursor_; break;
        case 'D': if (cursor_ > 0) --cursor_; break;
        case 'H': cursor_ = 0; break;
        case 'F': cursor_ = buffer_.size(); break;
        case '~':
            switch (csi_param_) {
                case 1: case 7: cursor_ = 0; break;
                case 4: case 8: cursor_ = buffer_.size(); break;
                case 3: if (cursor_ < buffer_.size()) erase(cursor_, cursor_ + 1); break;
                default: break;
            }
            break;
        default: break;
    }
    refresh();
}

void LineEditor::insert(char c) {
    if (buffer_.size() >= kMaxLine) return;
    buffer_.insert(buffer_.begin() + static_cast<std::ptrdiff_t>(cursor_), c);
    ++cursor_;
}

void LineEditor::erase(size_t from, size_t to) {
    buffer_.erase(from, to - from);
    cursor_ = from;
}

void LineEditor::enter() {
    std::string line = std::move(buffer_);
    buffer_.clear();
    cursor_ = 0;
    output_("\n");
    shown_.clear();
    shown_cursor_ = 0;
    history_index_ = -1;
    if (secret_handler_) {
        LineHandler handler = std::move(secret_handler_);
        secret_handler_ = nullptr;
        prompt_ = saved_prompt_;
        handler(line);
        return;
    }
    if (!line.empty()) {
        // A repeated command moves to the end rather than appearing twice.
        auto it = std::find(history_.begin(), history_.end(), line);
        if (it != history_.end()) history_.erase(it);
        history_.push_back(line);
        if (history_.size() > kMaxHistory) history_.erase(history_.begin());
    }
    on_line_(line);
}

void LineEditor::history_move(int direction) {
    if (history_.empty() || secret_handler_) return;
    int last = static_cast<int>(history_.size()) - 1;
    if (direction < 0) {
        if (history_index_ == -1) {
            saved_line_ = buffer_;
            history_index_ = last;
        } else if (history_index_ > 0) {
            --history_index_;
        } else {
            return;
        }
        buffer_ = history_[history_index_];
    } else {
        if (history_index_ == -1) return;
        if (history_index_ < last) {
            buffer_ = history_[++history_index_];
        } else {
            history_index_ = -1;
            buffer_ = saved_line_;
        }
    }
    cursor_ = buffer_.size();
}

void LineEditor::complete() {
    if (secret_handler_) return;  // nothing to complete in a password
    if (!completer_) return;
    size_t word_start = cursor_;
    std::vector<std::string> candidates = completer_(std::string_view(buffer_).substr(0, cursor_), word_start);
    if (candidates.empty()) return;
    size_t typed = cursor_ - word_start;
    if (candidates.size() == 1) {
        for (size_t i = typed; i < candidates[0].size(); ++i) insert(candidates[0][i]);
        insert(' ');
        refresh();
        return;
    }
    std::sort(candidates.begin(), candidates.end());
    // Extend the word by what all candidates share, then list them.
    size_t common = candidates[0].size();
    for (const std::string& candidate : candidates) {
        size_t i = 0;
        while (i < common && i < candidate.size() && candidate[i] == candidates[0][i]) ++i;
        common = i;
    }
    for (size_t i = typed; i < common; ++i) insert(candidates[0][i]);
    size_t width = 0;
    for (const std::string& candidate : candidates) width = std::max(width, candidate.size());
    width = std::min<size_t>(width + 2, 80);
    size_t columns = std::max<size_t>(80 / width, 1);
    std::string listing = "\n";
    for (size_t i = 0; i < candidates.size(); ++i) {
        listing += fmt::format("{:<{}}", candidates[i], width);
        if ((i + 1) % columns == 0 || i + 1 == candidates.size()) listing += "\n";
    }
    output_(listing);
    show_prompt();
}

void LineEditor::refresh() {
    // A secret shows as stars.
    const std::string view = secret_handler_ ? std::string(buffer_.size(), '*') : buffer_;
    std::string out;
    if (view != shown_) {
        if (shown_cursor_ == shown_.size() && cursor_ == view.size() && view.size() > shown_.size() &&
            view.compare(0, shown_.size(), shown_) == 0) {
            // Typing at the end: just echo.
            out = view.substr(shown_.size());
        } else {
            // Redraw the line from its start and clear what is left over.
            if (shown_cursor_ > 0) out += fmt::format("\033[{}D", shown_cursor_);
            out += view;
            out += "\033[K";
            if (cursor_ < view.size()) out += fmt::format("\033[{}D", view.size() - cursor_);
        }
    } else if (cursor_ > shown_cursor_) {
        out = fmt::format("\033[{}C", cursor_ - shown_cursor_);
    } else if (cursor_ < shown_cursor_) {
        out = fmt::format("\033[{}D", shown_cursor_ - cursor_);
    }
    shown_ = view;
    shown_cursor_ = cursor_;
    if (!out.empty()) output_(out);
}

}  // namespace mimic::monitor
