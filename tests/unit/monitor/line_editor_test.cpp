#include "mimic/monitor/line_editor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using mimic::monitor::LineEditor;
using namespace std::string_view_literals;

namespace {

class LineEditorTest : public ::testing::Test {
protected:
    LineEditorTest()
        : editor([this](std::string_view text) { screen += text; },
                 [this](const std::string& line) { lines.push_back(line); }) {
        editor.set_completer([](std::string_view before, size_t& start) {
            start = before.rfind(' ') == std::string_view::npos ? 0 : before.rfind(' ') + 1;
            std::vector<std::string> all = {"info", "stop", "system_reset", "system_powerdown"};
            std::vector<std::string> matches;
            for (const std::string& word : all) {
                if (word.compare(0, before.size() - start, before.substr(start)) == 0) matches.push_back(word);
            }
            return matches;
        });
    }

    std::string screen;
    std::vector<std::string> lines;
    LineEditor editor;
};

constexpr const char* kLeft = "\033[D";
constexpr const char* kRight = "\033[C";
constexpr const char* kUp = "\033[A";
constexpr const char* kDown = "\033[B";
constexpr const char* kHome = "\033[1~";
constexpr const char* kEnd = "\033[4~";
constexpr const char* kDelete = "\033[3~";

}  // namespace

TEST_F(LineEditorTest, TypingEchoesAndEnterDelivers) {
    editor.show_prompt();
    editor.feed("stop\r");
    EXPECT_EQ(screen, "(qemu) stop\n");
    EXPECT_EQ(lines, std::vector<std::string>{"stop"});
}

TEST_F(LineEditorTest, CursorMovementAndInsertion) {
    editor.feed("sop");
    editor.feed(kLeft);
    editor.feed(kLeft);
    editor.feed("t");
    EXPECT_EQ(editor.line(), "stop");
    EXPECT_EQ(editor.cursor(), 2u);
    editor.feed(kHome);
    EXPECT_EQ(editor.cursor(), 0u);
    editor.feed(kEnd);
    EXPECT_EQ(editor.cursor(), 4u);
    editor.feed("\x01");  // C-a
    EXPECT_EQ(editor.cursor(), 0u);
    editor.feed("\x05");  // C-e
    EXPECT_EQ(editor.cursor(), 4u);
    editor.feed("\x02\x02\x06");  // C-b C-b C-f
    EXPECT_EQ(editor.cursor(), 3u);
    editor.feed("\033OH");  // SS3 Home
    EXPECT_EQ(editor.cursor(), 0u);
    editor.feed("\033[F");  // Home/End as xterm sends them
    EXPECT_EQ(editor.cursor(), 4u);
    editor.feed(kRight);    // at the end: no movement
    EXPECT_EQ(editor.cursor(), 4u);
}

TEST_F(LineEditorTest, RedrawSequences) {
    editor.feed("ab");
    screen.clear();
    editor.feed(kLeft);
    EXPECT_EQ(screen, "\033[1D");
    screen.clear();
    editor.feed("X");  // insert in the middle: redraw from the start of the line
    EXPECT_EQ(screen, "\033[1DaXb\033[K\033[1D");
    EXPECT_EQ(editor.line(), "aXb");
}

TEST_F(LineEditorTest, Deletion) {
    editor.feed("info status");
    editor.feed("\x7f\x7f");  // DEL twice
    EXPECT_EQ(editor.line(), "info stat");
    editor.feed("\x08");  // C-h
    EXPECT_EQ(editor.line(), "info sta");
    editor.feed(kHome);
    editor.feed(kDelete);
    EXPECT_EQ(editor.line(), "nfo sta");
    editor.feed("\x04");  // C-d
    EXPECT_EQ(editor.line(), "fo sta");
    editor.feed(kRight);
    editor.feed(kRight);
    editor.feed("\x0b");  // C-k
    EXPECT_EQ(editor.line(), "fo");
    editor.feed(" bar baz");
    editor.feed("\x17");  // C-w
    EXPECT_EQ(editor.line(), "fo bar ");
    editor.feed("\x15");  // C-u
    EXPECT_EQ(editor.line(), "");
    editor.feed("\x7f");  // nothing left to delete
    EXPECT_EQ(editor.line(), "");
}

TEST_F(LineEditorTest, HistoryUpDown) {
    editor.feed("one\rtwo\rthree\r");
    editor.feed("dra");
    editor.feed(kUp);
    EXPECT_EQ(editor.line(), "three");
    editor.feed(kUp);
    EXPECT_EQ(editor.line(), "two");
    editor.feed("\x10");  // C-p
    EXPECT_EQ(editor.line(), "one");
    editor.feed(kUp);     // stays at the oldest
    EXPECT_EQ(editor.line(), "one");
    editor.feed(kDown);
    EXPECT_EQ(editor.line(), "two");
    editor.feed("\x0e");  // C-n
    EXPECT_EQ(editor.line(), "three");
    editor.feed(kDown);   // back to the line being typed
    EXPECT_EQ(editor.line(), "dra");
    editor.feed("\x15");
    editor.feed(kUp);
    editor.feed("\r");
    EXPECT_EQ(lines.back(), "three");
    // A repeated line moves to the end instead of being stored twice.
    EXPECT_EQ(editor.history(), (std::vector<std::string>{"one", "two", "three"}));
    editor.feed("one\r");
    EXPECT_EQ(editor.history(), (std::vector<std::string>{"two", "three", "one"}));
    editor.feed("\r");  // empty lines are delivered but not remembered
    EXPECT_EQ(lines.back(), "");
    EXPECT_EQ(editor.history().size(), 3u);
}

TEST_F(LineEditorTest, HistoryIsBounded) {
    for (int i = 0; i < 100; ++i) editor.feed("cmd" + std::to_string(i) + "\r");
    EXPECT_EQ(editor.history().size(), LineEditor::kMaxHistory);
    EXPECT_EQ(editor.history().back(), "cmd99");
}

TEST_F(LineEditorTest, TabCompletesUniqueMatch) {
    editor.feed("in\t");
    EXPECT_EQ(editor.line(), "info ");
}

TEST_F(LineEditorTest, TabListsSeveralMatches) {
    editor.show_prompt();
    editor.feed("sys\t");
    EXPECT_EQ(editor.line(), "system_");
    EXPECT_NE(screen.find("\nsystem_powerdown  system_reset      \n(qemu) system_"), std::string::npos) << screen;
    editor.feed("r\t");
    EXPECT_EQ(editor.line(), "system_reset ");
}

TEST_F(LineEditorTest, CrLfAndCrNulAreOneEnter) {
    editor.feed("a\r\nb\r\0c\n"sv);
    EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(LineEditorTest, UnknownEscapesAreIgnored) {
    editor.feed("a\033[5~\033[1;5Cb\033Zc");
    EXPECT_EQ(editor.line(), "abc");
}
