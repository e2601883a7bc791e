// A test's handle on a running mimic-system-x86_64 under the qtest accelerator.
//
//   QtestClient vm({"-machine", "pc"});       // starts the emulator
//   vm.outb(0x70, 0x0a);
//   uint8_t value = vm.inb(0x71);
//   vm.writel(0x1000, 42);
//   vm.clock_step(1'000'000);
//
// The client listens on a unix socket, starts the emulator with
// "-accel qtest -qtest unix:SOCKET" and waits for it to connect, as QEMU's
// libqtest does. Every call is bounded in time; a protocol failure or a dead
// emulator throws QtestError with what happened, so a test never hangs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

namespace mimic::test {

class QtestError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class QtestClient {
public:
    // `args` are added after the qtest options. The binary is found through
    // the MIMIC_BINARY environment variable, else "mimic-system-x86_64" in
    // the build directory (the compile-time default).
    explicit QtestClient(const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20));
    ~QtestClient();
    QtestClient(const QtestClient&) = delete;
    QtestClient& operator=(const QtestClient&) = delete;

    // Sends one command line and returns the answer after "OK " (or "" for a
    // bare "OK"). A "FAIL ..." answer throws QtestError.
    std::string command(const std::string& line);

    void outb(uint16_t port, uint8_t value);
    void outw(uint16_t port, uint16_t value);
    void outl(uint16_t port, uint32_t value);
    uint8_t inb(uint16_t port);
    uint16_t inw(uint16_t port);
    uint32_t inl(uint16_t port);

    void writeb(uint64_t addr, uint8_t value);
    void writew(uint64_t addr, uint16_t value);
    void writel(uint64_t addr, uint32_t value);
    void writeq(uint64_t addr, uint64_t value);
    uint8_t readb(uint64_t addr);
    uint16_t readw(uint64_t addr);
    uint32_t readl(uint64_t addr);
    uint64_t readq(uint64_t addr);
    std::vector<uint8_t> memread(uint64_t addr, size_t size);
    void memwrite(uint64_t addr, const std::vector<uint8_t>& data);

    int64_t clock_step(int64_t ns);
    int64_t clock_step_next();
    int64_t clock_set(int64_t ns);

    void irq_intercept_in(const std::string& qom_path);
    // Current level of an intercepted line, after draining pending IRQ events.
    bool irq_level(int line);

    // Caps the emulator's address space at what it uses now plus
    // `headroom` bytes, so that a host allocation sized by the guest fails
    // (and the test with it) instead of going through.
    void limit_address_space(uint64_t headroom);

    // Ends the emulator (SIGTERM) and returns its exit status.
    int quit();
    pid_t pid() const { return pid_; }
    // What the emulator wrote to stderr so far (for assertions and failures).
    std::string stderr_text();

private:
    std::string read_line();
    void handle_async(const std::string& line);

    std::string socket_dir_;
    int listen_fd_ = -1;
    int fd_ = -1;
    int stderr_fd_ = -1;
    pid_t pid_ = -1;
    std::chrono::milliseconds timeout_;
    std::string buffer_;
    std::string stderr_buffer_;
    bool irq_levels_[256] = {};
};

}  // namespace mimic::test
