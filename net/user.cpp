// -netdev user through libslirp (see user.h).
#include "mimic/net/user.h"

#include <arpa/inet.h>
#include <glib.h>
#include <libslirp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <fmt/format.h>
#include <memory>

#include "backends.h"
#include "mimic/chardev/registry.h"
#include "mimic/cli/opts.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/main_loop.h"
#include "mimic/main_loop/timer.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"
#include "mimic/util/size.h"

namespace mimic::net {
namespace {

constexpr std::array kParams = {
    ParamDesc{"hostname", ParamType::kString},   ParamDesc{"restrict", ParamType::kBool},
    ParamDesc{"ipv4", ParamType::kBool},         ParamDesc{"ipv6", ParamType::kBool},
    ParamDesc{"ip", ParamType::kString},         ParamDesc{"net", ParamType::kString},
    ParamDesc{"host", ParamType::kString},       ParamDesc{"tftp", ParamType::kString},
    ParamDesc{"bootfile", ParamType::kString},   ParamDesc{"dhcpstart", ParamType::kString},
    ParamDesc{"dns", ParamType::kString},        ParamDesc{"dnssearch", ParamType::kList},
    ParamDesc{"domainname", ParamType::kString}, ParamDesc{"ipv6-prefix", ParamType::kString},
    ParamDesc{"ipv6-prefixlen", ParamType::kInt}, ParamDesc{"ipv6-host", ParamType::kString},
    ParamDesc{"ipv6-dns", ParamType::kString},   ParamDesc{"smb", ParamType::kString},
    ParamDesc{"smbserver", ParamType::kString},  ParamDesc{"hostfwd", ParamType::kList},
    ParamDesc{"guestfwd", ParamType::kList},     ParamDesc{"tftp-server-name", ParamType::kString},
};

// QEMU's get_str_sep: the text before `sep` into `out`, `rest` after it;
// false when `sep` does not occur.
bool take_until(std::string_view& rest, char sep, std::string& out) {
    size_t pos = rest.find(sep);
    if (pos == std::string_view::npos) return false;
    out = std::string(rest.substr(0, pos));
    rest.remove_prefix(pos + 1);
    return true;
}

// strtol(text, &end, 0) accepting only a fully consumed string ("" is 0,
// as in QEMU's rule parser).
std::optional<long> whole_long(const std::string& text) {
    char* end = nullptr;
    errno = 0;
    long value = std::strtol(text.c_str(), &end, 0);
    if (*end != '\0' || errno) return std::nullopt;
    return value;
}

bool parse_ipv4(const std::string& text, in_addr& out) { return inet_aton(text.c_str(), &out) != 0; }

in_addr ipv4(uint32_t host_order) { return in_addr{htonl(host_order)}; }

bool in6_equal_prefix(const in6_addr& a, const in6_addr& b, int len) {
    for (int bit = 0; bit < len; ++bit) {
        int byte = bit / 8, shift = 7 - bit % 8;
        if (((a.s6_addr[byte] >> shift) & 1) != ((b.s6_addr[byte] >> shift) & 1)) return false;
    }
    return true;
}

std::vector<UserNetdev*>& stacks() {
    static std::vector<UserNetdev*> list;
    return list;
}

}  // namespace

HostForward parse_hostfwd(std::string_view rule) {
    auto fail = [&](std::string_view reason) {
        return Error("Invalid host forwarding rule '{}' ({})", rule, reason);
    };
    HostForward fwd;
    std::string_view rest = rule;
    std::string part;
    if (!take_until(rest, ':', part)) throw fail("No : separators");
    if (part == "tcp" || part.empty()) {
        fwd.udp = false;
    } else if (part == "udp") {
        fwd.udp = true;
    } else {
        throw fail("Bad protocol name");
    }
    if (!take_until(rest, ':', part)) throw fail("Missing : separator");
    if (!part.empty() && !parse_ipv4(part, fwd.host_addr)) throw fail("Bad host address");
    if (!take_until(rest, '-', part)) throw fail("Bad host port separator");
    auto host_port = whole_long(part);
    if (!host_port || *host_port < 0 || *host_port > 65535) throw fail("Bad host port");
    fwd.host_port = static_cast<int>(*host_port);
    if (!take_until(rest, ':', part)) throw fail("Missing guest address");
    if (!part.empty() && !parse_ipv4(part, fwd.guest_addr)) throw fail("Bad guest address");
    auto guest_port = whole_long(std::string(rest));
    if (!guest_port || *guest_port < 1 || *guest_port > 65535) throw fail("Bad guest port");
    fwd.guest_port = static_cast<int>(*guest_port);
    return fwd;
}

std::optional<HostForward> parse_hostfwd_remove(std::string_view spec) {
    HostForward fwd;
    std::string_view rest = spec;
    std::string part;
    if (!take_until(rest, ':', part)) return std::nullopt;
    if (part == "udp") {
        fwd.udp = true;
    } else if (part != "tcp" && !part.empty()) {
        return std::nullopt;
    }
    if (!take_until(rest, ':', part)) return std::nullopt;
    if (!part.empty() && !parse_ipv4(part, fwd.host_addr)) return std::nullopt;
    std::string port(rest);
    char* end = nullptr;
    errno = 0;
    long value = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || errno || value < INT32_MIN || value > INT32_MAX) return std::nullopt;
    fwd.host_port = static_cast<int>(value);
    return fwd;
}

