// The monitor's VNC commands and events, in QEMU 7.2's words:
//   QMP  query-vnc, query-vnc-servers, set_password, expire_password,
//        change-vnc-password; events VNC_CONNECTED, VNC_INITIALIZED,
//        VNC_DISCONNECTED
//   HMP  info vnc, change vnc password, set_password, expire_password
// `server` is null without -vnc: the queries say so as QEMU's do.
#pragma once

namespace mimic::monitor {
class MonitorHub;
}
namespace mimic::ui {
class VncServer;
}

namespace mimic::system {

class VncMonitor {
public:
    VncMonitor(monitor::MonitorHub& hub, ui::VncServer* server);
};

}  // namespace mimic::system
