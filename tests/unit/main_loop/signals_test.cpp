#include "mimic/main_loop/signals.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/cleanup.h"
#include "mimic/main_loop/main_loop.h"

using namespace mimic;

namespace {

TEST(SignalsTest, MessageText) {
    EXPECT_EQ(termination_message(15, 0, std::nullopt), "terminating on signal 15");
    EXPECT_EQ(termination_message(15, 1234, "bash"), "terminating on signal 15 from pid 1234 (bash)");
    EXPECT_EQ(termination_message(2, 77, std::nullopt), "terminating on signal 2 from pid 77 (<unknown process>)");
}

TEST(SignalsTest, ProcessName) {
    auto name = process_name(getpid());
    ASSERT_TRUE(name);
    EXPECT_NE(name->find("main_loop_tests"), std::string::npos);
    EXPECT_FALSE(process_name(0x7ffffff0));
}

TEST(SignalsTest, SigtermBecomesExitRequestWithSender) {
    install_termination_signals();
    kill(getpid(), SIGTERM);  // from ourselves, so the pid is known
    ExitRequest r = main_loop_run();
    uninstall_signal_handlers();
    EXPECT_EQ(r.cause, ShutdownCause::kHostSignal);
    EXPECT_EQ(r.signal, SIGTERM);
    EXPECT_EQ(r.pid, getpid());
    EXPECT_EQ(exit_message(r), termination_message(SIGTERM, getpid()));
    EXPECT_EQ(exit_message(ExitRequest{ShutdownCause::kHostQmpQuit, 0, 0}), std::nullopt);
    EXPECT_EQ(exit_message(ExitRequest{ShutdownCause::kHostSignal, 2, 0}), "terminating on signal 2");
    EXPECT_EQ(termination_message(r.signal, r.pid, "bash"),
              "terminating on signal 15 from pid " + std::to_string(getpid()) + " (bash)");
}

TEST(SignalsTest, CustomTerminationHandler) {
    install_termination_signals();
    int seen_signal = 0;
    pid_t seen_pid = 0;
    set_termination_handler([&](int signal, pid_t pid) {
        seen_signal = signal;
        seen_pid = pid;
    });
    kill(getpid(), SIGHUP);
    int iterations = 0;
    ExitRequest r = main_loop_run([&] { return seen_signal != 0 || ++iterations > 100; });
    set_termination_handler(nullptr);
    uninstall_signal_handlers();
    EXPECT_EQ(r.cause, ShutdownCause::kNone);  // the hook, not an exit request, ended it
    EXPECT_EQ(seen_signal, SIGHUP);
    EXPECT_EQ(seen_pid, getpid());
}

int g_emergency_fd = -1;
void emergency_write(void* opaque) {
    ssize_t ignored = write(g_emergency_fd, static_cast<const char*>(opaque), 1);
    (void)ignored;
}

TEST(SignalsTest, FatalSignalRunsEmergencyCleanupThenDies) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(p[0]);
        g_emergency_fd = p[1];
        static const char mark = 'R';
        register_emergency_cleanup(emergency_write, const_cast<char*>(&mark));
        install_fatal_signal_handlers();
        abort();
    }
    close(p[1]);
    int status = 0;
    waitpid(child, &status, 0);
    char c = 0;
    EXPECT_EQ(read(p[0], &c, 1), 1);
    close(p[0]);
    EXPECT_EQ(c, 'R');
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGABRT);
}

TEST(CleanupTest, RunsNewestFirstOnce) {
    std::string order;
    register_cleanup([&] { order += 'a'; });
    CleanupId gone = register_cleanup([&] { order += 'x'; });
    register_cleanup([&] { order += 'b'; });
    unregister_cleanup(gone);
    run_cleanups();
    run_cleanups();
    EXPECT_EQ(order, "ba");
}

TEST(CleanupTest, RunsAtExit) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(p[0]);
        int fd = p[1];
        register_cleanup([fd] { (void)!write(fd, "E", 1); });
        std::exit(3);  // a fatal-error exit path
    }
    close(p[1]);
    int status = 0;
    waitpid(child, &status, 0);
    char c = 0;
    EXPECT_EQ(read(p[0], &c, 1), 1);
    close(p[0]);
    EXPECT_EQ(c, 'E');
    EXPECT_EQ(WEXITSTATUS(status), 3);
}

}  // namespace
