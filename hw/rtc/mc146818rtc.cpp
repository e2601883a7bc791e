// mc146818rtc: the Motorola MC146818 real-time clock and its CMOS RAM
// (ports 0x70/0x71, IRQ8).
//
// The time is not counted in the registers. The device keeps an offset
// between the RTC's idea of "now" (ns since the epoch) and the clock chosen
// by -rtc clock=, and converts to calendar registers whenever the guest
// reads them. Setting the time (SET bit, then writes) moves the offset. One
// timer per second marks the update cycle (UF, alarm); another drives the
// periodic interrupt while it is enabled.
#include "mimic/hw/mc146818rtc.h"

#include <algorithm>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "mimic/hw/isa.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

// Register indexes.
enum : int {
    kSeconds = 0, kSecondsAlarm = 1, kMinutes = 2, kMinutesAlarm = 3, kHours = 4,
    kHoursAlarm = 5, kDayOfWeek = 6, kDayOfMonth = 7, kMonth = 8, kYear = 9,
    kRegA = 0x0a, kRegB = 0x0b, kRegC = 0x0c, kRegD = 0x0d, kCentury = 0x32,
};

// The registers that hold the running clock (the alarms do not).
constexpr bool is_time_register(int index) {
    switch (index) {
        case kSeconds: case kMinutes: case kHours: case kDayOfWeek:
        case kDayOfMonth: case kMonth: case kYear: case kCentury:
            return true;
        default:
            return false;
    }
}

// Register A.
constexpr uint8_t kAUpdateInProgress = 0x80;
// Register B.
constexpr uint8_t kBSet = 0x80, kBPeriodicIe = 0x40, kBAlarmIe = 0x20, kBUpdateIe = 0x10,
                  kBBinary = 0x04, kB24Hour = 0x02;
// Register C.
constexpr uint8_t kCIrq = 0x80, kCPeriodic = 0x40, kCAlarm = 0x20, kCUpdate = 0x10;
// Register D: valid RAM and time (the battery is fine).
constexpr uint8_t kDValid = 0x80;

// UIP is visible for this long before each update (the datasheet's 244 us).
constexpr int64_t kUipWindowNs = 244 * kNsPerUs;
constexpr int64_t kOscillatorHz = 32768;

// Alarm registers with the top two bits set match any value.
// The RTC counts nanoseconds since 1970 in an int64_t, which spans about
// 292 years each way; its registers can hold any date up to 9999. Dates set
// outside 1900-2199 (by the guest or -rtc base) are held at the nearer end,
// which leaves the clock decades to run on without overflowing.
constexpr int64_t kEarliestRtcSeconds = -2208988800;  // 1900-01-01T00:00:00
constexpr int64_t kLatestRtcSeconds = 7258118399;     // 2199-12-31T23:59:59

int64_t rtc_ns_of_seconds(int64_t seconds) {
    return std::clamp(seconds, kEarliestRtcSeconds, kLatestRtcSeconds) * kNsPerSec;
}

bool alarm_matches(uint8_t alarm, uint8_t current) {
    return (alarm & 0xc0) == 0xc0 || alarm == current;
}

class Mc146818Rtc : public IsaDevice, public CmosMemory {
public:
    int32_t base_year_ = 1980;
    uint32_t iobase_ = 0x70;
    int32_t irq_ = 8;


    void set_cmos(int index, uint8_t value) override { cmos_[index & 0x7f] = value; }
    uint8_t cmos(int index) const override { return cmos_[index & 0x7f]; }

