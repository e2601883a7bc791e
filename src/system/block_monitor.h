// The monitor's view of the drives: query-block, query-blockstats (and so
// `info block`, `info blockstats`), and the removable-media commands eject,
// blockdev-change-medium and HMP's change, on the PC's IDE drives.
//
//   block_monitor_ = std::make_unique<BlockMonitor>(*hub_, *machine_, drives_);
#pragma once

#include <memory>

namespace mimic::hw {
class Machine;
}
namespace mimic::monitor {
class MonitorHub;
}

namespace mimic::system {

class DriveSet;

class BlockMonitor {
public:
    BlockMonitor(monitor::MonitorHub& hub, hw::Machine& machine, DriveSet& drives);
    ~BlockMonitor();
    BlockMonitor(const BlockMonitor&) = delete;
    BlockMonitor& operator=(const BlockMonitor&) = delete;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mimic::system