GuestForward parse_guestfwd(std::string_view rule) {
    auto fail = [&] { return Error("Invalid guest forwarding rule '{}'", rule); };
    GuestForward fwd;
    std::string_view rest = rule;
    std::string part;
    if (!take_until(rest, ':', part)) throw fail();
    if (part != "tcp" && !part.empty()) throw fail();
    if (!take_until(rest, ':', part)) throw fail();
    if (!part.empty() && !parse_ipv4(part, fwd.server)) throw fail();
    if (!take_until(rest, '-', part)) throw fail();
    char* end = nullptr;
    long port = std::strtol(part.c_str(), &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) throw fail();
    fwd.port = static_cast<int>(port);
    if (rest.starts_with("cmd:")) {
        fwd.command = std::string(rest.substr(4));
    } else {
        fwd.chardev = std::string(rest);
    }
    return fwd;
}

UserNetConfig parse_user_config(const cli::Opts& opts) {
    UserNetConfig c;
    c.ipv4 = opts.get_bool("ipv4").value_or(true);
    c.ipv6 = opts.get_bool("ipv6").value_or(true);
    c.restricted = opts.get_bool("restrict").value_or(false);
    if (!c.ipv4 && !c.ipv6) throw Error("IPv4 and IPv6 disabled");

    std::optional<std::string> vnet = opts.get("net");
    if (!vnet) {
        if (auto ip = opts.get("ip")) vnet = *ip + "/24";
    }
    std::optional<std::string> vhost = opts.get("host"), vdns = opts.get("dns"), vdhcp = opts.get("dhcpstart");
    if (!c.ipv4 && (vnet || vhost || vdns)) throw Error("IPv4 disabled but netmask/host/dns provided");
    auto vprefix = opts.get("ipv6-prefix"), vhost6 = opts.get("ipv6-host"), vdns6 = opts.get("ipv6-dns");
    if (!c.ipv6 && (vprefix || vhost6 || vdns6)) throw Error("IPv6 disabled but prefix/host6/dns6 provided");

    c.net = ipv4(0x0a000200);
    c.mask = ipv4(0xffffff00);
    c.host = ipv4(0x0a000202);
    c.dhcp_start = ipv4(0x0a00020f);
    c.dns = ipv4(0x0a000203);
    if (vnet) {
        std::string text = *vnet;
        size_t slash = text.find('/');
        if (slash == std::string::npos) {
            if (!parse_ipv4(text, c.net)) throw Error("Failed to parse netmask");
            // A class-based mask, as QEMU guesses it.
            uint32_t addr = ntohl(c.net.s_addr), mask;
            if (!(addr & 0x80000000)) {
                mask = 0xff000000;
            } else if ((addr & 0xfff00000) == 0xac100000) {
                mask = 0xfff00000;
            } else if ((addr & 0xc0000000) == 0x80000000) {
                mask = 0xffff0000;
            } else if ((addr & 0xffff0000) == 0xc0a80000) {
                mask = 0xffff0000;
            } else if ((addr & 0xffff0000) == 0xc6120000) {
                mask = 0xfffe0000;
            } else if ((addr & 0xe0000000) == 0xe0000000) {
                mask = 0xffffff00;
            } else {
                mask = 0xfffffff0;
            }
            c.mask = ipv4(mask);
        } else {
            if (!parse_ipv4(text.substr(0, slash), c.net)) throw Error("Failed to parse netmask");
            std::string m = text.substr(slash + 1);
            char* end = nullptr;
            long shift = std::strtol(m.c_str(), &end, 10);
            if (*end != '\0') {
                if (!parse_ipv4(m, c.mask)) throw Error("Failed to parse netmask (trailing chars)");
            } else {
                if (shift < 4 || shift > 32) throw Error("Invalid netmask provided (must be in range 4-32)");
                c.mask = ipv4(shift == 32 ? 0xffffffffu : ~(0xffffffffu >> shift));
            }
        }
        c.net.s_addr &= c.mask.s_addr;
        c.host.s_addr = c.net.s_addr | (htonl(0x0202) & ~c.mask.s_addr);
        c.dhcp_start.s_addr = c.net.s_addr | (htonl(0x020f) & ~c.mask.s_addr);
        c.dns.s_addr = c.net.s_addr | (htonl(0x0203) & ~c.mask.s_addr);
    }
    if (vhost && !parse_ipv4(*vhost, c.host)) throw Error("Failed to parse host");
    if ((c.host.s_addr & c.mask.s_addr) != c.net.s_addr) throw Error("Host doesn't belong to network");
    if (vdns && !parse_ipv4(*vdns, c.dns)) throw Error("Failed to parse DNS");
    if (c.ipv4 && (c.dns.s_addr & c.mask.s_addr) != c.net.s_addr) throw Error("DNS doesn't belong to network");
    if (c.dns.s_addr == c.host.s_addr) throw Error("DNS must be different from host");
    if (vdhcp && !parse_ipv4(*vdhcp, c.dhcp_start)) throw Error("Failed to parse DHCP start address");
    if ((c.dhcp_start.s_addr & c.mask.s_addr) != c.net.s_addr) throw Error("DHCP doesn't belong to network");
    if (c.dhcp_start.s_addr == c.host.s_addr || c.dhcp_start.s_addr == c.dns.s_addr)
        throw Error("DHCP must be different from host and DNS");

    inet_pton(AF_INET6, "fec0::", &c.prefix6);
    if (vprefix && inet_pton(AF_INET6, vprefix->c_str(), &c.prefix6) != 1)
        throw Error("Failed to parse IPv6 prefix");
    if (auto len = opts.get("ipv6-prefixlen")) {
        long value = std::strtol(len->c_str(), nullptr, 0);
        if (value < 0 || value > 126)
            throw Error("Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)");
        c.prefix6_len = static_cast<int>(value);
    }
    c.host6 = c.prefix6;
    c.host6.s6_addr[15] |= 2;
    if (vhost6) {
        if (inet_pton(AF_INET6, vhost6->c_str(), &c.host6) != 1) throw Error("Failed to parse IPv6 host");
        if (!in6_equal_prefix(c.prefix6, c.host6, c.prefix6_len)) throw Error("IPv6 Host doesn't belong to network");
    }
    c.dns6 = c.prefix6;
    c.dns6.s6_addr[15] |= 3;
    if (vdns6) {
        if (inet_pton(AF_INET6, vdns6->c_str(), &c.dns6) != 1) throw Error("Failed to parse IPv6 DNS");
        if (!in6_equal_prefix(c.prefix6, c.dns6, c.prefix6_len)) throw Error("IPv6 DNS doesn't belong to network");
    }

    c.hostname = opts.get_or("hostname", "");
    c.tftp = opts.get_or("tftp", "");
    c.bootfile = opts.get_or("bootfile", "");
    c.tftp_server_name = opts.get_or("tftp-server-name", "");
    c.domainname = opts.get_or("domainname", "");
    c.smb = opts.get_or("smb", "");
    c.smbserver = opts.get_or("smbserver", "");
    for (const cli::KeyValue& entry : opts.entries()) {
        if (entry.key == "dnssearch") c.dnssearch.push_back(entry.value);
        if (entry.key == "hostfwd") c.hostfwd.push_back(entry.value);
        if (entry.key == "guestfwd") c.guestfwd.push_back(entry.value);
    }
    return c;
}