    void configure(const cli::OptionUse& option) override {
        const cli::Opts& opts = option.opts;
        if (auto clock = opts.get("clock")) {
            if (*clock == "host") {
                clock_ = Clock::kHost;
            } else if (*clock == "rt") {
                clock_ = Clock::kRealtime;
            } else if (*clock == "vm") {
                clock_ = Clock::kVirtual;
            } else {
                throw Error("{}: invalid option value '{}'", option.location, *clock);
            }
        }
        if (auto driftfix = opts.get("driftfix")) {
            if (*driftfix != "none" && *driftfix != "slew")
                throw Error("{}: invalid option value '{}'", option.location, *driftfix);
        }
        std::string base = opts.get_or("base", "utc");
        time_t host_now = time(nullptr);
        if (base == "utc") {
            base_offset_s_ = 0;
        } else if (base == "localtime") {
            struct tm local;
            localtime_r(&host_now, &local);
            base_offset_s_ = local.tm_gmtoff;
        } else {
            struct tm date = {};
            const char* end = strptime(base.c_str(), "%Y-%m-%dT%H:%M:%S", &date);
            if (!end || *end) {
                date = {};
                end = strptime(base.c_str(), "%Y-%m-%d", &date);
            }
            if (!end || *end)
                throw Error("{}: invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'",
                            option.location);
            base_date_s_ = timegm(&date);
        }
    }

protected:
    void do_realize() override {
        if (iobase_ > 0xfffe) throw Error("iobase {:#x} is not an I/O port", iobase_);
        memory::MmioOps ops = byte_register_ops([this](uint64_t offset) { return read(offset); },
                                                [this](uint64_t offset, uint8_t value) { write(offset, value); });
        region_.init_io("rtc", 2, std::move(ops));
        register_ioport(region_, static_cast<uint16_t>(iobase_));
        irq_line_ = isa_irq(irq_);
        // Both timers follow the RTC's clock: with clock=host a paused guest
        // finds the interrupts it missed on resume, as on QEMU.
        update_timer_ = std::make_unique<Timer>(clock_, [this] { update_cycle(); });
        periodic_timer_ = std::make_unique<Timer>(clock_, [this] { periodic_tick(); });
        // The RTC starts at the host's time (plus -rtc base) whatever clock
        // then moves it.
        int64_t host_ns = clock_get_ns(Clock::kHost);
        rtc_base_ns_ = base_date_s_ ? rtc_ns_of_seconds(*base_date_s_) : host_ns + base_offset_s_ * kNsPerSec;
        clock_base_ns_ = clock_get_ns(clock_);
        // Power-on state of the control registers, as a BIOS left them.
        cmos_[kRegA] = 0x26;  // 32.768 kHz divider, 976.5 us periodic rate
        cmos_[kRegB] = kB24Hour;
        cmos_[kRegC] = 0;
        cmos_[kRegD] = kDValid;
        set_century();
        arm_update_timer();
    }

    void do_reset() override {
        // RESET clears the interrupt enables and flags, not the time.
        cmos_[kRegB] &= ~(kBPeriodicIe | kBAlarmIe | kBUpdateIe);
        cmos_[kRegC] = 0;
        irq_line_.lower();
        arm_periodic_timer();
    }

private:
    // ---- time base ----
    int64_t rtc_now_ns() const {
        if (frozen_) return frozen_ns_;
        return rtc_base_ns_ + (clock_get_ns(clock_) - clock_base_ns_);
    }

    // From the clock time `clock_ns` to RTC time and back.
    int64_t clock_for_rtc(int64_t rtc_ns) const { return clock_base_ns_ + (rtc_ns - rtc_base_ns_); }

    bool binary() const { return cmos_[kRegB] & kBBinary; }
    uint8_t encode(int value) const {
        return binary() ? static_cast<uint8_t>(value)
                        : static_cast<uint8_t>((value / 10) << 4 | value % 10);
    }
    int decode(uint8_t value) const {
        return binary() ? value : (value >> 4) * 10 + (value & 0x0f);
    }

    uint8_t encode_hours(int hours) const {
        if (cmos_[kRegB] & kB24Hour) return encode(hours);
        int twelve = hours % 12 == 0 ? 12 : hours % 12;
        return static_cast<uint8_t>(encode(twelve) | (hours >= 12 ? 0x80 : 0));
    }
    int decode_hours(uint8_t value) const {
        if (cmos_[kRegB] & kB24Hour) return decode(value);
        int hours = decode(value & 0x7f) % 12;
        return value & 0x80 ? hours + 12 : hours;
    }

