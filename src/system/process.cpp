#include "mimic/system/process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "mimic/main_loop/cleanup.h"
#include "mimic/util/error.h"

namespace mimic::system {
namespace {

std::string g_pidfile_path;

void remove_pidfile() {
    if (!g_pidfile_path.empty()) unlink(g_pidfile_path.c_str());
}

}  // namespace

void write_pidfile(const std::string& path) {
    int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) throw Error("cannot create PID file: Cannot open pid file: {}", errno_string(errno));
    // The lock lives as long as the descriptor, i.e. the process.
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &lock) < 0) {
        int err = errno;
        close(fd);
        throw Error("cannot create PID file: Cannot lock pid file: {}", errno_string(err));
    }
    std::string text = fmt::format("{}\n", getpid());
    if (ftruncate(fd, 0) < 0 ||
        write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        int err = errno;
        close(fd);
        throw Error("cannot create PID file: Failed to write pid file: {}", errno_string(err));
    }
    g_pidfile_path = path;
    register_cleanup(remove_pidfile);
}

void Daemon::begin() {
    int fds[2];
    if (pipe(fds) < 0) throw Error("cannot daemonize: {}", errno_string(errno));
    pid_t pid = fork();
    if (pid < 0) throw Error("cannot daemonize: {}", errno_string(errno));
    if (pid > 0) {
        // Parent: wait for the child's verdict; its errors went to our stderr.
        close(fds[1]);
        char status = 1;
        ssize_t n;
        do {
            n = read(fds[0], &status, 1);
        } while (n < 0 && errno == EINTR);
        _exit(n == 1 && status == 0 ? 0 : 1);
    }
    close(fds[0]);
    status_fd_ = fds[1];
    fcntl(status_fd_, F_SETFD, FD_CLOEXEC);
    setsid();
}

void Daemon::finish() {
    if (status_fd_ < 0) return;
    if (chdir("/") < 0) {
        // Not fatal: QEMU also carries on in its start directory.
    }
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        if (null_fd > STDERR_FILENO) close(null_fd);
    }
    char ok = 0;
    ssize_t ignored = write(status_fd_, &ok, 1);
    (void)ignored;
    close(status_fd_);
    status_fd_ = -1;
}

void Daemon::fail() {
    if (status_fd_ < 0) return;
    char failed = 1;
    ssize_t ignored = write(status_fd_, &failed, 1);
    (void)ignored;
    close(status_fd_);
    status_fd_ = -1;
}

}  // namespace mimic::system