std::vector<UserNetdev*> user_netdevs() { return stacks(); }

// The slirp instance and its hooks into our main loop.
struct UserNetdev::State {
    UserNetdev* owner = nullptr;
    Slirp* slirp = nullptr;
    SlirpCb callbacks{};
    GSource* source = nullptr;
    // fd -> (glib tag, events asked for); rebuilt from slirp's poll set
    // before every poll, touching only what changed (every change wakes
    // the loop once).
    struct Watched {
        gpointer tag;
        int events;
    };
    std::map<int, Watched> watched;
    std::vector<int> index_to_fd;  // slirp's poll indices
    std::map<int, int> wanted;     // filled by slirp_pollfds_fill
    std::vector<std::unique_ptr<Timer>> timers;
    // guestfwd=...-CHARDEV: a chardev "guestfwd.tcp.PORT" carries the
    // guest's connection to server:port.
    struct ChardevForward {
        State* state;
        in_addr server;
        int port;
        chardev::Chardev* chardev;
        chardev::FunctionFrontend frontend;
    };
    std::vector<std::unique_ptr<ChardevForward>> chardev_forwards;
};

namespace {

struct SlirpSource {
    GSource base;
    UserNetdev::State* state;
};

int to_glib(int slirp_events) {
    int events = 0;
    if (slirp_events & SLIRP_POLL_IN) events |= G_IO_IN;
    if (slirp_events & SLIRP_POLL_OUT) events |= G_IO_OUT;
    if (slirp_events & SLIRP_POLL_PRI) events |= G_IO_PRI;
    if (slirp_events & SLIRP_POLL_ERR) events |= G_IO_ERR;
    if (slirp_events & SLIRP_POLL_HUP) events |= G_IO_HUP;
    return events;
}

int from_glib(int revents) {
    int events = 0;
    if (revents & G_IO_IN) events |= SLIRP_POLL_IN;
    if (revents & G_IO_OUT) events |= SLIRP_POLL_OUT;
    if (revents & G_IO_PRI) events |= SLIRP_POLL_PRI;
    if (revents & (G_IO_ERR | G_IO_NVAL)) events |= SLIRP_POLL_ERR;
    if (revents & G_IO_HUP) events |= SLIRP_POLL_HUP;
    return events;
}

gboolean slirp_prepare(GSource* source, gint* timeout) {
    UserNetdev::State& s = *reinterpret_cast<SlirpSource*>(source)->state;
    s.index_to_fd.clear();
    s.wanted.clear();
    uint32_t slirp_timeout = UINT32_MAX;
    slirp_pollfds_fill(
        s.slirp, &slirp_timeout,
        [](int fd, int events, void* opaque) -> int {
            auto& st = *static_cast<UserNetdev::State*>(opaque);
            st.wanted[fd] |= to_glib(events);
            st.index_to_fd.push_back(fd);
            return static_cast<int>(st.index_to_fd.size() - 1);
        },
        &s);
    for (auto it = s.watched.begin(); it != s.watched.end();) {
        auto want = s.wanted.find(it->first);
        if (want == s.wanted.end()) {
            g_source_remove_unix_fd(source, it->second.tag);
            it = s.watched.erase(it);
            continue;
        }
        if (want->second != it->second.events) {
            g_source_modify_unix_fd(source, it->second.tag, static_cast<GIOCondition>(want->second));
            it->second.events = want->second;
        }
        ++it;
    }
    for (const auto& [fd, events] : s.wanted) {
        if (s.watched.count(fd)) continue;
        gpointer tag = g_source_add_unix_fd(source, fd, static_cast<GIOCondition>(events));
        s.watched[fd] = {tag, events};
    }
    *timeout = slirp_timeout == UINT32_MAX ? -1 : static_cast<gint>(slirp_timeout);
    return FALSE;
}

// slirp's TCP timers advance only inside slirp_pollfds_poll, so it runs
// after every poll, fd events or not (as QEMU's main loop calls it).
gboolean slirp_check(GSource*) { return TRUE; }

gboolean slirp_dispatch(GSource* source, GSourceFunc, gpointer) {
    UserNetdev::State& s = *reinterpret_cast<SlirpSource*>(source)->state;
    slirp_pollfds_poll(
        s.slirp, 0,
        [](int idx, void* opaque) -> int {
            auto& st = *static_cast<UserNetdev::State*>(opaque);
            if (idx < 0 || static_cast<size_t>(idx) >= st.index_to_fd.size()) return 0;
            auto it = st.watched.find(st.index_to_fd[idx]);
            if (it == st.watched.end()) return 0;
            return from_glib(g_source_query_unix_fd(st.source, it->second.tag));
        },
        &s);
    return G_SOURCE_CONTINUE;
}

GSourceFuncs slirp_source_funcs = {slirp_prepare, slirp_check, slirp_dispatch, nullptr, nullptr, nullptr};

}  // namespace