    void set_century() {
        struct tm now = broken_down(rtc_now_ns());
        cmos_[kCentury] = encode((now.tm_year + 1900) / 100);
    }

    static struct tm broken_down(int64_t rtc_ns) {
        time_t seconds = static_cast<time_t>(rtc_ns / kNsPerSec);
        struct tm out;
        gmtime_r(&seconds, &out);
        return out;
    }

    // Fills registers 0, 2, 4, 6-9 (and the century) from the current time.
    void refresh_time_registers() {
        if (cmos_[kRegB] & kBSet) return;  // the guest is writing them
        struct tm now = broken_down(rtc_now_ns());
        cmos_[kSeconds] = encode(now.tm_sec);
        cmos_[kMinutes] = encode(now.tm_min);
        cmos_[kHours] = encode_hours(now.tm_hour);
        cmos_[kDayOfWeek] = encode(now.tm_wday + 1);
        cmos_[kDayOfMonth] = encode(now.tm_mday);
        cmos_[kMonth] = encode(now.tm_mon + 1);
        // The year register holds two digits; base_year_ anchors them for
        // guests that keep no century byte.
        int year = now.tm_year + 1900;
        cmos_[kYear] = encode(((year - base_year_) % 100 + 100 + base_year_) % 100);
        cmos_[kCentury] = encode(year / 100);
    }

    // The time the guest wrote while SET was on becomes the RTC's time.
    void take_time_from_registers() {
        struct tm t = {};
        t.tm_sec = decode(cmos_[kSeconds]);
        t.tm_min = decode(cmos_[kMinutes]);
        t.tm_hour = decode_hours(cmos_[kHours]);
        t.tm_mday = decode(cmos_[kDayOfMonth]);
        t.tm_mon = decode(cmos_[kMonth]) - 1;
        int year = decode(cmos_[kYear]) + decode(cmos_[kCentury]) * 100;
        if (year < 1900 || decode(cmos_[kCentury]) == 0) {
            // No usable century: the two digits count from base_year.
            year = base_year_ - base_year_ % 100 + decode(cmos_[kYear]);
            if (year < base_year_) year += 100;
        }
        t.tm_year = year - 1900;
        rtc_base_ns_ = rtc_ns_of_seconds(timegm(&t));
        clock_base_ns_ = clock_get_ns(clock_);
    }

    // ---- registers ----
    uint8_t read(uint64_t offset) {
        if (offset == 0) return 0xff;  // the index port is write-only
        int index = index_;
        if (is_time_register(index)) {
            refresh_time_registers();
            return cmos_[index];
        }
        switch (index) {
            case kRegA: {
                uint8_t value = cmos_[kRegA] & ~kAUpdateInProgress;
                if (update_in_progress()) value |= kAUpdateInProgress;
                return value;
            }
            case kRegC: {
                // Reading C acknowledges: flags clear and IRQ8 drops.
                uint8_t value = cmos_[kRegC];
                cmos_[kRegC] = 0;
                irq_line_.lower();
                return value;
            }
            default:
                return cmos_[index];
        }
    }

    void write(uint64_t offset, uint8_t value) {
        if (offset == 0) {
            // Bit 7 is the NMI mask on a PC; it does not select a register.
            index_ = value & 0x7f;
            nmi_masked_ = value & 0x80;
            return;
        }
        if (is_time_register(index_)) {
            // Writes only stick while SET is on or to a stopped clock;
            // otherwise the next update would overwrite them anyway.
            refresh_time_registers();
            cmos_[index_] = value;
            if (!(cmos_[kRegB] & kBSet)) take_time_from_registers();
            arm_update_timer();
            return;
        }
        switch (index_) {
            case kSecondsAlarm:
            case kMinutesAlarm:
            case kHoursAlarm:
                cmos_[index_] = value;
                break;
            case kRegA:
                cmos_[kRegA] = (value & ~kAUpdateInProgress) | (cmos_[kRegA] & kAUpdateInProgress);
                arm_periodic_timer();
                break;
            case kRegB:
                write_reg_b(value);
                break;
            case kRegC:
            case kRegD:
                break;  // read-only
            default:
                cmos_[index_] = value;
                break;
        }
    }

