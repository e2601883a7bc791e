// file, pipe, pty and stdio backends.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "backends.h"
#include "mimic/chardev/registry.h"
#include "mimic/main_loop/cleanup.h"
#include "mimic/util/error.h"
#include "test_util.h"

using namespace mimic;
using namespace mimic::chardev;
using namespace mimic::chardev::testing;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string error_of(const ChardevOptions& o) {
    try {
        create_backend(o);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

// Reads from a non-blocking fd until `want` bytes arrived or 5 s passed.
std::string read_some(int fd, size_t want) {
    std::string got;
    int64_t start = clock_get_ns(Clock::kRealtime);
    while (got.size() < want && clock_get_ns(Clock::kRealtime) - start < 5 * kNsPerSec) {
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0) continue;
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) got.append(buf, n);
        if (n == 0) break;
    }
    return got;
}

using FileBackend = ChardevTest;

TEST_F(FileBackend, WritesTruncatesAndAppends) {
    TempDir dir;
    std::string path = dir.file("out.txt");
    {
        auto c = create_backend({{"backend", "file"}, {"id", "f"}, {"path", path}});
        EXPECT_TRUE(c->is_open());
        EXPECT_EQ(c->write("hello "), 6u);
        EXPECT_TRUE(c->write_all("world"));
        EXPECT_EQ(c->filename(), "file");
    }
    EXPECT_EQ(slurp(path), "hello world");
    {
        auto c = create_backend({{"backend", "file"}, {"id", "f"}, {"path", path}, {"append", "on"}});
        c->write("!");
    }
    EXPECT_EQ(slurp(path), "hello world!");
    {
        auto c = create_backend({{"backend", "file"}, {"id", "f"}, {"path", path}});
    }
    EXPECT_EQ(slurp(path), "");
}

TEST_F(FileBackend, InputPath) {
    TempDir dir;
    {
        std::ofstream in(dir.file("in.txt"));
        in << "scripted input";
    }
    auto c = create_backend({{"backend", "file"}, {"id", "f"}, {"path", dir.file("out.txt")},
                             {"input-path", dir.file("in.txt")}});
    RecordingFrontend fe;
    c->attach(&fe);
    EXPECT_TRUE(spin_until([&] { return fe.received == "scripted input"; }));
    c->detach(&fe);
}

TEST_F(FileBackend, Errors) {
    EXPECT_EQ(error_of({{"backend", "file"}, {"id", "f"}, {"path", "/nonexistent/dir/x"}}),
              "Could not open '/nonexistent/dir/x': No such file or directory");
    EXPECT_EQ(error_of({{"backend", "file"}, {"id", "f"}}), "chardev: file: no filename given");
    EXPECT_EQ(error_of({{"backend", "file"}, {"id", "f"}, {"path", "/tmp/x"}, {"bogus", "1"}}),
              "Invalid parameter 'bogus'");
}

TEST_F(FileBackend, Logfile) {
    TempDir dir;
    auto c = create_backend({{"backend", "null"}, {"id", "n"}, {"logfile", dir.file("log")}});
    c->write("logged");
    c.reset();
    EXPECT_EQ(slurp(dir.file("log")), "logged");
}

using PipeBackend = ChardevTest;