UserNetdev::UserNetdev(std::string name, const UserNetConfig& config)
    : NetClient(ClientKind::kUser, std::move(name)), config_(config) {
    if (!config_.smb.empty()) {
        // QEMU shares the directory by running smbd; we do not (yet).
        if (access("/usr/sbin/smbd", X_OK) != 0) throw Error("Could not find '/usr/sbin/smbd', please install it");
        throw Error("smb= is not supported yet");
    }
    auto state = std::make_unique<State>();
    state->owner = this;
    SlirpCb& cb = state->callbacks;
    cb.send_packet = [](const void* buf, size_t len, void* opaque) -> ssize_t {
        auto* st = static_cast<State*>(opaque);
        std::vector<uint8_t> padded;
        st->owner->send(pad_short_frame({static_cast<const uint8_t*>(buf), len}, padded));
        return static_cast<ssize_t>(len);
    };
    cb.guest_error = [](const char* msg, void* opaque) {
        MIMIC_LOG(log::kGuestErrors, "{}: {}\n", static_cast<State*>(opaque)->owner->name(), msg);
    };
    cb.clock_get_ns = [](void*) -> int64_t { return clock_get_ns(Clock::kVirtual); };
    cb.timer_new = [](SlirpTimerCb callback, void* cb_opaque, void* opaque) -> void* {
        auto* st = static_cast<State*>(opaque);
        st->timers.push_back(std::make_unique<Timer>(Clock::kVirtual, [callback, cb_opaque] { callback(cb_opaque); },
                                                     kNsPerMs));
        return st->timers.back().get();
    };
    cb.timer_new_opaque = [](SlirpTimerId id, void* cb_opaque, void* opaque) -> void* {
        auto* st = static_cast<State*>(opaque);
        st->timers.push_back(std::make_unique<Timer>(
            Clock::kVirtual, [st, id, cb_opaque] { slirp_handle_timer(st->slirp, id, cb_opaque); }, kNsPerMs));
        return st->timers.back().get();
    };
    cb.timer_free = [](void* timer, void* opaque) {
        auto* st = static_cast<State*>(opaque);
        std::erase_if(st->timers, [&](const std::unique_ptr<Timer>& t) { return t.get() == timer; });
    };
    cb.timer_mod = [](void* timer, int64_t expire_ms, void*) { static_cast<Timer*>(timer)->mod(expire_ms); };
    cb.register_poll_fd = [](int, void*) {};
    cb.unregister_poll_fd = [](int, void*) {};
    cb.notify = [](void*) { main_loop_wakeup(); };

    std::vector<const char*> dnssearch;
    for (const std::string& domain : config_.dnssearch) dnssearch.push_back(domain.c_str());
    dnssearch.push_back(nullptr);
    auto or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    SlirpConfig cfg{};
    cfg.version = 4;
    cfg.restricted = config_.restricted;
    cfg.in_enabled = config_.ipv4;
    cfg.vnetwork = config_.net;
    cfg.vnetmask = config_.mask;
    cfg.vhost = config_.host;
    cfg.in6_enabled = config_.ipv6;
    cfg.vprefix_addr6 = config_.prefix6;
    cfg.vprefix_len = static_cast<uint8_t>(config_.prefix6_len);
    cfg.vhost6 = config_.host6;
    cfg.vhostname = or_null(config_.hostname);
    cfg.tftp_server_name = or_null(config_.tftp_server_name);
    cfg.tftp_path = or_null(config_.tftp);
    cfg.bootfile = or_null(config_.bootfile);
    cfg.vdhcp_start = config_.dhcp_start;
    cfg.vnameserver = config_.dns;
    cfg.vnameserver6 = config_.dns6;
    cfg.vdnssearch = config_.dnssearch.empty() ? nullptr : dnssearch.data();
    cfg.vdomainname = or_null(config_.domainname);
    state->slirp = slirp_new(&cfg, &state->callbacks, state.get());
    if (!state->slirp) throw Error("Could not initialize the user network stack");
    state_ = state.release();
    try {
        // QEMU sets the rules up last first (visible in `info usernet` and
        // in which of two clashing rules is reported).
        for (auto rule = config_.hostfwd.rbegin(); rule != config_.hostfwd.rend(); ++rule) add_hostfwd(*rule);
        for (auto rule = config_.guestfwd.rbegin(); rule != config_.guestfwd.rend(); ++rule) add_guestfwd(*rule);
    } catch (...) {
        shut_down();
        throw;
    }
    state_->source = g_source_new(&slirp_source_funcs, sizeof(SlirpSource));
    reinterpret_cast<SlirpSource*>(state_->source)->state = state_;
    g_source_attach(state_->source, main_loop_context());
    stacks().push_back(this);
}

