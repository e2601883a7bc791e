#include "mimic/chardev/registry.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "backends.h"
#include "fd_chardev.h"
#include "mimic/chardev/legacy.h"
#include "mimic/chardev/mux.h"
#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

using Factory = std::unique_ptr<Chardev> (*)(const std::string&, const ChardevOptions&);

struct BackendType {
    const char* name;
    Factory factory;
    // Keys this backend accepts besides the common ones.
    std::vector<std::string_view> keys;
};

const std::vector<BackendType>& backend_types() {
    static const std::vector<BackendType> types = {
        {"file", create_file, {"path", "append", "input-path"}},
        {"memory", create_ringbuf, {"size"}},
        {"null", create_null, {}},
        {"parallel", create_parallel, {"path"}},
        {"pipe", create_pipe, {"path"}},
        {"pty", create_pty, {"path"}},
        {"ringbuf", create_ringbuf, {"size"}},
        {"serial", create_serial, {"path"}},
        {"socket", create_socket,
         {"path", "host", "port", "to", "ipv4", "ipv6", "server", "wait", "telnet", "tn3270", "nodelay", "delay",
          "reconnect"}},
        {"stdio", create_stdio, {"signal"}},
        {"tty", create_serial, {"path"}},
        {"udp", create_udp, {"host", "port", "localaddr", "localport", "ipv4", "ipv6"}},
        {"vc", create_vc, {"width", "height", "cols", "rows"}},
    };
    return types;
}

constexpr std::array<std::string_view, 5> kCommonKeys = {"backend", "id", "mux", "logfile", "logappend"};

const BackendType& find_type(const std::string& name) {
    for (const BackendType& type : backend_types()) {
        if (name == type.name) return type;
    }
    throw Error("'{}' is not a valid char driver name", name);
}

void check_keys(const BackendType& type, const ChardevOptions& options) {
    for (const auto& [key, value] : options) {
        bool known = std::find(kCommonKeys.begin(), kCommonKeys.end(), key) != kCommonKeys.end() ||
                     std::find(type.keys.begin(), type.keys.end(), key) != type.keys.end();
        if (!known) throw Error("Invalid parameter '{}'", key);
    }
}

// QEMU's rule for ids: a letter, then letters, digits, '-', '.', '_'.
bool valid_id(const std::string& id) {
    if (id.empty() || !std::isalpha(static_cast<unsigned char>(id[0]))) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
}

}  // namespace

std::unique_ptr<Chardev> create_backend(const ChardevOptions& raw_options) {
    ChardevOptions options = normalize_options(raw_options);
    auto backend = opt_string(options, "backend");
    std::string id = opt_string(options, "id").value_or("");
    if (!backend || backend->empty()) throw Error("chardev: \"{}\" missing backend", id);
    const BackendType& type = find_type(*backend);
    check_keys(type, options);

    int logfile = -1;
    if (auto path = opt_string(options, "logfile")) {
        bool append = opt_bool(options, "logappend").value_or(false);
        logfile = open_or_throw(*path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC));
    }
    std::unique_ptr<Chardev> chardev;
    try {
        chardev = type.factory(id, options);
    } catch (...) {
        if (logfile >= 0) close(logfile);
        throw;
    }
    if (logfile >= 0) chardev->set_logfile(logfile);
    return chardev;
}

std::vector<std::string> backend_names() {
    std::vector<std::string> names;
    for (const BackendType& type : backend_types()) names.emplace_back(type.name);
    return names;
}

std::string backend_help_text() {
    std::string text = "Available chardev backend types: ";
    for (const BackendType& type : backend_types()) text += std::string("\n  ") + type.name;
    return text + "\n";
}

ChardevRegistry::ChardevRegistry() = default;
ChardevRegistry::~ChardevRegistry() { clear(); }

ChardevRegistry& ChardevRegistry::global() {
    static ChardevRegistry registry;
    return registry;
}

Chardev& ChardevRegistry::create(const ChardevOptions& raw_options) {
    ChardevOptions options = normalize_options(raw_options);
    auto id = opt_string(options, "id");
    if (!id) throw Error("chardev: no id specified");
    if (!valid_id(*id)) throw Error("Parameter 'id' expects an identifier");
    if (find(*id)) throw Error("Duplicate ID '{}' for chardev", *id);

    if (!opt_bool(options, "mux").value_or(false)) {
        add(create_backend(options));
        return *chardevs_.back();
    }
    // The mux takes the user's id so front ends find it; the real backend
    // hides behind "ID-base" as in QEMU.
    std::string base_id = *id + "-base";
    if (find(base_id)) throw Error("Duplicate ID '{}' for chardev", base_id);
    options["id"] = base_id;
    options.erase("mux");
    std::unique_ptr<Chardev> base = create_backend(options);
    auto mux = std::make_unique<MuxChardev>(*id, *base);
    add(std::move(base));
    add(std::move(mux));
    return *chardevs_.back();
}

ChardevRegistry::LegacyResult ChardevRegistry::create_legacy(std::string_view spec, std::string_view id) {
    LegacyChardev parsed = parse_legacy_chardev(spec, id);
    if (!parsed.existing_id.empty()) {
        Chardev* existing = find(parsed.existing_id);
        if (!existing) throw Error("Chardev '{}' not found", parsed.existing_id);
        return {existing, false};
    }
    if (!parsed.options) return {};
    return {&create(*parsed.options), parsed.with_monitor};
}

void ChardevRegistry::add(std::unique_ptr<Chardev> chardev) { chardevs_.push_back(std::move(chardev)); }

Chardev& ChardevRegistry::adopt(std::unique_ptr<Chardev> chardev) {
    if (find(chardev->id())) throw Error("Duplicate ID '{}' for chardev", chardev->id());
    add(std::move(chardev));
    return *chardevs_.back();
}

Chardev* ChardevRegistry::find(std::string_view id) const {
    for (const auto& chardev : chardevs_) {
        if (chardev->id() == id) return chardev.get();
    }
    return nullptr;
}

void ChardevRegistry::remove(std::string_view id) {
    Chardev* chardev = find(id);
    if (!chardev) throw Error("Chardev '{}' not found", id);
    if (chardev->in_use()) throw Error("Chardev '{}' is busy", id);
    Chardev* base = nullptr;
    if (auto* mux = dynamic_cast<MuxChardev*>(chardev)) base = &mux->backend();
    // Mux first: it is attached to its base.
    std::erase_if(chardevs_, [chardev](const auto& c) { return c.get() == chardev; });
    if (base) std::erase_if(chardevs_, [base](const auto& c) { return c.get() == base; });
}

void ChardevRegistry::clear() {
    // Newest first, so a mux goes before the backend it is attached to.
    while (!chardevs_.empty()) chardevs_.pop_back();
}

std::vector<ChardevInfo> ChardevRegistry::query() const {
    std::vector<ChardevInfo> infos;
    for (const auto& chardev : chardevs_) {
        infos.push_back(ChardevInfo{chardev->id(), chardev->filename(), chardev->in_use()});
    }
    return infos;
}

std::string ChardevRegistry::info_text() const {
    std::string text;
    for (const ChardevInfo& info : query()) text += info.label + ": filename=" + info.filename + "\n";
    return text;
}

}  // namespace mimic::chardev
