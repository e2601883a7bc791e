// The monitor events of IDE units (see ide_channel.h), shared by the PIIX
// and AHCI controllers.
#include <nlohmann/json.hpp>

#include <cerrno>

#include "ide_channel.h"
#include "mimic/hw/machine.h"
#include "mimic/system/drives.h"
#include "mimic/system/runstate.h"
#include "mimic/util/error.h"

namespace mimic::hw::ide {

void emit_tray_moved(const qom::Object& owner, const IdeUnit& u, const std::string& id, bool open) {
    Machine* machine = Machine::of(owner);
    if (!machine || !machine->run_control() || !u.info) return;
    machine->run_control()->emit({"DEVICE_TRAY_MOVED", {{"device", u.info->id}, {"id", id}, {"tray-open", open}}});
}

void emit_io_error(const qom::Object& owner, const IdeUnit& u, bool write, int error) {
    Machine* machine = Machine::of(owner);
    if (!machine || !machine->run_control() || !u.info) return;
    machine->run_control()->emit({"BLOCK_IO_ERROR",
                                  {{"device", u.info->id},
                                   {"operation", write ? "write" : "read"},
                                   {"action", "report"},
                                   {"nospace", error == -ENOSPC},
                                   {"reason", errno_string(-error)}}});
}

}  // namespace mimic::hw::ide