UserNetdev::~UserNetdev() { shut_down(); }

void UserNetdev::shut_down() {
    std::erase(stacks(), this);
    if (!state_) return;
    if (state_->source) {
        g_source_destroy(state_->source);
        g_source_unref(state_->source);
    }
    slirp_cleanup(state_->slirp);
    for (auto& fwd : state_->chardev_forwards) {
        fwd->chardev->detach(&fwd->frontend);
        try {
            chardev::ChardevRegistry::global().remove(fwd->chardev->id());
        } catch (const Error&) {
        }
    }
    delete state_;
    state_ = nullptr;
}

std::string UserNetdev::info_str() const {
    char net[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &config_.net, net, sizeof(net));
    return fmt::format("net={},restrict={}", net, config_.restricted ? "on" : "off");
}

void UserNetdev::receive(std::span<const uint8_t> frame) {
    if (state_) slirp_input(state_->slirp, frame.data(), static_cast<int>(frame.size()));
}

void UserNetdev::add_hostfwd(std::string_view rule) {
    HostForward fwd = parse_hostfwd(rule);
    if (!state_ || slirp_add_hostfwd(state_->slirp, fwd.udp, fwd.host_addr, fwd.host_port, fwd.guest_addr,
                                     fwd.guest_port) < 0)
        throw Error("Could not set up host forwarding rule '{}'", rule);
}

