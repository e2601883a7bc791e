#include "qtest_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#ifndef MIMIC_DEFAULT_BINARY
#define MIMIC_DEFAULT_BINARY "mimic-system-x86_64"
#endif

namespace mimic::test {
namespace {

std::string binary_path() {
    const char* env = std::getenv("MIMIC_BINARY");
    return env ? env : MIMIC_DEFAULT_BINARY;
}

uint64_t parse_hex(const std::string& text) {
    return std::strtoull(text.c_str(), nullptr, 0);
}

}  // namespace

QtestClient::QtestClient(const std::vector<std::string>& args, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
    char dir_template[] = "/tmp/mimic-qtest-XXXXXX";
    if (!mkdtemp(dir_template)) throw QtestError("mkdtemp failed");
    socket_dir_ = dir_template;
    std::string socket_path = socket_dir_ + "/qtest.sock";

    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        listen(listen_fd_, 1) < 0)
        throw QtestError(fmt::format("cannot listen on {}: {}", socket_path, std::strerror(errno)));

    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) < 0) throw QtestError("pipe failed");

    std::vector<std::string> argv_strings = {binary_path(), "-accel", "qtest", "-qtest",
                                             "unix:" + socket_path, "-display", "none"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    pid_ = fork();
    if (pid_ < 0) throw QtestError("fork failed");
    if (pid_ == 0) {
        dup2(err_pipe[1], STDERR_FILENO);
        int null_fd = open("/dev/null", O_RDWR);
        dup2(null_fd, STDIN_FILENO);
        execv(argv[0], argv.data());
        std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
        _exit(127);
    }
    close(err_pipe[1]);
    stderr_fd_ = err_pipe[0];
    fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);

    // Wait for the emulator to connect, or to die trying.
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (fd_ < 0) {
        pollfd pfd = {listen_fd_, POLLIN, 0};
        int ready = poll(&pfd, 1, 100);
        if (ready > 0) {
            fd_ = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            break;
        }
        int status;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw QtestError("emulator exited before connecting: " + stderr_text());
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw QtestError("emulator did not connect in time: " + stderr_text());
        }
    }
}

QtestClient::~QtestClient() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    for (int fd : {fd_, listen_fd_, stderr_fd_}) {
        if (fd >= 0) close(fd);
    }
    std::string socket_path = socket_dir_ + "/qtest.sock";
    unlink(socket_path.c_str());
    rmdir(socket_dir_.c_str());
}

void QtestClient::limit_address_space(uint64_t headroom) {
    std::ifstream status(fmt::format("/proc/{}/status", pid_));
    uint64_t vm_size_kib = 0;
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmSize:", 0) == 0) vm_size_kib = std::stoull(line.substr(7));
    }
    if (vm_size_kib == 0) throw QtestError("cannot read the emulator's VmSize");
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = vm_size_kib * 1024 + headroom;
    if (prlimit(pid_, RLIMIT_AS, &limit, nullptr) != 0)
        throw QtestError(fmt::format("prlimit: {}", std::strerror(errno)));
}

std::string QtestClient::stderr_text() {
    if (stderr_fd_ >= 0) {
        char chunk[4096];
        ssize_t n;
        while ((n = read(stderr_fd_, chunk, sizeof chunk)) > 0) stderr_buffer_.append(chunk, n);
    }
    return stderr_buffer_;
}

