#include "mimic/system/sandbox.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <span>
#include <vector>

#include "mimic/util/error.h"

namespace mimic::system {
namespace {

// How a denied call ends. kFatal is QEMU's "trap": the process dies by
// SIGSYS (a signal handler could not be trusted to clean up safely).
enum class Verdict { kFatal, kKillThread, kNoSys, kPermissionDenied };

struct Rule {
    int syscall;
    uint32_t set;
    Verdict verdict = Verdict::kFatal;
    std::vector<scmp_arg_cmp> conditions = {};  // all must hold for the rule to apply
};

// clone's flags are its first argument on x86-64.
constexpr unsigned kCloneFlagsArg = 0;
#ifndef CLONE_PIDFD
constexpr uint64_t CLONE_PIDFD = 0x00001000;
#endif

// Flags pthread_create always passes: a clone without one of them makes a
// process, not a thread.
constexpr uint64_t kThreadFlags[] = {
    CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_THREAD,
    CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID,
};
// Flags no thread of ours uses: new namespaces, tracing, vfork, pidfds.
constexpr uint64_t kProcessFlags[] = {
    CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT, CLONE_NEWNS,
    CLONE_UNTRACED, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_IO,
};

scmp_arg_cmp clone_flags_masked(uint64_t mask, uint64_t value) {
    return scmp_arg_cmp{kCloneFlagsArg, SCMP_CMP_MASKED_EQ, mask, value};
}

// QEMU 7.2's deny list, group by group, in its order (the order shapes the
// BPF program, which the tests compare with QEMU's).
std::vector<Rule> deny_list() {
    std::vector<Rule> rules;
    for (int nr : {SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(syslog), SCMP_SYS(mount),
                   SCMP_SYS(umount), SCMP_SYS(kexec_load), SCMP_SYS(afs_syscall), SCMP_SYS(break),
                   SCMP_SYS(ftime), SCMP_SYS(getpmsg), SCMP_SYS(gtty), SCMP_SYS(lock), SCMP_SYS(mpx),
                   SCMP_SYS(prof), SCMP_SYS(profil), SCMP_SYS(putpmsg), SCMP_SYS(security), SCMP_SYS(stty),
                   SCMP_SYS(tuxcall), SCMP_SYS(ulimit), SCMP_SYS(vserver)})
        rules.push_back({nr, kSandboxDefault});
    for (int nr : {SCMP_SYS(readdir), SCMP_SYS(_sysctl), SCMP_SYS(bdflush), SCMP_SYS(create_module),
                   SCMP_SYS(get_kernel_syms), SCMP_SYS(query_module), SCMP_SYS(sgetmask), SCMP_SYS(ssetmask),
                   SCMP_SYS(sysfs), SCMP_SYS(uselib), SCMP_SYS(ustat)})
        rules.push_back({nr, kSandboxObsolete});
    for (int nr : {SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setpgid), SCMP_SYS(setsid), SCMP_SYS(setreuid),
                   SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setfsuid),
                   SCMP_SYS(setfsgid)})
        rules.push_back({nr, kSandboxPrivileged});

    for (int nr : {SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(execve)}) rules.push_back({nr, kSandboxSpawn});
    // A plain fork: no flag but the exit signal.
    rules.push_back({SCMP_SYS(clone), kSandboxSpawn, Verdict::kFatal, {clone_flags_masked(~uint64_t{CSIGNAL}, 0)}});
    for (uint64_t flag : kThreadFlags)
        rules.push_back({SCMP_SYS(clone), kSandboxSpawn, Verdict::kFatal, {clone_flags_masked(flag, 0)}});
    for (uint64_t flag : kProcessFlags)
        rules.push_back({SCMP_SYS(clone), kSandboxSpawn, Verdict::kFatal, {clone_flags_masked(flag, flag)}});
    // clone3 passes its flags in memory the filter cannot read.
    rules.push_back({SCMP_SYS(clone3), kSandboxSpawn, Verdict::kNoSys});
    // QEMU gives these three no action of its own, which is libseccomp's
    // "kill the thread".
    for (int nr : {SCMP_SYS(execveat), SCMP_SYS(setns), SCMP_SYS(unshare)})
        rules.push_back({nr, kSandboxSpawn, Verdict::kKillThread});