bool UserNetdev::remove_hostfwd(const HostForward& fwd) {
    return state_ && slirp_remove_hostfwd(state_->slirp, fwd.udp, fwd.host_addr, fwd.host_port) == 0;
}

void UserNetdev::add_guestfwd(std::string_view rule) {
    GuestForward fwd = parse_guestfwd(rule);
    if (!fwd.command.empty()) {
        if (slirp_add_exec(state_->slirp, fwd.command.c_str(), &fwd.server, fwd.port) < 0)
            throw Error("Conflicting/invalid host:port in guest forwarding rule '{}'", rule);
        return;
    }
    std::string id = fmt::format("guestfwd.tcp.{}", fwd.port);
    chardev::Chardev* chr = nullptr;
    try {
        chr = chardev::ChardevRegistry::global().create_legacy(fwd.chardev, id).chardev;
    } catch (const Error& e) {
        // QEMU reports the chardev's own complaint first, then this.
        std::fprintf(stderr, "mimic-system-x86_64: %s\n", e.what());
    }
    if (!chr) throw Error("Could not open guest forwarding device '{}'", id);
    auto entry = std::make_unique<State::ChardevForward>();
    State::ChardevForward* raw = entry.get();
    raw->state = state_;
    raw->server = fwd.server;
    raw->port = fwd.port;
    raw->chardev = chr;
    raw->frontend.on_can_receive = [raw]() -> size_t {
        return slirp_socket_can_recv(raw->state->slirp, raw->server, raw->port);
    };
    raw->frontend.on_receive = [raw](std::span<const uint8_t> data) {
        slirp_socket_recv(raw->state->slirp, raw->server, raw->port, data.data(), static_cast<int>(data.size()));
    };
    auto write_to_chardev = [](const void* buf, size_t len, void* opaque) -> ssize_t {
        auto* f = static_cast<State::ChardevForward*>(opaque);
        f->chardev->write_all({static_cast<const uint8_t*>(buf), len});
        return static_cast<ssize_t>(len);
    };
    if (slirp_add_guestfwd(state_->slirp, write_to_chardev, raw, &raw->server, raw->port) < 0) {
        chardev::ChardevRegistry::global().remove(id);
        throw Error("Conflicting/invalid host:port in guest forwarding rule '{}'", rule);
    }
    chr->attach(&raw->frontend);
    state_->chardev_forwards.push_back(std::move(entry));
}

std::string UserNetdev::connection_info() const {
    if (!state_) return "";
    char* text = slirp_connection_info(state_->slirp);
    std::string out = text ? text : "";
    g_free(text);
    return out;
}

namespace {

std::unique_ptr<NetClient> create(const std::string& name, const cli::Opts& opts) {
    return std::make_unique<UserNetdev>(name, parse_user_config(opts));
}

}  // namespace

const BackendType kUserBackend{"user", kParams, create};

}  // namespace mimic::net
