// -drive (and -hda/-cdrom/...): opens the images and names the drives so
// devices can link to them (drive=ID), as QEMU's drive_new() does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mimic/block/completion_queue.h"
#include "mimic/block/drive.h"
#include "mimic/cli/vm_config.h"
#include "mimic/main_loop/fd_watch.h"

namespace mimic::system {

enum class DriveInterface { kNone, kIde, kFloppy, kScsi, kVirtio, kSd, kPflash, kMtd };

struct DriveInfo {
    std::string id;          // "ide0-hd0", or the user's id=
    std::string location;    // the option text, for errors
    DriveInterface interface = DriveInterface::kIde;
    int bus = 0;
    int unit = 0;
    bool cdrom = false;
    std::string filename;    // empty: no medium
    std::unique_ptr<block::Drive> drive;  // null: no medium
    block::OpenOptions open_options;      // how the medium was (or would be) opened
    bool discard_unmap = false;           // discard=unmap|on: guest discards reach the image
    // drive_del of a drive a device holds: its medium is gone and its name
    // free again, but the device keeps the (empty) entry it points to.
    bool deleted = false;
};

class DriveSet {
public:
    DriveSet();
    ~DriveSet();

    // Opens every drive of the configuration (with -snapshot applied) and
    // registers it as a "drive" back end. Throws mimic::Error prefixed with
    // the option ("-drive file=x: Could not open 'x': No such file or directory").
    // Adds the machine's default empty CD-ROM drive (index 2) as QEMU does.
    void open_all(const cli::VmConfig& config);
    // How index= numbers if=ide drives: 2 units per bus on the PIIX, 1 on
    // q35's AHCI ports (QEMU's units_per_default_bus). Set before open_all.
    void set_ide_units_per_bus(int units) { ide_units_per_bus_ = units; }

    const std::vector<std::unique_ptr<DriveInfo>>& drives() const { return drives_; }
    // The drive on (interface, bus, unit), or nullptr.
    DriveInfo* find(DriveInterface interface, int bus, int unit);
    block::CompletionQueue& completions() { return completions_; }
    DriveInfo* find(const std::string& id);

    // The monitor's medium changes. insert_medium() opens `filename` with the
    // drive's cache and aio settings; `read_only_mode` is "retain",
    // "read-only" or "read-write". Throws mimic::Error ("Could not open ...").
    void remove_medium(DriveInfo& info);

    // The monitor's drive_add and drive_del. add() takes -drive's options
    // for an if=none back end (throws mimic::Error as open_all does, without
    // the option prefix, and "Can't hot-add drive to type N" for others).
    DriveInfo& add(const cli::Opts& opts);
    void remove(DriveInfo& info);
    void insert_medium(DriveInfo& info, const std::string& filename, const std::string& format,
                       const std::string& read_only_mode);

private:
    void open(const cli::OptionUse& use, bool global_snapshot);

    block::CompletionQueue completions_;
    FdWatch completion_watch_;
    std::vector<std::unique_ptr<DriveInfo>> drives_;
    int ide_units_per_bus_ = 2;
};

}  // namespace mimic::system