    void write_reg_b(uint8_t value) {
        uint8_t old = cmos_[kRegB];
        if ((value & kBSet) && !(old & kBSet)) {
            // Freeze: the registers keep the time at the moment SET rose,
            // and the datasheet has SET clear the update-ended enable.
            refresh_time_registers();
            frozen_ns_ = rtc_now_ns();
            frozen_ = true;
            update_timer_->del();
            value &= ~kBUpdateIe;
        }
        bool leaving_set = !(value & kBSet) && (old & kBSet);
        // A format change without SET re-encodes the registers on the next
        // read; with SET the guest is expected to rewrite them.
        cmos_[kRegB] = value;
        if (leaving_set) {
            take_time_from_registers();
            frozen_ = false;
        }
        update_irq();
        arm_update_timer();
        arm_periodic_timer();
    }

    bool update_in_progress() const {
        if (cmos_[kRegB] & kBSet) return false;
        int64_t into_second = rtc_now_ns() % kNsPerSec;
        return into_second >= kNsPerSec - kUipWindowNs;
    }

    void update_irq() {
        uint8_t pending = cmos_[kRegC] & cmos_[kRegB] & (kCPeriodic | kCAlarm | kCUpdate);
        if (pending && !(cmos_[kRegC] & kCIrq)) {
            cmos_[kRegC] |= kCIrq;
            irq_line_.raise();
        }
    }

    // ---- update cycle ----
    void arm_update_timer() {
        if (frozen_) return;
        int64_t now = rtc_now_ns();
        int64_t next_second = (now / kNsPerSec + 1) * kNsPerSec;
        update_timer_->mod_ns(clock_for_rtc(next_second));
    }

    void update_cycle() {
        if (frozen_) return;
        refresh_time_registers();
        uint8_t flags = kCUpdate;
        if (alarm_matches(cmos_[kSecondsAlarm], cmos_[kSeconds]) &&
            alarm_matches(cmos_[kMinutesAlarm], cmos_[kMinutes]) &&
            alarm_matches(cmos_[kHoursAlarm], cmos_[kHours])) {
            flags |= kCAlarm;
        }
        cmos_[kRegC] |= flags;
        update_irq();
        arm_update_timer();
    }

    // ---- periodic interrupt ----
    int64_t periodic_period_ns() const {
        int rate = cmos_[kRegA] & 0x0f;
        if (rate == 0) return 0;
        // Rates 1 and 2 repeat rates 8 and 9 with the 32.768 kHz divider.
        if (rate <= 2) rate += 7;
        int64_t ticks = int64_t{1} << (rate - 1);
        return ticks * kNsPerSec / kOscillatorHz;
    }

    // The flag PF is set each period whether or not PIE is on, but without
    // the interrupt nothing needs the timer; PF alone is left unmodelled.
    void arm_periodic_timer() {
        int64_t period = periodic_period_ns();
        if (!period || !(cmos_[kRegB] & kBPeriodicIe)) {
            periodic_timer_->del();
            return;
        }
        int64_t now = clock_get_ns(clock_);
        // Aligned to the divider chain, so reprogramming keeps the phase.
        periodic_timer_->mod_ns((now / period + 1) * period);
    }

    void periodic_tick() {
        cmos_[kRegC] |= kCPeriodic;
        update_irq();
        arm_periodic_timer();
    }

    memory::MemoryRegion region_;
    IrqLine irq_line_;
    uint8_t cmos_[128] = {};
    int index_ = 0;
    bool nmi_masked_ = false;

