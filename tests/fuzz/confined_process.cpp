#include "confined_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <functional>
#include <stdexcept>
#include <string>

namespace mimic::fuzz {
namespace {

constexpr uid_t kNobody = 65534;
constexpr rlim_t kAddressSpaceLimit = 8ull << 30;
constexpr size_t kStderrKept = 8192;

// The binary's directory (which holds its firmware) when the tmpfs would
// hide it, as happens to a checkout under /tmp; it is bound back read-only
// at the same path. `parents` are the directories to create in the tmpfs
// on the way to it, outermost first.
struct KeptDirectory {
    std::string path;
    std::vector<std::string> parents;
};

std::optional<KeptDirectory> directory_to_keep(const std::string& binary) {
    char resolved[PATH_MAX];
    if (!realpath(binary.c_str(), resolved)) return std::nullopt;
    std::string dir(resolved);
    dir.erase(dir.rfind('/'));
    for (const char* hidden : {"/tmp/", "/var/tmp/"}) {
        if (dir.rfind(hidden, 0) != 0) continue;
        KeptDirectory kept{dir, {}};
        for (size_t slash = dir.find('/', strlen(hidden)); slash != std::string::npos; slash = dir.find('/', slash + 1))
            kept.parents.push_back(dir.substr(0, slash));
        return kept;
    }
    return std::nullopt;
}

// Text of `value` appended at `out`, returning the new end: a forked child
// must not call the allocating or locale-aware formatters.
char* append_number(char* out, unsigned long value) {
    char digits[24];
    int n = 0;
    do digits[n++] = static_cast<char>('0' + value % 10); while ((value /= 10) > 0);
    while (n > 0) *out++ = digits[--n];
    return out;
}

bool write_file(const char* path, const char* text, size_t length) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = write(fd, text, length) == static_cast<ssize_t>(length);
    close(fd);
    return ok;
}

// Maps the caller's own user and group into its new user namespace, so that
// files it creates there have an owner.
bool map_own_ids(uid_t uid, gid_t gid) {
    char line[64];
    if (!write_file("/proc/self/setgroups", "deny", 4)) return false;
    char* end = append_number(line, uid);
    *end++ = ' ';
    end = append_number(end, uid);
    *end++ = ' ';
    *end++ = '1';
    if (!write_file("/proc/self/uid_map", line, static_cast<size_t>(end - line))) return false;
    end = append_number(line, gid);
    *end++ = ' ';
    end = append_number(end, gid);
    *end++ = ' ';
    *end++ = '1';
    return write_file("/proc/self/gid_map", line, static_cast<size_t>(end - line));
}

// In the child, before it runs anything of the input's: only
// async-signal-safe calls; false when a step fails.
bool confine(const KeptDirectory* kept, int in, int out, int err, bool limit_address_space) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    const bool root = geteuid() == 0;
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    if (unshare(CLONE_NEWNET | CLONE_NEWNS | (root ? 0 : CLONE_NEWUSER)) != 0) return false;
    if (!root && !map_own_ids(uid, gid)) return false;
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
    // Opened in this mount namespace: a bind mount's source must be in it.
    int kept_fd = -1;
    if (kept && (kept_fd = open(kept->path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) return false;
    for (const char* dir : {"/tmp", "/var/tmp"}) {
        if (mount("fuzz", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777") != 0) return false;
    }
    if (kept) {
        for (const std::string& parent : kept->parents) mkdir(parent.c_str(), 0755);
        char source[32] = "/proc/self/fd/";
        *append_number(source + strlen(source), static_cast<unsigned long>(kept_fd)) = '\0';
        if (mkdir(kept->path.c_str(), 0755) != 0 ||
            mount(source, kept->path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
            mount(nullptr, kept->path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                  nullptr) != 0)
            return false;
        close(kept_fd);
    }
    if (chdir("/tmp") != 0) return false;
    if (root && (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0)) return false;
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (limit_address_space) {
        rlimit memory{kAddressSpaceLimit, kAddressSpaceLimit};
        setrlimit(RLIMIT_AS, &memory);
    }
    return true;
}

}  // namespace

ConfinedProcess::ConfinedProcess(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    start(argv.at(0), true, [&args] {
        char* const env[] = {const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
        execve(args[0], args.data(), env);
        _exit(126);
    });
}

ConfinedProcess::ConfinedProcess(const std::function<int()>& body) {
    // This very binary runs on in the child, so its directory stays
    // visible. Its address space is already huge (the sanitizers' shadow
    // memory): the fuzzer's -malloc_limit_mb bounds it instead.
    start("/proc/self/exe", false, [&body] { _exit(body()); });
}

void ConfinedProcess::start(const std::string& binary, bool limit_address_space,
                            const std::function<void()>& in_child) {
    const std::optional<KeptDirectory> kept = directory_to_keep(binary);
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        if (!confine(kept ? &*kept : nullptr, in[0], out[1], err[1], limit_address_space)) _exit(125);
        in_child();
        _exit(126);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_fd_ = err[0];
    fcntl(stdout_, F_SETFL, O_NONBLOCK);
    fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
}

ConfinedProcess::~ConfinedProcess() {
    finish(std::chrono::milliseconds(0));
    for (int fd : {stdin_, stdout_, stderr_fd_}) {
        if (fd >= 0) close(fd);
    }
}

bool ConfinedProcess::send(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = write(stdin_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

void ConfinedProcess::close_stdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
}

// Reads what is there on stdout and stderr, waiting at most `timeout` for
// something to arrive.
void ConfinedProcess::pump(std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return;
    char buf[65536];
    ssize_t n;
    if (stdout_ >= 0 && (n = read(stdout_, buf, sizeof buf)) >= 0) {
        if (n == 0) {
            close(stdout_);
            stdout_ = -1;
        }
        out_.append(buf, static_cast<size_t>(n));
    }
    if (stderr_fd_ >= 0 && (n = read(stderr_fd_, buf, sizeof buf)) > 0) {
        stderr_.append(buf, static_cast<size_t>(n));
        if (stderr_.size() > kStderrKept) stderr_.erase(0, stderr_.size() - kStderrKept);
    }
}

std::optional<std::string> ConfinedProcess::read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    timed_out_ = false;
    while (true) {
        size_t newline = out_.find('\n');
        if (newline != std::string::npos) {
            std::string line = out_.substr(0, newline);
            out_.erase(0, newline + 1);
            return line;
        }
        if (stdout_ < 0) return std::nullopt;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out_ = true;
            return std::nullopt;
        }
        pump(left);
    }
}

int ConfinedProcess::finish(std::chrono::milliseconds timeout) {
    if (status_) return *status_;
    close_stdin();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (true) {
        pid_t done = waitpid(pid_, &status, WNOHANG);
        if (done == pid_) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            kill(pid_, SIGKILL);
            while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        if (stdout_ >= 0 || stderr_fd_ >= 0) {
            pump(std::chrono::milliseconds(5));
        } else {
            usleep(1000);
        }
    }
    while (stderr_fd_ >= 0 && stdout_ >= 0) {
        size_t before = stderr_.size() + out_.size();
        pump(std::chrono::milliseconds(0));
        if (stderr_.size() + out_.size() == before) break;
    }
    status_ = status;
    return status;
}

bool is_crash(int status) {
    if (!WIFSIGNALED(status)) return false;
    switch (WTERMSIG(status)) {
        case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGABRT: case SIGTRAP: case SIGSYS:
            return true;
        default:
            return false;
    }
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

}  // namespace mimic::fuzz
