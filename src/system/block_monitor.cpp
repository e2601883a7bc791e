#include "block_monitor.h"

#include <fmt/format.h>

#include <functional>
#include <optional>

#include "mimic/block/drive.h"
#include "mimic/block/snapshot_table.h"
#include "mimic/cli/opts.h"
#include "mimic/hw/ide.h"
#include "mimic/hw/machine.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/qom/object.h"
#include "mimic/system/drives.h"

namespace mimic::system {

using monitor::ErrorClass;
using monitor::Json;
using monitor::QmpError;

namespace {

// QAPI BlockDeviceInfo of a medium.
Json inserted_info(const DriveInfo& info) {
    const block::Drive& drive = *info.drive;
    const block::BlockNode& root = *drive.root();
    Json image = {{"filename", info.filename},
                  {"format", root.format_name()},
                  {"dirty-flag", root.dirty_flag()},
                  {"virtual-size", root.size()}};
    if (int64_t actual = root.allocated_file_size(); actual >= 0) image["actual-size"] = actual;
    if (root.cluster_size()) image["cluster-size"] = root.cluster_size();
    int depth = 0;
    for (const block::BlockNode* node = &root; node->backing(); node = node->backing()) ++depth;
    Json inserted = {{"file", info.filename}, {"ro", drive.read_only()}, {"drv", root.format_name()}};
    if (!root.backing_name().empty()) {
        inserted["backing_file"] = root.backing_name();
        image["backing-filename"] = root.backing_name();
    }
    inserted["backing_file_depth"] = depth;
    inserted["encrypted"] = root.encrypted();
    inserted["detect_zeroes"] = "off";
    for (const char* limit : {"bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr"}) inserted[limit] = 0;
    inserted["image"] = std::move(image);
    const block::CacheFlags& cache = drive.cache();
    inserted["cache"] = {{"writeback", cache.writeback}, {"direct", cache.direct}, {"no-flush", cache.no_flush}};
    inserted["write_threshold"] = 0;
    return inserted;
}

// QAPI BlockDeviceStats.
Json device_stats(const DriveInfo& info) {
    block::IoStats s = info.drive ? info.drive->stats() : block::IoStats{};
    Json stats = {{"rd_bytes", s.rd_bytes},
                  {"wr_bytes", s.wr_bytes},
                  {"unmap_bytes", 0},
                  {"rd_operations", s.rd_operations},
                  {"wr_operations", s.wr_operations},
                  {"flush_operations", s.flush_operations},
                  {"unmap_operations", 0},
                  {"rd_total_time_ns", s.rd_total_time_ns},
                  {"wr_total_time_ns", s.wr_total_time_ns},
                  {"flush_total_time_ns", s.flush_total_time_ns},
                  {"unmap_total_time_ns", 0},
                  {"wr_highest_offset", s.wr_highest_offset},
                  {"rd_merged", 0},
                  {"wr_merged", 0},
                  {"unmap_merged", 0}};
    if (s.idle_time_ns >= 0) stats["idle_time_ns"] = s.idle_time_ns;
    stats["failed_rd_operations"] = s.failed_rd_operations;
    stats["failed_wr_operations"] = s.failed_wr_operations;
    stats["failed_flush_operations"] = s.failed_flush_operations;
    stats["failed_unmap_operations"] = 0;
    stats["invalid_rd_operations"] = 0;
    stats["invalid_wr_operations"] = 0;
    stats["invalid_flush_operations"] = 0;
    stats["invalid_unmap_operations"] = 0;
    stats["account_invalid"] = true;
    stats["account_failed"] = true;
    stats["timed_stats"] = Json::array();
    return stats;
}

}  // namespace

class BlockMonitor::Impl : public monitor::BlockProvider {
public:
    Impl(monitor::MonitorHub& hub, hw::Machine& machine, DriveSet& drives)
        : hub_(hub), drives_(drives), ide_(hw::find_ide_controller(machine)) {
        hub_.providers().block = this;
        register_commands();
    }
    ~Impl() override { hub_.providers().block = nullptr; }