    Clock clock_ = Clock::kHost;
    int64_t base_offset_s_ = 0;  // -rtc base=localtime: the host's UTC offset
    std::optional<int64_t> base_date_s_;  // -rtc base=DATE
    int64_t rtc_base_ns_ = 0;    // RTC time at clock value clock_base_ns_
    int64_t clock_base_ns_ = 0;
    bool frozen_ = false;
    int64_t frozen_ns_ = 0;

    std::unique_ptr<Timer> update_timer_;
    std::unique_ptr<Timer> periodic_timer_;
};

MIMIC_REGISTER_TYPE({
    .name = kTypeMc146818Rtc,
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<Mc146818Rtc>(),
    .description = "MC146818 real-time clock and CMOS memory",
    .properties = {
        qom::prop::int32("base_year", &Mc146818Rtc::base_year_, 1980),
        qom::prop::uint32("iobase", &Mc146818Rtc::iobase_, 0x70),
        qom::prop::int32("irq", &Mc146818Rtc::irq_, 8),
    },
    .user_creatable = false,
});

int boot_device_code(char letter) {
    switch (letter) {
        case 'a':
        case 'b':
            return 1;  // floppy
        case 'c':
            return 2;  // hard disk
        case 'd':
            return 3;  // CD-ROM
        case 'n':
            return 4;  // network
        default:
            return 0;
    }
}

}  // namespace

void fill_pc_cmos(CmosMemory& cmos, const cli::VmConfig& config, uint64_t ram_below_4g,
                  uint64_t ram_above_4g) {
    constexpr uint64_t kMiB = 1 << 20;
    // Conventional memory: the 640 KiB below the VGA window.
    cmos.set_cmos(0x15, 640 & 0xff);
    cmos.set_cmos(0x16, 640 >> 8);
    // Extended memory in KiB above 1 MiB, capped at 64 MiB - 1 KiB.
    uint64_t extended_kib = ram_below_4g > kMiB ? (ram_below_4g - kMiB) / 1024 : 0;
    if (extended_kib > 65535) extended_kib = 65535;
    for (int index : {0x17, 0x30}) {
        cmos.set_cmos(index, static_cast<uint8_t>(extended_kib));
        cmos.set_cmos(index + 1, static_cast<uint8_t>(extended_kib >> 8));
    }
    // Memory above 16 MiB in 64 KiB units (what SeaBIOS sizes RAM from).
    uint64_t above_16m = ram_below_4g > 16 * kMiB ? (ram_below_4g - 16 * kMiB) / 65536 : 0;
    if (above_16m > 65535) above_16m = 65535;
    cmos.set_cmos(0x34, static_cast<uint8_t>(above_16m));
    cmos.set_cmos(0x35, static_cast<uint8_t>(above_16m >> 8));
    uint64_t above_4g = ram_above_4g / 65536;
    cmos.set_cmos(0x5b, static_cast<uint8_t>(above_4g));
    cmos.set_cmos(0x5c, static_cast<uint8_t>(above_4g >> 8));
    cmos.set_cmos(0x5d, static_cast<uint8_t>(above_4g >> 16));
    cmos.set_cmos(0x5f, static_cast<uint8_t>(config.smp.cpus - 1));
    // Equipment: FPU present, PS/2 mouse present; no floppy drives.
    cmos.set_cmos(0x14, 0x02 | 0x04);

    // Boot order: first and second device in 0x3d, the third in 0x38's high
    // nibble; the low bit of 0x38 off keeps the floppy signature check.
    std::string order = config.boot.opts.get("once").value_or(config.boot.opts.get_or("order", "cad"));
    int codes[3] = {};
    for (size_t i = 0; i < 3 && i < order.size(); ++i) codes[i] = boot_device_code(order[i]);
    cmos.set_cmos(0x3d, static_cast<uint8_t>(codes[1] << 4 | codes[0]));
    cmos.set_cmos(0x38, static_cast<uint8_t>(codes[2] << 4));
}

}  // namespace mimic::hw
