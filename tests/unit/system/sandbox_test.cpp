// -sandbox: the sub-options' parsing and what the loaded filter does to each
// group of system calls. A filter cannot be unloaded, so every case that
// loads one does so in a forked child and reports through its exit status.
#include "mimic/system/sandbox.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <functional>
#include <thread>

#include "mimic/util/error.h"

namespace mimic::system {
namespace {

SandboxPolicy policy_of(const std::string& text) {
    std::optional<SandboxPolicy> policy = parse_sandbox(cli::parse_opts(text, "enable"));
    EXPECT_TRUE(policy.has_value()) << text;
    return policy.value_or(SandboxPolicy{});
}

std::string error_of(const std::string& text) {
    try {
        parse_sandbox(cli::parse_opts(text, "enable"));
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(SandboxOptions, OffOrAbsentEnableLeavesTheProcessAlone) {
    EXPECT_FALSE(parse_sandbox(cli::parse_opts("off", "enable")));
    EXPECT_FALSE(parse_sandbox(cli::Opts{}));  // "-sandbox ''"
    EXPECT_FALSE(parse_sandbox(cli::parse_opts("on,enable=off", "enable")));
    // Bad values of an off sandbox are never looked at, as in QEMU.
    EXPECT_FALSE(parse_sandbox(cli::parse_opts("off,spawn=maybe", "enable")));
}

TEST(SandboxOptions, OnDeniesTheDefaultAndObsoleteSets) {
    SandboxPolicy policy = policy_of("on");
    EXPECT_EQ(policy.denied_sets, kSandboxDefault | kSandboxObsolete);
    EXPECT_FALSE(policy.no_new_privs);
    EXPECT_EQ(policy_of("on,obsolete=allow").denied_sets, kSandboxDefault);
    EXPECT_EQ(policy_of("on,obsolete=deny").denied_sets, kSandboxDefault | kSandboxObsolete);
}

TEST(SandboxOptions, EachSubOptionAddsItsSet) {
    SandboxPolicy all = policy_of("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    EXPECT_EQ(all.denied_sets,
              kSandboxDefault | kSandboxObsolete | kSandboxPrivileged | kSandboxSpawn | kSandboxResourceControl);
    EXPECT_FALSE(all.no_new_privs);
    SandboxPolicy children = policy_of("on,elevateprivileges=children");
    EXPECT_TRUE(children.denied_sets & kSandboxPrivileged);
    EXPECT_TRUE(children.no_new_privs);
    EXPECT_EQ(policy_of("on,elevateprivileges=allow,spawn=allow,resourcecontrol=allow").denied_sets,
              kSandboxDefault | kSandboxObsolete);
    // The last setting of a key wins.
    EXPECT_EQ(policy_of("on,spawn=deny,spawn=allow").denied_sets, kSandboxDefault | kSandboxObsolete);
}

TEST(SandboxOptions, BadValuesAreReportedInQemusWordsAndOrder) {
    EXPECT_EQ(error_of("on,obsolete=x"), "invalid argument for obsolete");
    EXPECT_EQ(error_of("on,elevateprivileges=x"), "invalid argument for elevateprivileges");
    EXPECT_EQ(error_of("on,spawn=maybe"), "invalid argument for spawn");
    EXPECT_EQ(error_of("on,resourcecontrol=x"), "invalid argument for resourcecontrol");
    EXPECT_EQ(error_of("on,spawn"), "invalid argument for spawn");  // short form: spawn=on
    EXPECT_EQ(error_of("on,resourcecontrol=x,obsolete=x"), "invalid argument for obsolete");
    EXPECT_EQ(error_of("foo"), "Parameter 'enable' expects 'on' or 'off'");
}

// Runs `body` in a child process under `policy`; returns its wait status.
int run_sandboxed(const SandboxPolicy& policy, const std::function<int()>& body) {
    pid_t pid = fork();
    if (pid == 0) {
        try {
            install_sandbox(policy);
        } catch (const Error&) {
            _exit(100);
        }
        _exit(body());
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

bool killed_by_sigsys(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }
int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// A call that fails harmlessly without a filter (bad arguments, no rights).
int errno_of(long result) { return result < 0 ? errno : 0; }

TEST(SandboxFilter, AllowsWhatTheEmulatorDoesAtRunTime) {
    SandboxPolicy strict = policy_of("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    int status = run_sandboxed(strict, [] {
        std::atomic<int> ran{0};
        std::thread worker([&] { ran = 1; });  // clone3 answers ENOSYS; glibc retries with clone
        worker.join();
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0 || ran != 1) return 1;
        close(fd);
        // Lowering our own priority to SCHED_IDLE stays allowed.
        sched_param param{};
        return sched_setscheduler(0, SCHED_IDLE, &param) == 0 ? 0 : 2;
    });
    EXPECT_EQ(exit_code(status), 0) << status;
}

TEST(SandboxFilter, DefaultSetKillsTheProcess) {
    // reboot with bad magic numbers fails with EINVAL when not filtered.
    int status = run_sandboxed(policy_of("on"), [] { return errno_of(syscall(SYS_reboot, 0, 0, 0, nullptr)); });
    EXPECT_TRUE(killed_by_sigsys(status)) << status;
}

TEST(SandboxFilter, ObsoleteCallsDependOnTheObsoleteSubOption) {
    auto sysfs = [] { return errno_of(syscall(SYS_sysfs, 99, 0, 0)) == EINVAL ? 0 : 1; };
    EXPECT_TRUE(killed_by_sigsys(run_sandboxed(policy_of("on"), sysfs)));
    EXPECT_EQ(exit_code(run_sandboxed(policy_of("on,obsolete=allow"), sysfs)), 0);
}

TEST(SandboxFilter, ElevatePrivilegesDenyKillsOnSetuid) {
    auto setuid_self = [] { return setuid(getuid()) == 0 ? 0 : 1; };
    EXPECT_EQ(exit_code(run_sandboxed(policy_of("on"), setuid_self)), 0);
    EXPECT_TRUE(killed_by_sigsys(run_sandboxed(policy_of("on,elevateprivileges=deny"), setuid_self)));
    EXPECT_TRUE(killed_by_sigsys(run_sandboxed(policy_of("on,elevateprivileges=children"), setuid_self)));
}

TEST(SandboxFilter, ElevatePrivilegesChildrenSetsNoNewPrivs) {
    int status = run_sandboxed(policy_of("on,elevateprivileges=children"),
                               [] { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1; });
    EXPECT_EQ(exit_code(status), 0);
}

TEST(SandboxFilter, SpawnDenyKillsOnForkAndExec) {
    auto fork_child = [] {
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        return pid > 0 ? 0 : 1;
    };
    auto exec_true = [] {
        execl("/bin/true", "true", static_cast<char*>(nullptr));
        return 1;
    };
    EXPECT_EQ(exit_code(run_sandboxed(policy_of("on"), fork_child)), 0);
    EXPECT_TRUE(killed_by_sigsys(run_sandboxed(policy_of("on,spawn=deny"), fork_child)));
    EXPECT_TRUE(killed_by_sigsys(run_sandboxed(policy_of("on,spawn=deny"), exec_true)));
    // clone3 cannot be checked, so it answers ENOSYS rather than kill.
    int status = run_sandboxed(policy_of("on,spawn=deny"),
                               [] { return errno_of(syscall(SYS_clone3, nullptr, 0)) == ENOSYS ? 0 : 1; });
    EXPECT_EQ(exit_code(status), 0);
}

TEST(SandboxFilter, ResourceControlDenyAnswersEperm) {
    auto set_affinity = [] {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        return errno_of(sched_setaffinity(0, sizeof set, &set));
    };
    EXPECT_EQ(exit_code(run_sandboxed(policy_of("on"), set_affinity)), 0);
    EXPECT_EQ(exit_code(run_sandboxed(policy_of("on,resourcecontrol=deny"), set_affinity)), EPERM);
    EXPECT_EQ(exit_code(run_sandboxed(policy_of("on,resourcecontrol=deny"),
                                      [] { return errno_of(setpriority(PRIO_PROCESS, 0, 0)); })),
              EPERM);
}

TEST(SandboxFilter, ProgramGrowsWithTheDeniedSets) {
    std::string on = sandbox_bpf(policy_of("on"));
    std::string strict = sandbox_bpf(policy_of("on,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
    EXPECT_GT(on.size(), 0u);
    EXPECT_EQ(on.size() % 8, 0u);  // sock_filter instructions
    EXPECT_GT(strict.size(), on.size());
}

}  // namespace
}  // namespace mimic::system
