// -netdev tap: frames to and from a host TAP interface (/dev/net/tun), or
// an already open TAP fd (fd=).
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "backends.h"
#include "mimic/cli/opts.h"
#include "mimic/main_loop/fd_watch.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::net {
namespace {

constexpr const char* kDefaultScript = "/etc/qemu-ifup";
constexpr const char* kDefaultDownscript = "/etc/qemu-ifdown";
constexpr size_t kMaxFrame = 65536;
// Frames read per readable event before giving other fds a turn.
constexpr int kReadBurst = 50;

constexpr std::array kParams = {
    ParamDesc{"ifname", ParamType::kString},  ParamDesc{"fd", ParamType::kString},
    ParamDesc{"fds", ParamType::kString},     ParamDesc{"script", ParamType::kString},
    ParamDesc{"downscript", ParamType::kString}, ParamDesc{"br", ParamType::kString},
    ParamDesc{"helper", ParamType::kString},  ParamDesc{"sndbuf", ParamType::kString},
    ParamDesc{"vnet_hdr", ParamType::kBool},  ParamDesc{"vhost", ParamType::kBool},
    ParamDesc{"vhostfd", ParamType::kString}, ParamDesc{"vhostfds", ParamType::kString},
    ParamDesc{"vhostforce", ParamType::kBool}, ParamDesc{"queues", ParamType::kInt},
    ParamDesc{"poll-us", ParamType::kInt},
};

// Runs `script ifname` and waits, as QEMU's launch_script.
void run_script(const std::string& script, const std::string& ifname) {
    pid_t pid = fork();
    if (pid < 0) throw Error("could not launch network script {}: {}", script, errno_string(errno));
    if (pid == 0) {
        execl(script.c_str(), script.c_str(), ifname.c_str(), static_cast<char*>(nullptr));
        _exit(1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("network script {} failed with status {}", script, status);
}

class TapNetdev : public NetClient {
public:
    TapNetdev(std::string name, int fd, std::string info, std::string ifname, std::string downscript)
        : NetClient(ClientKind::kTap, std::move(name)),
          fd_(fd),
          info_(std::move(info)),
          ifname_(std::move(ifname)),
          downscript_(std::move(downscript)) {
        fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
        watch_ = FdWatch(fd_, FdHandlers{.readable = [this] { read_frames(); },
                                         .read_gate = [this] { return peer_ready_; }});
    }
    ~TapNetdev() override { TapNetdev::shut_down(); }

    std::string info_str() const override { return info_; }

protected:
    void receive(std::span<const uint8_t> frame) override {
        if (fd_ < 0) return;
        ssize_t n;
        do {
            n = write(fd_, frame.data(), frame.size());
        } while (n < 0 && errno == EINTR);
        // The kernel's queue is full: drop, as a busy cable would.
        if (n < 0 && errno != EAGAIN) MIMIC_LOG(log::kGuestErrors, "tap {}: write: {}\n", name(), errno_string(errno));
    }
    // Our peer took everything queued: read from the TAP again.
    void queue_drained() override { peer_ready_ = true; }

    void shut_down() override {
        if (fd_ < 0) return;
        watch_.remove();
        close(fd_);
        fd_ = -1;
        if (!downscript_.empty()) {
            try {
                run_script(downscript_, ifname_);
            } catch (const Error& e) {
                std::fprintf(stderr, "%s\n", e.what());
            }
        }
    }

private:
    void read_frames() {
        std::array<uint8_t, kMaxFrame> buf;
        for (int i = 0; i < kReadBurst && peer_ready_; ++i) {
            ssize_t n = read(fd_, buf.data(), buf.size());
            if (n <= 0) return;
            // Queued at a busy peer: stop reading until queue_drained().
            std::vector<uint8_t> padded;
            if (!send(pad_short_frame({buf.data(), static_cast<size_t>(n)}, padded))) peer_ready_ = false;
        }
    }

    int fd_;
    std::string info_, ifname_, downscript_;
    bool peer_ready_ = true;
    FdWatch watch_;
};

int parse_fd(const std::string& name, const std::string& text) {
    char* end = nullptr;
    errno = 0;
    long fd = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end || errno || fd < 0 || fd > INT32_MAX)
        throw Error("Invalid file descriptor number '{}'", text);
    if (fcntl(static_cast<int>(fd), F_GETFD) < 0)
        throw Error("{}: Can't use file descriptor {}: {}", name, fd, errno_string(errno));
    return static_cast<int>(fd);
}

std::unique_ptr<NetClient> create(const std::string& name, const cli::Opts& opts) {
    for (const char* unsupported : {"fds", "br", "helper", "vhostfd", "vhostfds"}) {
        if (opts.has(unsupported)) throw Error("tap: {}= is not supported yet", unsupported);
    }
    if (opts.get_bool("vhost").value_or(false) || opts.get_bool("vhostforce").value_or(false))
        throw Error("vhost-net support is not compiled in");
    if (auto queues = opts.get("queues"); queues && std::strtol(queues->c_str(), nullptr, 0) > 1)
        throw Error("tap: queues > 1 is not supported yet");
    if (auto fd_text = opts.get("fd")) {
        if (opts.has("ifname") || opts.has("script") || opts.has("downscript") || opts.has("vnet_hdr") ||
            opts.has("helper") || opts.has("queues") || opts.has("fds") || opts.has("vhostfds"))
            throw Error("ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, fds=, and vhostfds= are "
                        "invalid with fd=");
        int fd = parse_fd(name, *fd_text);
        ifreq ifr{};
        if (ioctl(fd, TUNGETIFF, &ifr) != 0)
            throw Error("Unable to query TUNGETIFF on FD {}: {}", fd, errno_string(errno));
        return std::make_unique<TapNetdev>(name, fd, fmt::format("fd={}", fd), "", "");
    }
    std::string ifname = opts.get_or("ifname", "");
    // QEMU truncates a longer name to what the kernel takes.
    if (ifname.size() >= IFNAMSIZ) ifname.resize(IFNAMSIZ - 1);
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) throw Error("could not open /dev/net/tun: {}", errno_string(errno));
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, ifname.empty() ? "tap%d" : ifname.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        close(fd);
        if (!ifname.empty()) throw Error("could not configure /dev/net/tun ({}): {}", ifname, errno_string(err));
        throw Error("could not configure /dev/net/tun: {}", errno_string(err));
    }
    ifname = ifr.ifr_name;
    auto script_of = [&](const char* key, const char* fallback) {
        std::string value = opts.get_or(key, fallback);
        return value == "no" ? std::string() : value;
    };
    std::string script = script_of("script", kDefaultScript);
    std::string downscript = script_of("downscript", kDefaultDownscript);
    if (!script.empty()) {
        try {
            run_script(script, ifname);
        } catch (...) {
            close(fd);
            throw;
        }
    }
    std::string info = fmt::format("ifname={},script={},downscript={}", ifname, script.empty() ? "no" : script,
                                   downscript.empty() ? "no" : downscript);
    return std::make_unique<TapNetdev>(name, fd, info, ifname, downscript);
}

}  // namespace

const BackendType kTapBackend{"tap", kParams, create};

}  // namespace mimic::net
