// The monitor's network commands:
//   QMP  netdev_add, netdev_del, set_link
//   HMP  netdev_add, netdev_del, set_link, hostfwd_add, hostfwd_remove,
//        info network, info usernet
// They replace the hub's "not supported yet" placeholders.
//
//   net_monitor_ = std::make_unique<NetMonitor>(*hub_);
#pragma once

namespace mimic::monitor {
class MonitorHub;
}

namespace mimic::system {

class NetMonitor {
public:
    explicit NetMonitor(monitor::MonitorHub& hub);
};

}  // namespace mimic::system
