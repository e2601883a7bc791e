// A small readline for HMP on terminals: line editing, history, completion.
//
// It works on a byte stream in both directions, so it runs over stdio,
// telnet, a unix socket or a serial mux alike: keys arrive as bytes (VT100 /
// xterm escape sequences for the arrow, Home, End and Delete keys) and the
// screen is updated with ANSI cursor movements, like QEMU's readline.
//
// Keys: printable characters insert; Backspace/DEL and C-h delete left;
// C-d and Delete delete under the cursor; Left/Right, C-b/C-f move; Home,
// End, C-a, C-e jump; C-k kills to the end, C-u to the start, C-w the word
// before the cursor; Up/Down and C-p/C-n walk the history; Tab completes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::monitor {

class LineEditor {
public:
    using Output = std::function<void(std::string_view text)>;
    using LineHandler = std::function<void(const std::string& line)>;
    // Given the text left of the cursor, returns candidates for the word being
    // typed and sets `word_start` to where that word begins.
    using Completer = std::function<std::vector<std::string>(std::string_view before_cursor, size_t& word_start)>;

    static constexpr size_t kMaxHistory = 64;
    static constexpr size_t kMaxLine = 4096;

    LineEditor(Output output, LineHandler on_line, std::string prompt = "(qemu) ");

    void set_completer(Completer completer) { completer_ = std::move(completer); }
    void show_prompt();
    // The next line is a secret (a password): `prompt` instead of the usual
    // one, '*' echoed for each character, kept out of the history, and
    // handed to `handler` instead of the line handler. Shows the prompt.
    void read_secret(std::string prompt, LineHandler handler);
    void feed(std::string_view bytes);
    // Forgets the line being edited and any half-received escape sequence.
    void reset();

    const std::string& line() const { return buffer_; }
    size_t cursor() const { return cursor_; }
    const std::vector<std::string>& history() const { return history_; }

private:
    enum class State { kNormal, kEscape, kCsi, kSs3 };

    void handle_byte(unsigned char c);
    void handle_csi(char final);
    void insert(char c);
    void erase(size_t from, size_t to);
    void enter();
    void history_move(int direction);
    void complete();
    // Brings the screen in line with buffer_/cursor_.
    void refresh();

    Output output_;
    LineHandler on_line_;
    LineHandler secret_handler_;  // set while a secret is being read
    std::string saved_prompt_;
    Completer completer_;
    std::string prompt_;
    State state_ = State::kNormal;
    int csi_param_ = 0;
    bool last_was_cr_ = false;

    std::string buffer_;
    size_t cursor_ = 0;
    std::string shown_;      // what the screen shows after the prompt
    size_t shown_cursor_ = 0;

    std::vector<std::string> history_;
    int history_index_ = -1;  // -1: editing a new line
    std::string saved_line_;  // the new line while browsing history
};

}  // namespace mimic::monitor
