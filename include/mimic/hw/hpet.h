// The HPET ("hpet", /machine/hpet) at 0xfed00000, which the pc machine
// creates unless -machine hpet=off.
//
// The board supplies the wiring: `irq(gsi, level)` drives an interrupt line
// (0 and 8 in legacy replacement mode, else the comparator's route) past
// the legacy gate, and `legacy_mode(on)` tells the board to take IRQ0 and
// IRQ8 away from the PIT and RTC (on) or give them back (off).
#pragma once

#include <cstdint>
#include <functional>

namespace mimic::hw {

class Machine;

inline constexpr const char* kTypeHpet = "hpet";
inline constexpr uint64_t kHpetBase = 0xfed00000;

struct HpetWiring {
    std::function<void(int gsi, bool level)> irq;
    std::function<void(bool on)> legacy_mode;
};

void create_hpet(Machine& machine, HpetWiring wiring);

}  // namespace mimic::hw