    for (int nr : {SCMP_SYS(setpriority), SCMP_SYS(sched_setparam)})
        rules.push_back({nr, kSandboxResourceControl, Verdict::kPermissionDenied});
    // SCHED_IDLE only lowers our priority: still allowed.
    rules.push_back({SCMP_SYS(sched_setscheduler), kSandboxResourceControl, Verdict::kPermissionDenied,
                     {scmp_arg_cmp{1, SCMP_CMP_NE, SCHED_IDLE, 0}}});
    rules.push_back({SCMP_SYS(sched_setaffinity), kSandboxResourceControl, Verdict::kPermissionDenied});
    return rules;
}

// Killing the whole process needs Linux 4.14; older kernels get SIGSYS on
// the calling thread, as QEMU falls back to.
bool kernel_kills_processes() {
    static const bool available = [] {
        uint32_t action = SECCOMP_RET_KILL_PROCESS;
        return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
    }();
    return available;
}

uint32_t action_for(Verdict verdict) {
    switch (verdict) {
        case Verdict::kFatal: return kernel_kills_processes() ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP;
        case Verdict::kKillThread: return SCMP_ACT_KILL_THREAD;
        case Verdict::kNoSys: return SCMP_ACT_ERRNO(ENOSYS);
        case Verdict::kPermissionDenied: return SCMP_ACT_ERRNO(EPERM);
    }
    return SCMP_ACT_KILL_PROCESS;
}

struct FilterDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

Filter build_filter(const SandboxPolicy& policy) {
    Filter filter(seccomp_init(SCMP_ACT_ALLOW));
    if (!filter) throw Error("failed to initialize seccomp context");
    // Raw error codes from the kernel rather than libseccomp's -ECANCELED.
    seccomp_attr_set(filter.get(), SCMP_FLTATR_API_SYSRAWRC, 1);
    if (int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc != 0)
        throw Error("failed to set seccomp thread synchronization: {}", errno_string(-rc));
    for (const Rule& rule : deny_list()) {
        if (!(policy.denied_sets & rule.set)) continue;
        int rc = seccomp_rule_add_array(filter.get(), action_for(rule.verdict), rule.syscall,
                                        static_cast<unsigned>(rule.conditions.size()), rule.conditions.data());
        if (rc < 0) throw Error("failed to add seccomp denylist rules: {}", errno_string(-rc));
    }
    return filter;
}

// "allow" or "deny" (or, for elevateprivileges, "children") for `key`.
std::optional<std::string> choice(const cli::Opts& opts, const char* key,
                                  std::initializer_list<std::string_view> accepted) {
    std::optional<std::string> value = opts.get(key);
    if (!value) return std::nullopt;
    for (std::string_view word : accepted) {
        if (*value == word) return value;
    }
    throw Error("invalid argument for {}", key);
}

}  // namespace

std::optional<SandboxPolicy> parse_sandbox(const cli::Opts& opts) {
    if (!opts.get_bool("enable").value_or(false)) return std::nullopt;
    SandboxPolicy policy;
    // QEMU's order of checks, so the first bad value is the one reported.
    if (choice(opts, "obsolete", {"allow", "deny"}) == "allow") policy.denied_sets &= ~kSandboxObsolete;
    if (auto value = choice(opts, "elevateprivileges", {"allow", "deny", "children"}); value && *value != "allow") {
        policy.denied_sets |= kSandboxPrivileged;
        policy.no_new_privs = *value == "children";
    }
    if (choice(opts, "spawn", {"allow", "deny"}) == "deny") policy.denied_sets |= kSandboxSpawn;
    if (choice(opts, "resourcecontrol", {"allow", "deny"}) == "deny") policy.denied_sets |= kSandboxResourceControl;
    return policy;
}

void install_sandbox(const SandboxPolicy& policy) {
    if (policy.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        throw Error("failed to set no_new_privs aborting");
    Filter filter = build_filter(policy);
    if (int rc = seccomp_load(filter.get()); rc < 0)
        throw Error("failed to load seccomp syscall filter in kernel: {}", errno_string(-rc));
}

std::string sandbox_bpf(const SandboxPolicy& policy) {
    Filter filter = build_filter(policy);
    int fd = memfd_create("sandbox.bpf", MFD_CLOEXEC);
    if (fd < 0) throw Error("memfd_create: {}", errno_string(errno));
    std::string program;
    if (seccomp_export_bpf(filter.get(), fd) == 0) {
        char buf[4096];
        ssize_t n;
        lseek(fd, 0, SEEK_SET);
        while ((n = read(fd, buf, sizeof buf)) > 0) program.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return program;
}

}  // namespace mimic::system
