// Creating chardevs from options and finding them by id.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mimic/chardev/chardev.h"
#include "mimic/chardev/options.h"

namespace mimic::chardev {

// One entry of QMP query-chardev.
struct ChardevInfo {
    std::string label;
    std::string filename;
    bool frontend_open;
};

// Creates a standalone backend from options (no id bookkeeping, no mux).
// Throws mimic::Error: "'bogus' is not a valid char driver name",
// "Invalid parameter 'x'", backend-specific open/connect failures.
std::unique_ptr<Chardev> create_backend(const ChardevOptions& options);

// Backend names for "-chardev help" and query-chardev-backends.
std::vector<std::string> backend_names();
std::string backend_help_text();

class ChardevRegistry {
public:
    ChardevRegistry();
    ~ChardevRegistry();

    // The process-wide registry that -chardev, -serial and chardev-add use.
    static ChardevRegistry& global();

    // Requires options["id"]. With mux=on the backend is registered as
    // "ID-base" and the returned mux as "ID". Throws mimic::Error
    // ("Duplicate ID 'x' for chardev", "chardev: no id specified").
    Chardev& create(const ChardevOptions& options);
    Chardev* find(std::string_view id) const;
    // Registers a backend of the caller's own type (a program embedding
    // the VM: the in-process fuzzer's qtest line). Throws on a duplicate ID.
    Chardev& adopt(std::unique_ptr<Chardev> chardev);

    // -serial/-parallel/-monitor shorthand in one step: parses `spec`
    // (see legacy.h), creates the chardev as `id`, or finds the existing
    // one for "chardev:ID". `chardev` is null for "none"; `with_monitor`
    // asks the caller to put a monitor on it ("mon:...").
    struct LegacyResult {
        Chardev* chardev = nullptr;
        bool with_monitor = false;
    };
    LegacyResult create_legacy(std::string_view spec, std::string_view id);
    // Throws "Chardev 'x' not found" / "Chardev 'x' is busy".
    void remove(std::string_view id);
    void clear();

    // In creation order.
    std::vector<ChardevInfo> query() const;
    // "info chardev": "serial0: filename=stdio\n" per chardev.
    std::string info_text() const;

private:
    void add(std::unique_ptr<Chardev> chardev);
    std::vector<std::unique_ptr<Chardev>> chardevs_;
};

}  // namespace mimic::chardev
