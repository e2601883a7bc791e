#include "mimic/chardev/mux.h"

#include <regex>

#include "test_util.h"

using namespace mimic;
using namespace mimic::chardev;
using namespace mimic::chardev::testing;

namespace {

// A backend the test types into and reads the output of.
class FakeBackend : public Chardev {
public:
    FakeBackend() : Chardev("fake") { set_open(true); }
    const char* backend_name() const override { return "fake"; }
    void type(std::string_view keys) {
        // Feed as the real backends do: no more than the front end takes.
        while (!keys.empty()) {
            size_t n = std::min(keys.size(), frontend_can_receive());
            if (n == 0) break;
            frontend_receive(std::span(reinterpret_cast<const uint8_t*>(keys.data()), n));
            keys.remove_prefix(n);
        }
    }
    std::string output;

protected:
    size_t do_write(std::span<const uint8_t> data) override {
        output.append(data.begin(), data.end());
        return data.size();
    }
};

class MuxTest : public ChardevTest {
protected:
    void SetUp() override {
        MuxChardev::set_quit_handler([this] { quits++; });
        mux.attach(&serial);
        mux.attach(&monitor);  // newest takes focus
    }
    void TearDown() override {
        mux.detach(&serial);
        mux.detach(&monitor);
        MuxChardev::set_quit_handler([] { request_exit(ShutdownCause::kHostQmpQuit); });
    }
    FakeBackend backend;
    MuxChardev mux{"serial0", backend};
    RecordingFrontend serial, monitor;
    int quits = 0;
};

TEST_F(MuxTest, FocusAndEvents) {
    EXPECT_EQ(mux.frontend_count(), 2u);
    EXPECT_EQ(mux.focus(), 1u);
    EXPECT_EQ(serial.count(ChardevEvent::kOpened), 1u);
    EXPECT_EQ(serial.count(ChardevEvent::kMuxOut), 1u);
    EXPECT_EQ(monitor.count(ChardevEvent::kMuxIn), 1u);
    EXPECT_EQ(mux.filename(), "mux");
    EXPECT_TRUE(mux.in_use());
}

TEST_F(MuxTest, InputGoesToFocusedFrontend) {
    backend.type("info");
    EXPECT_EQ(monitor.received, "info");
    EXPECT_EQ(serial.received, "");
}

TEST_F(MuxTest, SwitchWithCtrlAC) {
    backend.type("\x01" "c");
    EXPECT_EQ(mux.focus(), 0u);
    EXPECT_EQ(monitor.count(ChardevEvent::kMuxOut), 1u);
    EXPECT_EQ(serial.count(ChardevEvent::kMuxIn), 2u);  // once when attached
    backend.type("ls\r");
    EXPECT_EQ(serial.received, "ls\r");
    backend.type("\x01" "c");
    EXPECT_EQ(mux.focus(), 1u);
}

TEST_F(MuxTest, QuitPrintsTerminatedAndCallsHook) {
    backend.type("\x01x");
    EXPECT_EQ(quits, 1);
    EXPECT_EQ(backend.output, "Mimic: Terminated\n\r");
    EXPECT_EQ(monitor.received, "");
}

TEST_F(MuxTest, Help) {
    backend.type("\x01h");
    EXPECT_EQ(backend.output,
              "\n\r"
              "C-a h    print this help\n\r"
              "C-a x    exit emulator\n\r"
              "C-a s    save disk data back to file (if -snapshot)\n\r"
              "C-a t    toggle console timestamps\n\r"
              "C-a b    send break (magic sysrq)\n\r"
              "C-a c    switch between console and monitor\n\r"
              "C-a C-a  sends C-a\n\r");
    backend.output.clear();
    backend.type("\x01?");
    EXPECT_EQ(backend.output, MuxChardev::help_text());
}

TEST_F(MuxTest, LiteralEscapeBreakAndUnknown) {
    backend.type("a\x01\x01" "b");
    EXPECT_EQ(monitor.received, "a\x01" "b");
    backend.type("\x01" "b");
    EXPECT_EQ(monitor.count(ChardevEvent::kBreak), 1u);
    EXPECT_EQ(serial.count(ChardevEvent::kBreak), 0u);
    backend.type("\x01zq");
    EXPECT_EQ(monitor.received, "a\x01" "bq");
}

TEST_F(MuxTest, EscapeSplitAcrossReads) {
    backend.type("\x01");
    backend.type("c");
    EXPECT_EQ(mux.focus(), 0u);
}

TEST_F(MuxTest, OutputFromAllFrontends) {
    mux.write("serial out\n");
    mux.write_all("(qemu) ");
    EXPECT_EQ(backend.output, "serial out\n(qemu) ");
}

TEST_F(MuxTest, Timestamps) {
    backend.type("\x01t");
    EXPECT_TRUE(mux.timestamps());
    mux.write("end of line\nnext\n");
    EXPECT_TRUE(std::regex_match(backend.output,
                                 std::regex(R"(end of line\n\[00:00:00\.\d{3}\] next\n)")))
        << backend.output;
}

TEST_F(MuxTest, BuffersWhileFrontendFull) {
    monitor.capacity = 2;
    backend.type("abcdef");  // 2 delivered, the mux buffers the rest
    EXPECT_EQ(monitor.received, "ab");
    monitor.consumed = 2;
    mux.accept_input();
    EXPECT_EQ(monitor.received, "abcd");
    // Escapes still work while the front end is stalled.
    backend.type("\x01" "c");
    EXPECT_EQ(mux.focus(), 0u);
}

TEST_F(MuxTest, BackendConnectionEventsReachAll) {
    FakeBackend other;
    MuxChardev m("m", other);
    RecordingFrontend a, b;
    m.attach(&a);
    m.attach(&b);
    EXPECT_EQ(a.count(ChardevEvent::kOpened), 1u);
    EXPECT_EQ(b.count(ChardevEvent::kOpened), 1u);
    m.detach(&a);
    m.detach(&b);
}

TEST(MuxHelp, OtherEscapeChar) {
    EXPECT_NE(MuxChardev::help_text(0x02).find("C-b x    exit emulator"), std::string::npos);
    EXPECT_EQ(MuxChardev::help_text(0x02).substr(MuxChardev::help_text(0x02).size() - 20), "C-b C-b  sends C-b\n\r");
    std::string odd = MuxChardev::help_text(0x1d);
    EXPECT_TRUE(odd.starts_with("\n\rEscape-Char set to Ascii: 0x1d\n\r\n\rEscape-Char h    print this help\n\r"));
    EXPECT_TRUE(odd.ends_with("Escape-Char Escape-Char  sends Escape-Char\n\r"));
}

TEST_F(ChardevTest, MuxOpenEventsHeldUntilReleased) {
    MuxChardev::hold_open_events();
    FakeBackend backend;
    MuxChardev mux("held", backend);
    RecordingFrontend monitor, serial;
    mux.attach(&monitor);
    mux.attach(&serial);
    EXPECT_EQ(monitor.count(ChardevEvent::kOpened), 0u);
    EXPECT_EQ(serial.count(ChardevEvent::kOpened), 0u);
    MuxChardev::release_open_events();
    EXPECT_EQ(monitor.count(ChardevEvent::kOpened), 1u);
    EXPECT_EQ(serial.count(ChardevEvent::kOpened), 1u);
    // Later front ends open at once.
    RecordingFrontend late;
    mux.attach(&late);
    EXPECT_EQ(late.count(ChardevEvent::kOpened), 1u);
    mux.detach(&monitor);
    mux.detach(&serial);
    mux.detach(&late);
}

}  // namespace