TEST_F(PipeBackend, FifoPairRoundTrip) {
    TempDir dir;
    std::string base = dir.file("guest");
    ASSERT_EQ(mkfifo((base + ".in").c_str(), 0600), 0);
    ASSERT_EQ(mkfifo((base + ".out").c_str(), 0600), 0);
    auto c = create_backend({{"backend", "pipe"}, {"id", "p"}, {"path", base}});
    RecordingFrontend fe;
    c->attach(&fe);
    EXPECT_EQ(fe.count(ChardevEvent::kOpened), 1u);

    int to_guest = open((base + ".in").c_str(), O_WRONLY | O_NONBLOCK);
    int from_guest = open((base + ".out").c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(to_guest, 0);
    ASSERT_GE(from_guest, 0);
    ASSERT_EQ(write(to_guest, "ping", 4), 4);
    EXPECT_TRUE(spin_until([&] { return fe.received == "ping"; }));
    EXPECT_TRUE(c->write_all("pong"));
    EXPECT_EQ(read_some(from_guest, 4), "pong");
    close(to_guest);
    close(from_guest);
    c->detach(&fe);
}

TEST_F(PipeBackend, SingleFifoFallbackAndError) {
    TempDir dir;
    std::string path = dir.file("both");
    ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    auto c = create_backend({{"backend", "pipe"}, {"id", "p"}, {"path", path}});
    EXPECT_TRUE(c->is_open());
    EXPECT_EQ(error_of({{"backend", "pipe"}, {"id", "p"}, {"path", dir.file("missing")}}),
              "Could not open '" + dir.file("missing") + "': No such file or directory");
}

TEST_F(PipeBackend, InputPacedByFrontend) {
    TempDir dir;
    std::string path = dir.file("paced");
    ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    auto c = create_backend({{"backend", "pipe"}, {"id", "p"}, {"path", path}});
    RecordingFrontend fe;
    fe.capacity = 3;  // a tiny UART FIFO
    c->attach(&fe);
    int w = open(path.c_str(), O_WRONLY | O_NONBLOCK);
    ASSERT_EQ(write(w, "abcdefgh", 8), 8);
    spin_for(30 * kNsPerMs);
    EXPECT_EQ(fe.received, "abc");
    fe.consumed = 3;  // the guest drained its FIFO
    c->accept_input();
    EXPECT_TRUE(spin_until([&] { return fe.received == "abcdef"; }));
    fe.consumed = 6;
    EXPECT_TRUE(spin_until([&] { return fe.received == "abcdefgh"; }));
    close(w);
    c->detach(&fe);
}

using PtyBackend = ChardevTest;

TEST_F(PtyBackend, CreatesUsablePty) {
    std::string notice;
    set_report_sink([&](ReportKind kind, const std::string& text) {
        if (kind == ReportKind::kNotice) notice = text;
    });
    auto c = create_backend({{"backend", "pty"}, {"id", "serial0"}});
    set_report_sink(nullptr);
    std::string name = c->filename().substr(4);
    ASSERT_EQ(c->filename().substr(0, 9), "pty:/dev/");
    EXPECT_EQ(notice, "char device redirected to " + name + " (label serial0)");

    RecordingFrontend fe;
    c->attach(&fe);
    EXPECT_FALSE(c->is_open());  // nobody on the other side yet
    EXPECT_EQ(c->write("dropped"), 7u);

    int slave = open(name.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
    ASSERT_GE(slave, 0);
    EXPECT_TRUE(spin_until([&] { return c->is_open(); }));
    EXPECT_EQ(fe.count(ChardevEvent::kOpened), 1u);
    ASSERT_EQ(write(slave, "typed\r", 6), 6);
    EXPECT_TRUE(spin_until([&] { return fe.received == "typed\r"; }));  // raw: CR kept
    EXPECT_TRUE(c->write_all("from guest\n"));
    EXPECT_EQ(read_some(slave, 11), "from guest\n");  // raw: no CRLF added

    close(slave);
    EXPECT_TRUE(spin_until([&] { return !c->is_open(); }));
    EXPECT_EQ(fe.count(ChardevEvent::kClosed), 1u);
    c->detach(&fe);
}

TEST_F(PtyBackend, PathSymlink) {
    TempDir dir;
    std::string link = dir.file("guest-tty");
    set_report_sink([](ReportKind, const std::string&) {});
    auto c = create_backend({{"backend", "pty"}, {"id", "p"}, {"path", link}});
    set_report_sink(nullptr);
    char target[256] = {};
    ASSERT_GT(readlink(link.c_str(), target, sizeof target - 1), 0);
    EXPECT_EQ("pty:" + std::string(target), c->filename());
    c.reset();
    EXPECT_NE(access(link.c_str(), F_OK), 0);
}

TEST_F(PtyBackend, HostSerialDeviceBackend) {
    // A pty slave stands in for /dev/ttyS0.
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    ASSERT_GE(master, 0);
    ASSERT_EQ(grantpt(master), 0);
    ASSERT_EQ(unlockpt(master), 0);
    std::string path = ptsname(master);
    auto c = create_backend({{"backend", "serial"}, {"id", "s"}, {"path", path}});
    EXPECT_EQ(c->filename(), "serial");
    RecordingFrontend fe;
    c->attach(&fe);
    ASSERT_EQ(write(master, "at\r", 3), 3);
    EXPECT_TRUE(spin_until([&] { return fe.received == "at\r"; }));  // raw line
    c->write_all("ok\n");
    EXPECT_EQ(read_some(master, 3), "ok\n");
    c->detach(&fe);
    c.reset();
    close(master);
}

class StdioBackend : public ChardevTest {
protected:
    void SetUp() override {
        master_ = posix_openpt(O_RDWR | O_NOCTTY);
        ASSERT_GE(master_, 0);
        ASSERT_EQ(grantpt(master_), 0);
        ASSERT_EQ(unlockpt(master_), 0);
        slave_ = open(ptsname(master_), O_RDWR | O_NOCTTY);
        ASSERT_GE(slave_, 0);
        ASSERT_EQ(tcgetattr(slave_, &original_), 0);
        // Make sure the "cooked" state really is cooked.
        ASSERT_TRUE(original_.c_lflag & ICANON);
    }
    void TearDown() override {
        close(slave_);
        close(master_);
    }
    termios current() {
        termios t;
        tcgetattr(slave_, &t);
        return t;
    }
    int master_ = -1, slave_ = -1;
    termios original_;
};

TEST_F(StdioBackend, RawModeWithSignalsAndRestore) {
    {
        auto c = create_stdio_on("s", slave_, slave_, true);
        termios t = current();
        EXPECT_FALSE(t.c_lflag & ICANON);
        EXPECT_FALSE(t.c_lflag & ECHO);
        EXPECT_TRUE(t.c_lflag & ISIG);  // signal=on: Ctrl-C still kills
        EXPECT_FALSE(t.c_iflag & ICRNL);
        EXPECT_EQ(c->filename(), "stdio");

        RecordingFrontend fe;
        c->attach(&fe);
        ASSERT_EQ(write(master_, "k\r", 2), 2);
        EXPECT_TRUE(spin_until([&] { return fe.received == "k\r"; }));
        c->detach(&fe);
    }
    termios t = current();
    EXPECT_TRUE(t.c_lflag & ICANON);
    EXPECT_TRUE(t.c_lflag & ECHO);
}

TEST_F(StdioBackend, SignalOffPassesCtrlC) {
    auto c = create_stdio_on("s", slave_, slave_, false);
    EXPECT_FALSE(current().c_lflag & ISIG);
    RecordingFrontend fe;
    c->attach(&fe);
    ASSERT_EQ(write(master_, "\x03", 1), 1);
    EXPECT_TRUE(spin_until([&] { return fe.received == "\x03"; }));
    c->detach(&fe);
}

TEST_F(StdioBackend, CleanupRegistryRestoresTerminal) {
    auto c = create_stdio_on("s", slave_, slave_, true);
    EXPECT_FALSE(current().c_lflag & ICANON);
    run_cleanups();  // what exit() and main's shutdown path do
    EXPECT_TRUE(current().c_lflag & ICANON);
}

TEST_F(StdioBackend, OnlyOne) {
    auto c = create_stdio_on("s", slave_, slave_, true);
    try {
        create_stdio_on("t", slave_, slave_, true);
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "cannot use stdio by multiple character devices");
    }
}

}  // namespace
