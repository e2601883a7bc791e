// The PC's IDE controller as the rest of the runtime sees it: the board
// creates it, the runtime hands it the -drive if=ide / -hda / -cdrom drives.
#pragma once

namespace mimic::system {
class DriveSet;
struct DriveInfo;
}  // namespace mimic::system

namespace mimic::hw {

class Machine;

inline constexpr const char* kTypePiix3Ide = "piix3-ide";

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
    struct TrayState {
        bool open = false;
        bool locked = false;
    };
    virtual TrayState tray_state(int bus, int unit) = 0;
    virtual bool open_tray(int bus, int unit, bool force) = 0;
    virtual void close_tray(int bus, int unit) = 0;
};

// The machine's IDE controller, or nullptr.
IdeController* find_ide_controller(Machine& machine);

// Attaches every IDE drive of `drives` to the machine's IDE controller.
// Throws mimic::Error prefixed with the drive's option when a drive cannot
// be used (or the machine has no IDE controller).
void attach_ide_drives(Machine& machine, system::DriveSet& drives);

}  // namespace mimic::hw
