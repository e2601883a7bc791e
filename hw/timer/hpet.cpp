// hpet: the High Precision Event Timer at 0xfed00000 with QEMU's defaults:
// a 64-bit main counter at 100 MHz and three comparators, each one-shot or
// periodic, edge or level, 32- or 64-bit. In legacy replacement mode timer 0
// drives IRQ0 and timer 1 IRQ8, and the PIT and RTC lose those lines (the
// board gates them, see include/mimic/hw/hpet.h). FSB (MSI) delivery is not
// offered.
//
// As with the PIT, nothing ticks: the counter is computed from the virtual
// clock, and each comparator arms a timer at the time the counter reaches it.
#include "mimic/hw/hpet.h"

#include <algorithm>
#include <array>

#include "mimic/hw/machine.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/property.h"
#include "mimic/qom/standard_buses.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr int kTimers = 3;
constexpr int64_t kTickNs = 10;                      // 100 MHz
constexpr uint64_t kPeriodFs = kTickNs * 1'000'000;  // the period in femtoseconds, as GCAP_ID reports it
// Vendor 8086, legacy replacement capable, 64-bit counter, revision 1.
constexpr uint64_t kCapabilities = 0x8086a001ull | uint64_t{kTimers - 1} << 8 | kPeriodFs << 32;
// The pc machine offers only IRQ2 to the comparators (QEMU's "hpet-intcap" for i440FX).
constexpr uint64_t kIntRouteCap = 0x4;

constexpr uint64_t kCfgEnable = 1, kCfgLegacy = 2;
// Timer configuration bits.
constexpr uint64_t kTnLevel = 1u << 1, kTnEnable = 1u << 2, kTnPeriodic = 1u << 3,
                   kTnPeriodicCap = 1u << 4, kTnSizeCap = 1u << 5, kTnSetVal = 1u << 6,
                   kTn32Bit = 1u << 8, kTnRouteShift = 9, kTnRouteMask = 0x1fu << 9, kTnFsbEnable = 1u << 14;
constexpr uint64_t kTnWritable = kTnLevel | kTnEnable | kTnPeriodic | kTnSetVal | kTn32Bit | kTnRouteMask;

class Hpet;

struct Comparator {
    Hpet* hpet = nullptr;
    int index = 0;
    uint64_t config = 0;
    uint64_t cmp = 0;
    uint64_t period = 0;
    std::unique_ptr<Timer> timer;
};

class Hpet : public qom::SysBusDevice {
public:
    Hpet() {
        for (int i = 0; i < kTimers; ++i) {
            Comparator& c = timers_[static_cast<size_t>(i)];
            c.hpet = this;
            c.index = i;
            c.timer = std::make_unique<Timer>(Clock::kVirtual, [this, i] { expired(i); });
        }
    }

    void wire(HpetWiring wiring) { wiring_ = std::move(wiring); }

protected:
    void do_realize() override {
        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned size) -> uint64_t {
            uint64_t value = read(offset & ~7ull);
            if (size == 8) return value;
            return offset & 4 ? value >> 32 : value & 0xffffffff;
        };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            uint64_t mask = size == 8 ? ~0ull : offset & 4 ? 0xffffffff00000000ull : 0xffffffffull;
            if (size == 4 && (offset & 4)) value <<= 32;
            write(offset & ~7ull, value, mask);
        };
        ops.valid = {4, 8, false};
        ops.impl = {4, 8, false};
        mmio_.init_io("hpet", 0x400, std::move(ops));
        if (Machine* machine = Machine::of(*this)) machine->system_memory().add_subregion(kHpetBase, mmio_);
    }

    void do_unrealize() override {
        if (Machine* machine = Machine::of(*this)) machine->system_memory().del_subregion(mmio_);
    }

    void do_reset() override {
        for (Comparator& c : timers_) {
            c.timer->del();
            set_line(c, false);
            c.config = kIntRouteCap << 32 | kTnPeriodicCap | kTnSizeCap;
            c.cmp = ~0ull;
            c.period = 0;
        }
        bool was_legacy = config_ & kCfgLegacy;
        config_ = 0;
        status_ = 0;
        counter_ = 0;
        if (was_legacy && wiring_.legacy_mode) wiring_.legacy_mode(false);
    }