std::string QtestClient::read_line() {
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        size_t newline = buffer_.find('\n');
        if (newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw QtestError("timed out waiting for an answer");
        pollfd pfd = {fd_, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
        char chunk[4096];
        ssize_t n = read(fd_, chunk, sizeof chunk);
        if (n <= 0) throw QtestError("emulator closed the qtest connection: " + stderr_text());
        buffer_.append(chunk, n);
    }
}

void QtestClient::handle_async(const std::string& line) {
    // "IRQ raise N" / "IRQ lower N"
    bool raise = line.compare(4, 5, "raise") == 0;
    int irq = std::atoi(line.c_str() + 10);
    if (irq >= 0 && irq < 256) irq_levels_[irq] = raise;
}

std::string QtestClient::command(const std::string& line) {
    std::string out = line + "\n";
    size_t done = 0;
    while (done < out.size()) {
        // MSG_NOSIGNAL: an emulator that just exited (debug-exit, -no-reboot)
        // must surface as a QtestError, not kill the test with SIGPIPE.
        ssize_t n = send(fd_, out.data() + done, out.size() - done, MSG_NOSIGNAL);
        if (n <= 0) throw QtestError("cannot send to the emulator: " + stderr_text());
        done += n;
    }
    for (;;) {
        std::string answer = read_line();
        if (answer.starts_with("IRQ ")) {
            handle_async(answer);
            continue;
        }
        if (answer == "OK") return "";
        if (answer.starts_with("OK ")) return answer.substr(3);
        throw QtestError(fmt::format("'{}' failed: {}", line, answer));
    }
}

void QtestClient::outb(uint16_t port, uint8_t v) { command(fmt::format("outb {:#x} {:#x}", port, v)); }
void QtestClient::outw(uint16_t port, uint16_t v) { command(fmt::format("outw {:#x} {:#x}", port, v)); }
void QtestClient::outl(uint16_t port, uint32_t v) { command(fmt::format("outl {:#x} {:#x}", port, v)); }
uint8_t QtestClient::inb(uint16_t port) { return parse_hex(command(fmt::format("inb {:#x}", port))); }
uint16_t QtestClient::inw(uint16_t port) { return parse_hex(command(fmt::format("inw {:#x}", port))); }
uint32_t QtestClient::inl(uint16_t port) { return parse_hex(command(fmt::format("inl {:#x}", port))); }

void QtestClient::writeb(uint64_t a, uint8_t v) { command(fmt::format("writeb {:#x} {:#x}", a, v)); }
void QtestClient::writew(uint64_t a, uint16_t v) { command(fmt::format("writew {:#x} {:#x}", a, v)); }
void QtestClient::writel(uint64_t a, uint32_t v) { command(fmt::format("writel {:#x} {:#x}", a, v)); }
void QtestClient::writeq(uint64_t a, uint64_t v) { command(fmt::format("writeq {:#x} {:#x}", a, v)); }
uint8_t QtestClient::readb(uint64_t a) { return parse_hex(command(fmt::format("readb {:#x}", a))); }
uint16_t QtestClient::readw(uint64_t a) { return parse_hex(command(fmt::format("readw {:#x}", a))); }
uint32_t QtestClient::readl(uint64_t a) { return parse_hex(command(fmt::format("readl {:#x}", a))); }
uint64_t QtestClient::readq(uint64_t a) { return parse_hex(command(fmt::format("readq {:#x}", a))); }

std::vector<uint8_t> QtestClient::memread(uint64_t addr, size_t size) {
    std::string hex = command(fmt::format("read {:#x} {}", addr, size));
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size && 2 + 2 * i + 2 <= hex.size(); ++i)
        data[i] = static_cast<uint8_t>(std::strtoul(hex.substr(2 + 2 * i, 2).c_str(), nullptr, 16));
    return data;
}

void QtestClient::memwrite(uint64_t addr, const std::vector<uint8_t>& data) {
    std::string hex = "0x";
    for (uint8_t byte : data) hex += fmt::format("{:02x}", byte);
    command(fmt::format("write {:#x} {} {}", addr, data.size(), hex));
}

int64_t QtestClient::clock_step(int64_t ns) { return std::atoll(command(fmt::format("clock_step {}", ns)).c_str()); }
int64_t QtestClient::clock_step_next() { return std::atoll(command("clock_step").c_str()); }
int64_t QtestClient::clock_set(int64_t ns) { return std::atoll(command(fmt::format("clock_set {}", ns)).c_str()); }

void QtestClient::irq_intercept_in(const std::string& path) { command("irq_intercept_in " + path); }

bool QtestClient::irq_level(int line) {
    // Drain events that arrived without a request.
    pollfd pfd = {fd_, POLLIN, 0};
    while (poll(&pfd, 1, 0) > 0) {
        char chunk[4096];
        ssize_t n = read(fd_, chunk, sizeof chunk);
        if (n <= 0) break;
        buffer_.append(chunk, n);
    }
    size_t newline;
    while ((newline = buffer_.find('\n')) != std::string::npos && buffer_.starts_with("IRQ ")) {
        handle_async(buffer_.substr(0, newline));
        buffer_.erase(0, newline + 1);
    }
    return line >= 0 && line < 256 && irq_levels_[line];
}

int QtestClient::quit() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            pid_ = -1;
            throw QtestError("emulator did not exit on SIGTERM");
        }
        usleep(10000);
    }
    pid_ = -1;
    return status;
}

}  // namespace mimic::test
