// The commands and events the monitor itself declares, one group per file.
// Called once by the MonitorHub constructor, in this order.
#pragma once

namespace mimic::monitor {

class MonitorHub;

void register_events(MonitorHub& hub);             // events.cpp
void register_core_commands(MonitorHub& hub);      // qmp_core_commands.cpp
void register_provider_commands(MonitorHub& hub);  // qmp_provider_commands.cpp
void register_hmp_commands(MonitorHub& hub);       // hmp_commands.cpp
void register_hmp_info_commands(MonitorHub& hub);  // hmp_info_commands.cpp
void register_memory_commands(MonitorHub& hub);    // memory_dump.cpp

}  // namespace mimic::monitor