private:
    bool enabled() const { return config_ & kCfgEnable; }

    // The first comparator value past `now`, whole periods on from `cmp`
    // (at least one, as the hardware adds one per match). Computed, not
    // counted: a guest can leave the comparator 2^63 ticks behind.
    static uint64_t next_comparator(uint64_t cmp, uint64_t period, uint64_t now, bool is32) {
        uint64_t mask = is32 ? 0xffffffffull : ~0ull;
        cmp = (cmp + period) & mask;
        bool behind = is32 ? static_cast<int32_t>(static_cast<uint32_t>(cmp - now)) <= 0
                           : static_cast<int64_t>(cmp - now) <= 0;
        if (behind) cmp = (cmp + (((now - cmp) & mask) / period + 1) * period) & mask;
        return cmp;
    }

    uint64_t counter() const {
        if (!enabled()) return counter_;
        return counter_ + static_cast<uint64_t>((clock_get_ns(Clock::kVirtual) - enable_ns_) / kTickNs);
    }

    uint64_t read(uint64_t offset) {
        switch (offset) {
        case 0x000: return kCapabilities;
        case 0x010: return config_;
        case 0x020: return status_;
        case 0x0f0: return counter();
        default: break;
        }
        if (offset >= 0x100 && offset < 0x100 + 0x20 * kTimers) {
            const Comparator& c = timers_[(offset - 0x100) / 0x20];
            switch (offset & 0x1f) {
            case 0x00: return c.config;
            case 0x08: return c.config & kTn32Bit ? c.cmp & 0xffffffff : c.cmp;
            default: return 0;   // FSB route: not offered
            }
        }
        MIMIC_LOG(log::kGuestErrors, "hpet: read of reserved register {:#x}\n", offset);
        return 0;
    }

    static uint64_t merge(uint64_t old, uint64_t value, uint64_t mask) { return (old & ~mask) | (value & mask); }

    void write(uint64_t offset, uint64_t value, uint64_t mask) {
        switch (offset) {
        case 0x000: return;   // read-only
        case 0x010: write_config(merge(config_, value, mask) & (kCfgEnable | kCfgLegacy)); return;
        case 0x020: {
            // Write 1 to clear a level-triggered timer's status (and its line).
            uint64_t clear = value & mask & status_;
            for (Comparator& c : timers_)
                if (clear >> c.index & 1) set_line(c, false);
            status_ &= ~clear;
            return;
        }
        case 0x0f0:
            if (enabled()) {
                MIMIC_LOG(log::kGuestErrors, "hpet: main counter written while enabled\n");
                return;
            }
            counter_ = merge(counter_, value, mask);
            return;
        default: break;
        }
        if (offset < 0x100 || offset >= 0x100 + 0x20 * kTimers) {
            MIMIC_LOG(log::kGuestErrors, "hpet: write to reserved register {:#x}\n", offset);
            return;
        }
        Comparator& c = timers_[(offset - 0x100) / 0x20];
        switch (offset & 0x1f) {
        case 0x00: {
            uint64_t old = c.config;
            c.config = (c.config & ~kTnWritable) | (merge(c.config, value, mask) & kTnWritable);
            // The route only matters for an enabled timer that legacy
            // replacement does not route (guests program it before enabling).
            const bool legacy_routed = (config_ & kCfgLegacy) && c.index < 2;
            if ((c.config & kTnEnable) && !legacy_routed &&
                !(kIntRouteCap >> ((c.config >> kTnRouteShift) & 0x1f) & 1)) {
                MIMIC_LOG(log::kGuestErrors, "hpet: timer {} routed to an IRQ it cannot use\n", c.index);
            }
            if (c.config & kTn32Bit) {
                c.cmp &= 0xffffffff;
                c.period &= 0xffffffff;
            }
            // Switching to edge, or disabling, drops a level-triggered line.
            if ((old & kTnLevel) && (!(c.config & kTnLevel) || !(c.config & kTnEnable))) {
                status_ &= ~(1ull << c.index);
                set_line(c, false);
            }
            arm(c);
            return;
        }
        case 0x08: {
            if (c.config & kTn32Bit) {
                value &= 0xffffffff;
                mask &= 0xffffffff;
            }
            bool periodic = c.config & kTnPeriodic;
            // In periodic mode a write sets the period, and the comparator
            // too only right after VAL_SET.
            if (!periodic || (c.config & kTnSetVal)) c.cmp = merge(c.cmp, value, mask);
            if (periodic) c.period = merge(c.period, value, mask);
            c.config &= ~kTnSetVal;
            arm(c);
            return;
        }
        default: return;   // FSB route
        }
    }

    void write_config(uint64_t value) {
        uint64_t old = config_;
        if ((value ^ old) & kCfgEnable) {
            if (value & kCfgEnable) {
                enable_ns_ = clock_get_ns(Clock::kVirtual);
            } else {
                counter_ = counter();
            }
        }
        config_ = value;
        if (((value ^ old) & kCfgLegacy) && wiring_.legacy_mode) {
            // The lines change owner: timers 0/1 let go of their old ones first.
            for (int i = 0; i < 2; ++i) set_line(timers_[static_cast<size_t>(i)], false, old & kCfgLegacy);
            wiring_.legacy_mode(value & kCfgLegacy);
        }
        for (Comparator& c : timers_) {
            if (!enabled()) {
                c.timer->del();
                status_ &= ~(1ull << c.index);
                set_line(c, false);
            } else {
                arm(c);
            }
        }
    }

    // The IRQ (GSI) a timer drives.
    int route(const Comparator& c, bool legacy) const {
        if (legacy && c.index == 0) return 0;
        if (legacy && c.index == 1) return 8;
        return static_cast<int>((c.config >> kTnRouteShift) & 0x1f);
    }

    void set_line(Comparator& c, bool level) { set_line(c, level, config_ & kCfgLegacy); }
    void set_line(Comparator& c, bool level, bool legacy) {
        if (wiring_.irq) wiring_.irq(route(c, legacy), level);
    }

    void arm(Comparator& c) {
        c.timer->del();
        if (!enabled()) return;
        uint64_t now = counter();
        uint64_t diff;
        if (c.config & kTn32Bit) {
            uint32_t d = static_cast<uint32_t>(c.cmp) - static_cast<uint32_t>(now);
            diff = static_cast<int32_t>(d) > 0 ? d : 1;   // already passed: fire now, as QEMU
        } else {
            uint64_t d = c.cmp - now;
            diff = static_cast<int64_t>(d) > 0 ? d : 1;
        }
        // The counter reaches now + diff at this virtual time.
        int64_t ticks_done = (clock_get_ns(Clock::kVirtual) - enable_ns_) / kTickNs;
        int64_t at = enable_ns_ + (ticks_done + static_cast<int64_t>(std::min<uint64_t>(diff, INT64_MAX / 64))) * kTickNs;
        c.timer->mod_ns(at);
    }

    void expired(int index) {
        Comparator& c = timers_[static_cast<size_t>(index)];
        if (!enabled()) return;
        if (c.config & kTnEnable) {
            if (c.config & kTnFsbEnable) {
                MIMIC_LOG(log::kUnimp, "hpet: FSB delivery\n");
            } else if (c.config & kTnLevel) {
                status_ |= 1ull << index;
                set_line(c, true);
            } else {
                set_line(c, true);
                set_line(c, false);
            }
        }
        if ((c.config & kTnPeriodic) && c.period) {
            c.cmp = next_comparator(c.cmp, c.period, counter(), c.config & kTn32Bit);
            arm(c);
        }
    }

    HpetWiring wiring_;
    memory::MemoryRegion mmio_;
    std::array<Comparator, kTimers> timers_;
    uint64_t config_ = 0;
    uint64_t status_ = 0;
    uint64_t counter_ = 0;    // the counter while disabled / when last enabled
    int64_t enable_ns_ = 0;
};

MIMIC_REGISTER_TYPE({
    .name = kTypeHpet,
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<Hpet>(),
    .description = "High Precision Event Timer",
    .user_creatable = false,
});

}  // namespace

void create_hpet(Machine& machine, HpetWiring wiring) {
    auto device = qom::new_object<Hpet>(kTypeHpet);
    device->wire(std::move(wiring));
    device->set_parent_bus(machine.sysbus());
    // As in QEMU: an unattached device (/machine/hpet would clash with the
    // machine's "hpet" property).
    auto& placed = static_cast<Hpet&>(machine.add_unattached(std::move(device)));
    placed.realize();
    placed.reset();
}

}  // namespace mimic::hw
