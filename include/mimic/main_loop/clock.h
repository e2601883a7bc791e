// The emulator's clocks.
//
// kRealtime is the host's monotonic clock: for things that must keep going
// while the VM is paused (monitor, chardev reconnects, UI refresh).
// kHost is the host's wall clock and may jump (NTP, the user setting the
// date); the RTC uses it to follow the host's idea of the date.
// kVirtual is guest time: it advances only while the VM runs, so a paused
// guest sees no time pass and device timers do not fire behind its back.
// Under qtest it does not follow the host at all; the test advances it
// explicitly with clock_step().
#pragma once

#include <cstdint>

namespace mimic {

enum class Clock { kRealtime, kHost, kVirtual };
inline constexpr int kClockCount = 3;

inline constexpr int64_t kNsPerUs = 1000;
inline constexpr int64_t kNsPerMs = 1000 * kNsPerUs;
inline constexpr int64_t kNsPerSec = 1000 * kNsPerMs;

// "rt", "host" or "vm", as QEMU names them in option values.
const char* clock_name(Clock clock);

int64_t clock_get_ns(Clock clock);
inline int64_t clock_get_ms(Clock clock) { return clock_get_ns(clock) / kNsPerMs; }

// Run state as far as time is concerned. vm_start() resumes the virtual
// clock from where vm_stop() froze it; both are idempotent.
void vm_start();
void vm_stop();
bool vm_running();

// How the virtual clock advances.
enum class VirtualClockMode {
    kHostTime,  // follows kRealtime while the VM runs
    kManual,    // qtest: only clock_step()/clock_set() move it
};
void set_virtual_clock_mode(VirtualClockMode mode);
VirtualClockMode virtual_clock_mode();

// Manual mode only: advances the virtual clock by `ns`, stopping at each
// virtual timer deadline on the way to run the timers that expire there, so
// timers observe the clock value they asked for. Returns the new clock
// value. Must be called with the BQL held (timer callbacks run inside).
int64_t clock_step(int64_t ns);

// Manual mode only: as clock_step() up to the absolute value `target_ns`
// (never backwards). Returns the new clock value.
int64_t clock_set(int64_t target_ns);

// Manual mode only: ns from now to the next virtual timer, or -1 when none
// is pending ("clock_step" without an argument in qtest uses this).
int64_t clock_step_next_deadline();

}  // namespace mimic