    // `info snapshots` as QEMU 7.2 answers it: the VM state would go to the
    // first writable disk that takes internal snapshots; a snapshot of its
    // is loadable when every writable disk has one of that name, the
    // others are listed per disk as partial.
    std::string snapshots_text() const {
        std::vector<const DriveInfo*> writable;
        const DriveInfo* vmstate = nullptr;
        for (const auto& info : drives_.drives()) {
            if (info->deleted || !info->drive || info->drive->read_only()) continue;
            writable.push_back(info.get());
            if (!vmstate && info->drive->root()->supports_snapshots()) vmstate = info.get();
        }
        if (!vmstate) return "no block device can store vmstate for snapshot\n";

        struct Image {
            std::string name;
            std::vector<block::SnapshotInfo> partial;
        };
        std::vector<Image> images;
        for (const DriveInfo* info : writable) {
            if (!info->drive->root()->supports_snapshots()) continue;
            std::vector<block::SnapshotInfo> list = info->drive->root()->snapshots();
            if (!list.empty()) images.push_back({info->id, std::move(list)});
        }
        if (images.empty()) return "There is no snapshot available.\n";

        auto has_snapshot = [](const DriveInfo& info, const std::string& name) {
            if (!info.drive->root()->supports_snapshots()) return false;
            for (const block::SnapshotInfo& sn : info.drive->root()->snapshots())
                if (sn.name == name) return true;
            return false;
        };
        std::vector<block::SnapshotInfo> global;
        for (const block::SnapshotInfo& sn : vmstate->drive->root()->snapshots()) {
            bool everywhere = true;
            for (const DriveInfo* info : writable) everywhere = everywhere && has_snapshot(*info, sn.name);
            if (!everywhere) continue;
            global.push_back(sn);
            for (Image& image : images) {
                std::erase_if(image.partial, [&](const block::SnapshotInfo& s) { return s.name == sn.name; });
            }
        }

        std::string out = "List of snapshots present on all disks:\n";
        if (global.empty()) {
            out += "None\n";
        } else {
            // Their IDs may differ between the images.
            const std::string any_id = "--";
            out += block::snapshot_table_header();
            for (const block::SnapshotInfo& sn : global) out += block::snapshot_table_row(sn, &any_id);
        }
        for (const Image& image : images) {
            if (image.partial.empty()) continue;
            out += fmt::format("\nList of partial (non-loadable) snapshots on '{}':\n", image.name);
            out += block::snapshot_table_text(image.partial);
        }
        return out;
    }

    Json query_block() const override {
        Json list = Json::array();
        for (const auto& info : drives_.drives()) {
            if (info->deleted) continue;
            Json entry = {{"device", info->id}};
            const qom::Object* device = holder(*info);
            const bool attached = device != nullptr;
            if (attached) entry["qdev"] = device->canonical_path();
            // A back end no device holds counts as removable, as in QEMU.
            std::optional<Tray> tray = tray_of(*info);
            entry["removable"] = !attached || tray.has_value();
            if (tray) {
                hw::IdeTrayState state = tray->state();
                entry["locked"] = state.locked;
                entry["tray_open"] = state.open;
            } else {
                entry["locked"] = false;
            }
            if (attached) entry["io-status"] = "ok";
            if (info->drive) entry["inserted"] = inserted_info(*info);
            entry["type"] = "unknown";
            list.push_back(std::move(entry));
        }
        return list;
    }

    Json query_blockstats() const override {
        Json list = Json::array();
        for (const auto& info : drives_.drives()) {
            if (info->deleted) continue;
            Json entry = {{"device", info->id}};
            if (const qom::Object* device = holder(*info)) entry["qdev"] = device->canonical_path();
            entry["stats"] = device_stats(*info);
            list.push_back(std::move(entry));
        }
        return list;
    }

private:
    bool attached_to_ide(const DriveInfo& info) const {
        return ide_ && info.interface == DriveInterface::kIde;
    }

