#include "mimic/system/drives.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include <fmt/format.h>

#include "mimic/qom/backend_registry.h"
#include "mimic/util/error.h"
#include "mimic/util/size.h"

namespace mimic::system {
namespace {

struct InterfaceInfo {
    DriveInterface interface;
    const char* name;
    int max_devices_per_bus;  // index= maps to bus/unit with this
};

constexpr InterfaceInfo kInterfaces[] = {
    {DriveInterface::kNone, "none", 1},     {DriveInterface::kIde, "ide", 2},
    {DriveInterface::kFloppy, "floppy", 2}, {DriveInterface::kScsi, "scsi", 7},
    {DriveInterface::kVirtio, "virtio", 1}, {DriveInterface::kSd, "sd", 1},
    {DriveInterface::kPflash, "pflash", 1}, {DriveInterface::kMtd, "mtd", 1},
};

const InterfaceInfo& interface_info(DriveInterface interface) {
    for (const InterfaceInfo& info : kInterfaces) {
        if (info.interface == interface) return info;
    }
    return kInterfaces[0];
}

// The keys -drive understands; block-driver options beyond these are not
// available yet, and a typo must not pass silently. ("serial" left -drive in
// QEMU 3.0: it is a device property now.)
constexpr const char* kDriveKeys[] = {
    "file", "if", "bus", "unit", "index", "media", "format", "cache", "aio", "readonly",
    "snapshot", "werror", "rerror", "discard", "detect-zeroes", "copy-on-read",
    "cache.direct", "cache.no-flush", "file.locking", "force-share",
};

bool is_one_of(std::string_view value, std::initializer_list<std::string_view> choices) {
    for (std::string_view choice : choices) {
        if (value == choice) return true;
    }
    return false;
}

// A boolean as QEMU's option lists read it; `name` is how QEMU names it.
void check_bool(const cli::Opts& opts, const char* key, const char* name) {
    if (auto value = opts.get(key); value && !parse_bool(*value))
        throw Error("Parameter '{}' expects 'on' or 'off'", name);
}

// Values QEMU checks before it opens anything, in its order, with its words;
// Mimic does not act on all of them, but refuses what QEMU refuses.
void check_values_before_bus(const cli::Opts& opts) {
    check_bool(opts, "readonly", "read-only");
    check_bool(opts, "snapshot", "snapshot");
    if (auto cache = opts.get("cache");
        cache && !is_one_of(*cache, {"none", "writeback", "unsafe", "directsync", "writethrough"}))
        throw Error("invalid cache option");
    if (auto aio = opts.get("aio"); aio && !is_one_of(*aio, {"threads", "native", "io_uring"}))
        throw Error("invalid aio option");
    check_bool(opts, "copy-on-read", "copy-on-read");
}

void check_values_after_bus(const cli::Opts& opts) {
    if (auto mode = opts.get("detect-zeroes"); mode && !is_one_of(*mode, {"off", "on", "unmap"}))
        throw Error("invalid parameter value: {}", *mode);
    if (auto action = opts.get("werror"); action && !is_one_of(*action, {"ignore", "enospc", "stop", "report"}))
        throw Error("'{}' invalid write error action", *action);
    if (auto action = opts.get("rerror"); action && !is_one_of(*action, {"ignore", "stop", "report"}))
        throw Error("'{}' invalid read error action", *action);
    check_bool(opts, "force-share", "force-share");
}

// What the image's drivers check when they open it (file.*, then the format's).
void check_values_at_open(const cli::Opts& opts) {
    if (auto locking = opts.get("file.locking"); locking && !is_one_of(*locking, {"on", "off", "auto"}))
        throw Error("invalid parameter value: {}", *locking);
    check_bool(opts, "cache.direct", "cache.direct");
    check_bool(opts, "cache.no-flush", "cache.no-flush");
}

void check_discard(const cli::Opts& opts) {
    if (auto discard = opts.get("discard"); discard && !is_one_of(*discard, {"ignore", "off", "unmap", "on"}))
        throw Error("Invalid discard option");
}

int number_option(const cli::Opts& opts, const char* key, int fallback) {
    auto value = opts.get_number(key);
    if (!value) return fallback;
    if (*value > 1000) throw Error("Parameter '{}' expects a number", key);
    return static_cast<int>(*value);
}

}  // namespace

DriveSet::DriveSet()
    : completion_watch_(completions_.event_fd(), FdHandlers{.readable = [this] { completions_.run(); }}) {}

DriveSet::~DriveSet() {
    for (auto& info : drives_) {
        if (info->drive) info->drive->drain();
        qom::BackendRegistry::instance().remove(qom::BackendKind::kDrive, info->id);
    }
}

void DriveSet::open_all(const cli::VmConfig& config) {
    for (const cli::OptionUse& use : config.drives) with_location(use.location, [&] { open(use, config.snapshot); });
    // QEMU's pc machine adds an empty CD-ROM drive at index 2 (ide1-cd0) so
    // a medium can be inserted later, unless -nodefaults, a drive of the
    // default interface already has that index, or a -device is a disk or
    // CD-ROM of its own (QEMU's default_list: ide-hd, ide-cd, scsi-hd, scsi-cd).
    bool disk_device = std::any_of(config.devices.begin(), config.devices.end(), [](const cli::OptionUse& use) {
        std::string driver = use.opts.get_or("driver", "");
        return driver == "ide-hd" || driver == "ide-cd" || driver == "scsi-hd" || driver == "scsi-cd";
    });
    if (!config.nodefaults && !disk_device && !find(DriveInterface::kIde, 2 / ide_units_per_bus_, 2 % ide_units_per_bus_))
        open({"default CD-ROM drive", cli::parse_opts("if=ide,index=2,media=cdrom")}, config.snapshot);
}

DriveInfo* DriveSet::find(DriveInterface interface, int bus, int unit) {
    for (auto& info : drives_) {
        if (info->interface == interface && info->bus == bus && info->unit == unit) return info.get();
    }
    return nullptr;
}

DriveInfo* DriveSet::find(const std::string& id) {
    for (auto& info : drives_) {
        if (info->id == id && !info->deleted) return info.get();
    }
    return nullptr;
}

DriveInfo& DriveSet::add(const cli::Opts& opts) {
    // Only back ends for a later device_add can come at run time; QEMU names
    // the interface by its BlockInterfaceType number.
    const std::string if_name = opts.get_or("if", "ide");
    for (const InterfaceInfo& candidate : kInterfaces) {
        if (if_name == candidate.name && candidate.interface != DriveInterface::kNone) {
            static constexpr int kQemuNumber[] = {0, 1, 3, 2, 7, 6, 4, 5};   // in DriveInterface order
            throw Error("Can't hot-add drive to type {}", kQemuNumber[static_cast<int>(candidate.interface)]);
        }
    }
    open(cli::OptionUse{"drive_add", opts}, false);
    return *drives_.back();
}

void DriveSet::remove(DriveInfo& info) {
    auto& registry = qom::BackendRegistry::instance();
    const bool in_use = info.interface != DriveInterface::kNone || registry.user(qom::BackendKind::kDrive, info.id);
    remove_medium(info);
    if (in_use) {
        // The device keeps pointing at this entry; it just has no medium now.
        registry.remove(qom::BackendKind::kDrive, info.id);
        info.deleted = true;
        return;
    }
    registry.remove(qom::BackendKind::kDrive, info.id);
    std::erase_if(drives_, [&](const std::unique_ptr<DriveInfo>& d) { return d.get() == &info; });
}

void DriveSet::remove_medium(DriveInfo& info) {
    if (info.drive) info.drive->drain();
    info.drive.reset();
    info.filename.clear();
}

void DriveSet::insert_medium(DriveInfo& info, const std::string& filename, const std::string& format,
                             const std::string& read_only_mode) {
    block::OpenOptions options = info.open_options;
    options.filename = filename;
    options.format = format;
    if (read_only_mode == "read-only") {
        options.read_only = true;
    } else if (read_only_mode == "read-write") {
        if (info.cdrom) throw Error("Block node is read-only");
        options.read_only = false;
    } else if (read_only_mode != "retain") {
        throw Error("Parameter 'read-only-mode' does not accept value '{}'", read_only_mode);
    }
    auto drive = block::Drive::open(options, &completions_);
    remove_medium(info);
    info.drive = std::move(drive);
    info.filename = filename;
    info.open_options = options;
}

void DriveSet::open(const cli::OptionUse& use, bool global_snapshot) {
    const cli::Opts& opts = use.opts;
    for (const cli::KeyValue& entry : opts.entries()) {
        bool known = false;
        for (const char* key : kDriveKeys) known |= entry.key == key;
        if (!known) throw Error("Invalid parameter '{}'", entry.key);
    }

    check_values_before_bus(opts);

    DriveInfo info;
    info.location = use.location;
    std::string if_name = opts.get_or("if", "ide");
    bool found = false;
    for (const InterfaceInfo& candidate : kInterfaces) {
        if (if_name == candidate.name) {
            info.interface = candidate.interface;
            found = true;
        }
    }
    if (!found) throw Error("unsupported bus type '{}'", if_name);

    std::string media = opts.get_or("media", "disk");
    if (media != "disk" && media != "cdrom") throw Error("'{}' invalid media", media);
    info.cdrom = media == "cdrom";

    // index= is bus * units_per_bus + unit, as QEMU numbers drives; if=none
    // drives sit on no bus (any number of them, found by id).
    int per_bus = info.interface == DriveInterface::kIde ? ide_units_per_bus_
                                                         : interface_info(info.interface).max_devices_per_bus;
    int index = number_option(opts, "index", -1);
    if (info.interface == DriveInterface::kNone) {
        info.bus = info.unit = 0;
    } else if (index >= 0) {
        if (opts.has("bus") || opts.has("unit"))
            throw Error("index cannot be used with bus and unit");
        info.bus = index / per_bus;
        info.unit = index % per_bus;
    } else {
        info.bus = number_option(opts, "bus", 0);
        info.unit = number_option(opts, "unit", -1);
        if (info.unit < 0) {
            // The first free unit on that bus.
            info.unit = 0;
            while (find(info.interface, info.bus, info.unit)) ++info.unit;
        }
    }
    if (info.interface != DriveInterface::kNone && info.unit >= per_bus)
        throw Error("unit {} too big (max is {})", info.unit, per_bus - 1);
    if (info.interface != DriveInterface::kNone && find(info.interface, info.bus, info.unit))
        throw Error("drive with bus={}, unit={}{} exists", info.bus, info.unit,
                    index >= 0 ? fmt::format(" (index={})", index) : "");

    if (!opts.id().empty()) {
        info.id = opts.id();
    } else {
        // Interfaces without units (virtio, sd, ...) number drives by
        // index alone: "virtio0".
        info.id = info.interface == DriveInterface::kNone ? fmt::format("none{}", drives_.size())
                  : interface_info(info.interface).max_devices_per_bus == 1 ? fmt::format("{}{}", if_name, info.bus)
                                                         : fmt::format("{}{}{}{}", if_name, info.bus,
                                    info.interface == DriveInterface::kIde ? (info.cdrom ? "-cd" : "-hd") : "",
                                    info.unit);
    }

    auto& registry = qom::BackendRegistry::instance();
    if (registry.find(qom::BackendKind::kDrive, info.id))
        throw Error("Duplicate ID '{}' for drive", info.id);

    check_values_after_bus(opts);
    info.filename = opts.get_or("file", "");
    if (info.filename.empty()) {
        // Options for the file driver ask for a node, which needs a file.
        for (const cli::KeyValue& entry : opts.entries()) {
            if (entry.key.starts_with("file.")) throw Error("Must specify either driver or file");
        }
    } else {
        check_values_at_open(opts);
    }
    block::OpenOptions& open_options = info.open_options;
    open_options.filename = info.filename;
    open_options.format = opts.get_or("format", "");
    open_options.cache = block::parse_cache_mode(opts.get_or("cache", "writeback"));
    open_options.aio = block::parse_aio_mode(opts.get_or("aio", "threads"));
    open_options.read_only = opts.get_bool("readonly").value_or(false) || info.cdrom;
    open_options.snapshot = opts.get_bool("snapshot").value_or(global_snapshot);
    if (!info.filename.empty()) {
        open_options.force_share = opts.get_bool("force-share").value_or(false);
        if (open_options.force_share && !open_options.read_only)
            throw Error("force-share=on can only be used with read-only images");
        info.drive = block::Drive::open(open_options, &completions_);
        check_discard(opts);
        std::string discard = opts.get_or("discard", "ignore");
        info.discard_unmap = discard == "unmap" || discard == "on";
    }
    drives_.push_back(std::make_unique<DriveInfo>(std::move(info)));
    registry.add(qom::BackendKind::kDrive, drives_.back()->id, std::any(drives_.back().get()));
}

}  // namespace mimic::system
