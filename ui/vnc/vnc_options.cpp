// Parsing -vnc with QEMU 7.2's grammar and error texts.
#include <cerrno>
#include <cstdlib>

#include "mimic/cli/opts.h"
#include "mimic/ui/vnc.h"
#include "mimic/util/error.h"

namespace mimic::ui {
namespace {

const cli::OptDesc kVncDescs[] = {
    {"vnc", cli::OptType::kString, ""},
    {"reverse", cli::OptType::kBool, ""},
    {"websocket", cli::OptType::kString, ""},
    {"tls-creds", cli::OptType::kString, ""},
    {"tls-authz", cli::OptType::kString, ""},
    {"sasl", cli::OptType::kBool, ""},
    {"sasl-authz", cli::OptType::kString, ""},
    {"password", cli::OptType::kBool, ""},
    {"password-secret", cli::OptType::kString, ""},
    {"lossy", cli::OptType::kBool, ""},
    {"non-adaptive", cli::OptType::kBool, ""},
    {"share", cli::OptType::kString, ""},
    {"key-delay-ms", cli::OptType::kNumber, ""},
    {"audiodev", cli::OptType::kString, ""},
    {"display", cli::OptType::kString, ""},
    {"to", cli::OptType::kNumber, ""},
    {"ipv4", cli::OptType::kBool, ""},
    {"ipv6", cli::OptType::kBool, ""},
    {"power-control", cli::OptType::kBool, ""},
    {"connections", cli::OptType::kNumber, ""},
};

// Displays are ports from 5900: the last one must still be a port.
constexpr long kMaxDisplay = 65535 - 5900;

int parse_display(const std::string& text) {
    if (text.empty() || text[0] == '-' || text[0] == '+') throw Error("can't convert to a number: {}", text);
    errno = 0;
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || errno) throw Error("can't convert to a number: {}", text);
    if (value > kMaxDisplay) throw Error("port {} out of range", text);
    return static_cast<int>(value);
}

}  // namespace

VncOptions parse_vnc_options(std::string_view text) {
    cli::Opts opts = cli::parse_opts(text, "vnc");
    cli::validate(opts, kVncDescs);
    VncOptions o;
    if (!opts.id().empty()) o.id = opts.id();
    std::string address = opts.get_or("vnc", "");

    // Features Mimic does not have are refused rather than ignored.
    auto refuse = [](const std::string& what) { throw Error("{} is not supported yet", what); };
    if (opts.has("websocket")) refuse("VNC over websockets (websocket=)");
    if (opts.has("tls-creds") || opts.has("tls-authz")) refuse("VNC with TLS (tls-creds=)");
    if (opts.get_bool("sasl").value_or(false) || opts.has("sasl-authz")) refuse("VNC with SASL (sasl=)");
    if (opts.get_bool("reverse").value_or(false)) refuse("a reverse VNC connection (reverse=)");
    if (opts.has("password-secret")) refuse("VNC passwords from secrets (password-secret=)");
    if (opts.get_bool("lossy").value_or(false)) refuse("lossy VNC encodings (lossy=on)");
    if (opts.get_bool("non-adaptive").value_or(false)) refuse("VNC's adaptive encodings (non-adaptive=)");
    if (opts.has("audiodev")) refuse("VNC audio (audiodev=)");
    if (opts.has("display")) refuse("choosing the VNC console (display=)");
    if (opts.get_bool("power-control").value_or(false)) refuse("VNC power control (power-control=on)");
    if (opts.has("key-delay-ms")) refuse("VNC key delays (key-delay-ms=)");
    if (opts.has("connections")) refuse("limiting VNC connections (connections=)");

    o.password = opts.get_bool("password").value_or(false);
    o.ipv4 = opts.get_bool("ipv4");
    o.ipv6 = opts.get_bool("ipv6");
    if (auto share = opts.get("share")) {
        if (*share == "allow-exclusive") o.share = VncOptions::Share::kAllowExclusive;
        else if (*share == "force-shared") o.share = VncOptions::Share::kForceShared;
        else if (*share == "ignore") o.share = VncOptions::Share::kIgnore;
        else throw Error("unknown vnc share= option");
    }

    if (address == "none") {
        o.kind = VncOptions::Kind::kNone;
        return o;
    }
    if (address.rfind("unix:", 0) == 0) {
        o.kind = VncOptions::Kind::kUnix;
        o.path = address.substr(5);
        return o;
    }
    size_t colon = address.rfind(':');
    if (colon == std::string::npos) throw Error("no vnc port specified");
    o.kind = VncOptions::Kind::kTcp;
    o.host = address.substr(0, colon);
    if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
    o.display = parse_display(address.substr(colon + 1));
    if (auto to = opts.get_number("to")) {
        if (*to > static_cast<uint64_t>(kMaxDisplay)) throw Error("port {} out of range", *to);
        o.to = static_cast<int>(*to);
    }
    return o;
}

}  // namespace mimic::ui