    // The device that holds the drive: the IDE controller for if=ide
    // drives, else the device whose drive= property claimed it (virtio-blk).
    const qom::Object* holder(const DriveInfo& info) const {
        if (attached_to_ide(info)) return dynamic_cast<const qom::Object*>(ide_);
        return qom::BackendRegistry::instance().user(qom::BackendKind::kDrive, info.id);
    }

    // A CD-ROM drive's tray: the PIIX's for -drive if=ide, the controller
    // of the -device ide-cd holding it otherwise (an AHCI port).
    struct Tray {
        std::function<hw::IdeTrayState()> state;
        std::function<bool(bool force)> open;
        std::function<void()> close;
    };
    std::optional<Tray> tray_of(const DriveInfo& info) const {
        if (attached_to_ide(info)) {
            if (!info.cdrom) return std::nullopt;
            hw::IdeController* ide = ide_;
            int bus = info.bus, unit = info.unit;
            return Tray{[=] { return ide->tray_state(bus, unit); },
                        [=](bool force) { return ide->open_tray(bus, unit, force); },
                        [=] { ide->close_tray(bus, unit); }};
        }
        const qom::Object* device = holder(info);
        std::optional<hw::IdeDeviceSlot> slot = device ? hw::ide_device_slot(*device) : std::nullopt;
        if (!slot || !slot->cdrom) return std::nullopt;
        hw::IdeBusOwner* owner = slot->owner;
        int bus = slot->bus, unit = slot->unit;
        return Tray{[=] { return owner->ide_tray_state(bus, unit); },
                    [=](bool force) { return owner->ide_open_tray(bus, unit, force); },
                    [=] { owner->ide_close_tray(bus, unit); }};
    }

    // The drive an eject or change names: `device` (the drive id) or `id`
    // (the guest device, here the drive id too), exactly one of them.
    DriveInfo& removable_drive(const Json& args) {
        bool has_device = args.contains("device"), has_id = args.contains("id");
        if (has_device == has_id) throw QmpError("Need exactly one of 'device' and 'id'");
        std::string name = args[has_device ? "device" : "id"].get<std::string>();
        DriveInfo* info = drives_.find(name);
        if (!info) throw QmpError(ErrorClass::kDeviceNotFound, fmt::format("Device '{}' not found", name));
        if (!tray_of(*info)) throw QmpError(fmt::format("Device '{}' is not removable", name));
        return *info;
    }

    // Opens the tray and takes the medium out, as QEMU's eject does.
    void open_and_remove(DriveInfo& info, bool force) {
        if (!tray_of(info)->open(force)) {
            throw QmpError(fmt::format(
                "Device '{}' is locked and force was not specified, wait for tray to open and try again", info.id));
        }
        drives_.remove_medium(info);
    }

