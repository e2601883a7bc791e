#include "mimic/chardev/legacy.h"

#include <string>

#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

// "host:port" or "[v6]:port", host possibly empty; false if malformed.
bool split_host_port(std::string_view text, std::string& host, std::string& port) {
    size_t colon;
    if (text.starts_with('[')) {
        size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
        host = std::string(text.substr(1, close - 1));
        colon = close + 1;
    } else {
        colon = text.find(':');
        if (colon == std::string_view::npos) return false;
        host = std::string(text.substr(0, colon));
    }
    port = std::string(text.substr(colon + 1));
    return !port.empty();
}

// Merges "key=value,flag,noflag" into `options`.
void merge_suffix(ChardevOptions& options, std::string_view suffix) {
    if (suffix.empty()) return;
    ChardevOptions extra = parse_chardev_string(std::string("x,") + std::string(suffix));
    extra.erase("backend");
    for (auto& [k, v] : extra) options[k] = v;
}

std::optional<ChardevOptions> parse_backend(std::string_view spec) {
    ChardevOptions o;
    auto simple = [&](const char* backend) {
        o["backend"] = backend;
        return o;
    };
    if (spec == "null") return simple("null");
    if (spec == "stdio") return simple("stdio");
    if (spec == "pty") return simple("pty");
    if (spec == "vc") return simple("vc");
    if (spec.starts_with("vc:")) {
        // "vc:800x600" is pixels, "vc:80Cx24C" characters.
        std::string_view size = spec.substr(3);
        size_t x = size.find('x');
        if (x == std::string_view::npos) return std::nullopt;
        std::string w(size.substr(0, x)), h(size.substr(x + 1));
        bool chars = !w.empty() && w.back() == 'C' && !h.empty() && h.back() == 'C';
        if (chars) {
            w.pop_back();
            h.pop_back();
        }
        auto digits = [](const std::string& s) {
            return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
        };
        if (!digits(w) || !digits(h)) return std::nullopt;
        o[chars ? "cols" : "width"] = w;
        o[chars ? "rows" : "height"] = h;
        return simple("vc");
    }
    if (spec.starts_with("pty:") && spec.size() > 4) {
        o["path"] = spec.substr(4);
        return simple("pty");
    }
    if (spec == "msmouse" || spec == "braille" || spec == "wctablet" || spec == "testdev") {
        return simple(std::string(spec).c_str());
    }
    if (spec.starts_with("file:") && spec.size() > 5) {
        o["path"] = spec.substr(5);
        return simple("file");
    }
    if (spec.starts_with("pipe:") && spec.size() > 5) {
        o["path"] = spec.substr(5);
        return simple("pipe");
    }
    for (std::string_view prefix : {"tcp:", "telnet:", "tn3270:"}) {
        if (!spec.starts_with(prefix)) continue;
        std::string_view rest = spec.substr(prefix.size());
        size_t comma = rest.find(',');
        std::string host, port;
        if (!split_host_port(rest.substr(0, comma), host, port)) return std::nullopt;
        o["host"] = host;
        o["port"] = port;
        if (prefix == "telnet:") o["telnet"] = "on";
        if (prefix == "tn3270:") o["tn3270"] = "on";
        if (comma != std::string_view::npos) merge_suffix(o, rest.substr(comma + 1));
        return simple("socket");
    }
    if (spec.starts_with("unix:")) {
        std::string_view rest = spec.substr(5);
        size_t comma = rest.find(',');
        if (comma == 0 || rest.empty()) return std::nullopt;
        // The rest is an option string whose implied key is the path
        // ("unix:/tmp/s,server" or "unix:path=/tmp/s,server").
        o = parse_chardev_string(rest);
        if (auto implied = o.find("backend"); implied != o.end()) {
            o["path"] = implied->second;
            o.erase(implied);
        }
        if (o["path"].empty()) return std::nullopt;
        return simple("socket");
    }
    if (spec.starts_with("udp:")) {
        // udp:[remote_host]:remote_port[@[src_ip]:src_port]
        std::string_view rest = spec.substr(4);
        size_t at = rest.find('@');
        std::string host, port;
        if (!split_host_port(rest.substr(0, at), host, port)) return std::nullopt;
        o["host"] = host;
        o["port"] = port;
        if (at != std::string_view::npos) {
            std::string lhost, lport;
            if (!split_host_port(rest.substr(at + 1), lhost, lport)) return std::nullopt;
            o["localaddr"] = lhost;
            o["localport"] = lport;
        }
        return simple("udp");
    }
    if (spec.starts_with("/dev/parport") || spec.starts_with("/dev/lp")) {
        o["path"] = spec;
        return simple("parallel");
    }
    if (spec.starts_with("/dev/")) {
        o["path"] = spec;
        return simple("serial");
    }
    return std::nullopt;
}

}  // namespace

LegacyChardev parse_legacy_chardev(std::string_view spec, std::string_view id) {
    LegacyChardev result;
    if (spec == "none") return result;
    if (spec.starts_with("chardev:") && spec.size() > 8) {
        result.existing_id = std::string(spec.substr(8));
        return result;
    }
    std::string_view inner = spec;
    if (inner.starts_with("mon:")) {
        inner = inner.substr(4);
        result.with_monitor = true;
    }
    std::optional<ChardevOptions> options = parse_backend(inner);
    if (!options) throw Error("'{}' is not a valid char driver", inner);
    (*options)["id"] = std::string(id);
    if (result.with_monitor) {
        (*options)["mux"] = "on";
        // Serial console and monitor on the user's terminal (what
        // -nographic sets up): Ctrl-C belongs to the guest, C-a x quits.
        if (inner == "stdio") (*options)["signal"] = "off";
    }
    result.options = std::move(options);
    return result;
}

}  // namespace mimic::chardev
