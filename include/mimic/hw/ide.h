// The PC's IDE controller as the rest of the runtime sees it: the board
// creates it, the runtime hands it the -drive if=ide / -hda / -cdrom drives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mimic/qom/bus.h"

namespace mimic::qom {
class Device;
}
namespace mimic::system {
class DriveSet;
struct DriveInfo;
}  // namespace mimic::system

namespace mimic::hw {

class Machine;

inline constexpr const char* kTypePiix3Ide = "piix3-ide";
inline constexpr const char* kTypeIch9Ahci = "ich9-ahci";
inline constexpr const char* kTypeIdeBus = "IDE";
inline constexpr int kAhciPorts = 6;

// A CD-ROM's tray, as the monitor's eject and change see it.
struct IdeTrayState {
    bool open = false;
    bool locked = false;
};

// What an ide-hd/ide-cd device's properties ask of its drive's IDENTIFY
// data: "" and 0 leave the controller's defaults.
struct IdeDeviceSettings {
    std::string serial, model, version;
    uint64_t wwn = 0;
    uint16_t rotation_rate = 0;          // word 217 (disks)
    uint32_t cylinders = 0, heads = 0, sectors = 0;  // CHS geometry (disks; all or none)
    unsigned physical_block_exponent = 0;  // log2(physical / logical block size)
    std::optional<bool> write_cache;     // write-cache=on/off; unset: the drive's cache mode
};

// What a drive turned out to be once attached: its serial (given or the
// controller's QM000nn) and the geometry it reports, for `info qtree`.
struct IdeAttached {
    std::string serial;
    uint32_t cylinders = 0, heads = 0, sectors = 0;
};

// What an IDE bus's controller does for the ide-hd/ide-cd devices on it.
class IdeBusOwner {
public:
    // Puts `info` at (`bus`, `unit`) as a disk or CD-ROM, as `settings`
    // describe it (serial "": the controller's QM000nn). Throws
    // mimic::Error with the user's message.
    virtual IdeAttached attach_ide_device(int bus, int unit, system::DriveInfo& info, bool cdrom,
                                          const IdeDeviceSettings& settings) = 0;
    // The device at (`bus`, `unit`) went away.
    virtual void detach_ide_device(int bus, int unit) = 0;
    // The tray of the CD-ROM at (`bus`, `unit`), as IdeController's.
    virtual IdeTrayState ide_tray_state(int bus, int unit) = 0;
    virtual bool ide_open_tray(int bus, int unit, bool force) = 0;
    virtual void ide_close_tray(int bus, int unit) = 0;
    // The controller's OpenFirmware path ("/pci@i0cf8/pci8086,2922@4").
    virtual std::string ide_fw_dev_path() const = 0;

protected:
    ~IdeBusOwner() = default;
};

// "IDE": one channel of a PIIX ("ide.0", "ide.1") or one AHCI port
// ("<id>.0".."<id>.5", one unit each). Never "full" to bus selection, as
// QEMU's: the unit check at realize says what is wrong.
class IdeBus : public qom::Bus {
public:
    void configure(IdeBusOwner& owner, int index, int max_units) {
        owner_ = &owner;
        index_ = index;
        max_units_ = max_units;
    }
    IdeBusOwner* owner() const { return owner_; }
    int index() const { return index_; }
    int max_units() const { return max_units_; }
    // The ide-hd/ide-cd at each unit, or nullptr.
    qom::Device* units[2] = {};

private:
    IdeBusOwner* owner_ = nullptr;
    int index_ = 0;
    int max_units_ = 2;
};

class IdeController {
public:
    virtual ~IdeController() = default;
    // Puts the drive at channel `bus` (0 primary, 1 secondary), `unit` 0
    // master / 1 slave. Throws mimic::Error with the user's message
    // ("Device needs media, but drive is empty").
    virtual void attach_drive(int bus, int unit, system::DriveInfo& info) = 0;

    // Removable media, for the monitor's eject and change. The device at
    // (bus, unit) must be attached. open_tray() returns false when the guest
    // has locked the tray and `force` is not set; both emit DEVICE_TRAY_MOVED
    // (as guest tray moves do) when the tray really moves.
    using TrayState = IdeTrayState;
    virtual TrayState tray_state(int bus, int unit) = 0;
    virtual bool open_tray(int bus, int unit, bool force) = 0;
    virtual void close_tray(int bus, int unit) = 0;
};

// Where an ide-hd/ide-cd device sits (nullopt for any other object): the
// monitor reaches a -device ide-cd's tray through it.
struct IdeDeviceSlot {
    IdeBusOwner* owner = nullptr;
    int bus = 0;
    int unit = 0;
    bool cdrom = false;
};
std::optional<IdeDeviceSlot> ide_device_slot(const qom::Object& object);
// The name DEVICE_TRAY_MOVED gives a device: its id, else its QOM path.
std::string ide_event_id(const qom::Device& device);

// The machine's IDE controller, or nullptr.
IdeController* find_ide_controller(Machine& machine);

// Attaches every IDE drive of `drives` to the machine's IDE controller.
// Throws mimic::Error prefixed with the drive's option when a drive cannot
// be used (or the machine has no IDE controller).
void attach_ide_drives(Machine& machine, system::DriveSet& drives);

// For a machine whose disks live on an AHCI controller (q35): each -drive
// if=ide on bus N, unit 0 becomes an ide-hd (ide-cd for media=cdrom) on
// port N of `ahci`, as QEMU's q35 places index=N (one unit per bus).
// Throws mimic::Error prefixed with the drive's option for a drive that
// does not fit (unit 1, bus past the last port).
void attach_ahci_drives(qom::Device& ahci, system::DriveSet& drives);

}  // namespace mimic::hw