    void register_commands() {
        monitor::Schema& schema = hub_.schema();
        schema.add_enum({"BlockdevChangeReadOnlyMode", {"retain", "read-only", "read-write"}});
        schema.add_command({
            .name = "eject",
            .arguments = {{"device", "str", monitor::kOptional}, {"id", "str", monitor::kOptional},
                          {"force", "bool", monitor::kOptional}},
            .doc = "Ejects the medium of a removable drive (opens its tray).",
            .handler = [this](const Json& args, monitor::CommandContext&) -> Json {
                open_and_remove(removable_drive(args), args.value("force", false));
                return Json::object();
            },
        });
        schema.add_command({
            .name = "blockdev-change-medium",
            .arguments = {{"device", "str", monitor::kOptional},
                          {"id", "str", monitor::kOptional},
                          {"filename", "str"},
                          {"format", "str", monitor::kOptional},
                          {"force", "bool", monitor::kOptional},
                          {"read-only-mode", "BlockdevChangeReadOnlyMode", monitor::kOptional}},
            .doc = "Changes the medium of a removable drive: opens the tray, swaps the medium, closes it.",
            .handler = [this](const Json& args, monitor::CommandContext&) -> Json {
                DriveInfo& info = removable_drive(args);
                // Open the new image first: a bad file name leaves the old medium in.
                DriveInfo replacement;
                replacement.cdrom = info.cdrom;
                replacement.open_options = info.open_options;
                drives_.insert_medium(replacement, args["filename"].get<std::string>(),
                                      args.value("format", std::string()),
                                      args.value("read-only-mode", std::string("retain")));
                open_and_remove(info, args.value("force", false));
                info.drive = std::move(replacement.drive);
                info.filename = replacement.filename;
                info.open_options = replacement.open_options;
                tray_of(info)->close();
                return Json::object();
            },
        });

        monitor::HmpTable& hmp = hub_.hmp();
        hmp.add_command({"eject", "[-f] device", "eject a removable medium (use -f to force it)",
                         {{"force", monitor::HmpArgKind::kFlag, monitor::kOptional, 'f'},
                          {"device", monitor::HmpArgKind::kString}},
                         [](const Json& args, monitor::HmpContext& ctx) {
                             ctx.hub.execute("eject", {{"device", args["device"]}, {"force", args["force"]}},
                                             ctx.monitor);
                         }});
        // The runtime starts no block jobs (stream, commit, mirror) yet, so
        // there never is one to list.
        schema.add_command({
            .name = "query-block-jobs",
            .returns = "[any]",
            .doc = "The running block jobs.",
            .handler = [](const Json&, monitor::CommandContext&) -> Json { return Json::array(); },
        });
        hmp.add_info({"block-jobs", "", "show progress of ongoing block device operations", {},
                      [](const Json&, monitor::HmpContext& ctx) {
                          if (ctx.hub.execute("query-block-jobs", Json::object(), ctx.monitor).empty())
                              ctx.print("No active jobs\n");
                      }});
        hmp.add_info({"snapshots", "", "show the currently saved VM snapshots", {},
                      [this](const Json&, monitor::HmpContext& ctx) { ctx.print("{}", snapshots_text()); }});
        hmp.add_command({"commit", "device|all",
                         "commit changes to the disk images (if -snapshot is used) or backing files",
                         {{"device", monitor::HmpArgKind::kString}},
                         [this](const Json& args, monitor::HmpContext& ctx) {
                             std::string name = args["device"].get<std::string>();
                             if (name == "all") {
                                 for (const auto& info : drives_.drives()) {
                                     if (info->drive && info->drive->root()->backing()) commit(*info, ctx);
                                 }
                                 return;
                             }
                             DriveInfo* info = drives_.find(name);
                             if (!info) {
                                 ctx.print("Device '{}' not found\n", name);
                                 return;
                             }
                             commit(*info, ctx);
                         }});
        // drive_add creates a back end for a later device_add (if=none); any
        // other interface would need a hot-pluggable controller, which the pc
        // machine's IDE is not, so QEMU refuses it and so do we.
        hmp.add_command({"drive_add",
                         "[-n] [[<domain>:]<bus>:]<slot>\n[file=file][,if=type][,bus=n]\n[,unit=m][,media=d][,index=i]\n"
                         "[,snapshot=on|off][,cache=on|off]\n[,readonly=on|off][,copy-on-read=on|off]",
                         "add drive to PCI storage controller",
                         {{"node", monitor::HmpArgKind::kFlag, monitor::kOptional, 'n'},
                          {"pci_addr", monitor::HmpArgKind::kString},
                          {"opts", monitor::HmpArgKind::kString}},
                         [this](const Json& args, monitor::HmpContext& ctx) {
                             if (args.value("node", false)) monitor::throw_not_supported("drive_add -n");
                             try {
                                 drives_.add(cli::parse_opts(args["opts"].get<std::string>()));
                             } catch (const Error& e) {
                                 ctx.print("{}\n", e.what());
                                 return;
                             }
                             ctx.print("OK\n");
                         }});
        hmp.add_command({"drive_del", "device", "remove host block device",
                         {{"id", monitor::HmpArgKind::kString}},
                         [this](const Json& args, monitor::HmpContext& ctx) {
                             std::string id = args["id"].get<std::string>();
                             DriveInfo* info = drives_.find(id);
                             if (!info) {
                                 ctx.print("Device '{}' not found\n", id);
                                 return;
                             }
                             drives_.remove(*info);
                         }});
        hmp.add_command({"change", "device [filename] [format [read-only-mode]]",
                         "change a removable medium, optional format",
                         {{"device", monitor::HmpArgKind::kString},
                          {"target", monitor::HmpArgKind::kString},
                          {"arg", monitor::HmpArgKind::kString, monitor::kOptional},
                          {"read-only-mode", monitor::HmpArgKind::kString, monitor::kOptional}},
                         [](const Json& args, monitor::HmpContext& ctx) {
                             if (args["device"] == "vnc") {
                                 change_vnc(args, ctx);
                                 return;
                             }
                             Json qmp = {{"device", args["device"]}, {"filename", args["target"]}};
                             if (args.contains("arg")) qmp["format"] = args["arg"];
                             if (args.contains("read-only-mode")) qmp["read-only-mode"] = args["read-only-mode"];
                             ctx.hub.execute("blockdev-change-medium", qmp, ctx.monitor);
                         }});
    }

