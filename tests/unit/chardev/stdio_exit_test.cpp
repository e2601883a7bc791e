// The terminal comes back however the emulator ends: SIGTERM through the
// main loop's clean shutdown, or a crash through the emergency cleanup.
// Each case runs in a forked child that owns a pty as its "stdio".
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "backends.h"
#include "mimic/main_loop/cleanup.h"
#include "mimic/main_loop/signals.h"
#include "test_util.h"

using namespace mimic;
using namespace mimic::chardev;
using namespace mimic::chardev::testing;

namespace {

class StdioExit : public ::testing::Test {
protected:
    void SetUp() override {
        master_ = posix_openpt(O_RDWR | O_NOCTTY);
        ASSERT_GE(master_, 0);
        ASSERT_EQ(grantpt(master_), 0);
        ASSERT_EQ(unlockpt(master_), 0);
        slave_ = open(ptsname(master_), O_RDWR | O_NOCTTY);
        ASSERT_GE(slave_, 0);
        ASSERT_EQ(pipe(report_), 0);
    }
    void TearDown() override {
        close(slave_);
        close(master_);
        close(report_[0]);
    }
    bool canonical() {
        termios t;
        tcgetattr(slave_, &t);
        return t.c_lflag & ICANON;
    }
    // Waits (bounded) for the child to announce it has set up.
    bool wait_ready() {
        char c;
        for (int i = 0; i < 100; i++) {
            if (read(report_[0], &c, 1) == 1) return c == 'R';
        }
        return false;
    }
    std::string read_report() {
        std::string text;
        char buf[256];
        ssize_t n;
        while ((n = read(report_[0], buf, sizeof buf)) > 0) text.append(buf, n);
        return text;
    }
    int master_ = -1, slave_ = -1;
    int report_[2] = {-1, -1};
};

TEST_F(StdioExit, SigtermRestoresTerminalAndReportsSender) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(report_[0]);
        BqlGuard bql;
        install_termination_signals();
        install_fatal_signal_handlers();
        auto c = create_stdio_on("serial0", slave_, slave_, true);
        (void)!write(report_[1], "R", 1);
        alarm(10);  // never outlive a broken test
        ExitRequest r = main_loop_run();
        std::string line = exit_message(r).value_or("(none)");
        run_cleanups();
        (void)!write(report_[1], line.data(), line.size());
        _exit(0);
    }
    close(report_[1]);
    ASSERT_TRUE(wait_ready());
    EXPECT_FALSE(canonical());  // raw while running
    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_TRUE(canonical());
    auto me = process_name(getpid());
    EXPECT_EQ(read_report(),
              "terminating on signal 15 from pid " + std::to_string(getpid()) + " (" + me.value_or("") + ")");
}

TEST_F(StdioExit, CrashRestoresTerminal) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(report_[0]);
        install_fatal_signal_handlers();
        auto c = create_stdio_on("serial0", slave_, slave_, false);
        (void)!write(report_[1], "R", 1);
        raise(SIGSEGV);
        _exit(0);
    }
    close(report_[1]);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
    EXPECT_TRUE(canonical());
}

TEST_F(StdioExit, ExitCallRestoresTerminal) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(report_[0]);
        auto* c = create_stdio_on("serial0", slave_, slave_, true).release();  // never destroyed
        (void)c;
        std::exit(1);  // a fatal-error path: atexit runs the cleanups
    }
    close(report_[1]);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 1);
    EXPECT_TRUE(canonical());
}

}  // namespace