    // "change vnc password PASSWORD", as QEMU 7.2 has it (the display
    // itself can no longer be changed).
    static void change_vnc(const Json& args, monitor::HmpContext& ctx) {
        if (args.contains("read-only-mode")) {
            ctx.print("Parameter 'read-only-mode' is invalid for VNC\n");
            return;
        }
        std::string target = args["target"].get<std::string>();
        if (target != "password" && target != "passwd") {
            ctx.print("Expected 'password' after 'vnc'\n");
            return;
        }
        auto set = [](const std::string& password, monitor::HmpContext& c) {
            Json servers = c.hub.execute("query-vnc-servers", Json::object(), c.monitor);
            if (!servers.empty() && servers[0]["auth"] == "none")
                c.print("If you want use passwords please enable password auth using '-vnc ${{dpy}},password'.\n");
            c.hub.execute("change-vnc-password", {{"password", password}}, c.monitor);
        };
        // Without the password on the line, QEMU asks for it.
        if (!args.contains("arg")) {
            // As QEMU's prompt: a refusal shows only the hint above.
            ctx.read_password([set](const std::string& password, monitor::HmpContext& c) {
                try {
                    set(password, c);
                } catch (const Error&) {
                }
            });
            return;
        }
        set(args["arg"].get<std::string>(), ctx);
    }

    // HMP commit: an image without a backing file has nothing to commit
    // into (QEMU's ENOTSUP); committing overlays needs the block layer's
    // commit job, which the runtime does not have yet.
    static void commit(const DriveInfo& info, monitor::HmpContext& ctx) {
        if (!info.drive) {
            ctx.print("Device '{}' has no medium\n", info.id);
        } else if (!info.drive->root()->backing()) {
            ctx.print("'commit' error for '{}': Operation not supported\n", info.id);
        } else {
            ctx.print("'commit' error for '{}': committing to a backing file is not supported yet\n", info.id);
        }
    }

    monitor::MonitorHub& hub_;
    DriveSet& drives_;
    hw::IdeController* ide_;
};

BlockMonitor::BlockMonitor(monitor::MonitorHub& hub, hw::Machine& machine, DriveSet& drives)
    : impl_(std::make_unique<Impl>(hub, machine, drives)) {}
BlockMonitor::~BlockMonitor() = default;

}  // namespace mimic::system
