// ACPI PM1 registers, PM timer and GPE0 (see acpi_pm.h).
#include "acpi_pm.h"

#include "mimic/hw/machine.h"
#include "mimic/main_loop/clock.h"
#include "mimic/system/runstate.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr int64_t kPmTimerHz = 3579545;

// PM1 event bits.
constexpr uint16_t kTimerStatus = 0x0001;
constexpr uint16_t kGlobalStatus = 0x0020;
constexpr uint16_t kPowerButtonStatus = 0x0100;
constexpr uint16_t kRtcStatus = 0x0400;
constexpr uint16_t kSciEvents = kTimerStatus | kGlobalStatus | kPowerButtonStatus | kRtcStatus;
// PM1 control bits.
constexpr uint16_t kSciEnable = 0x0001;
constexpr uint16_t kSleepEnable = 0x2000;
constexpr int kSleepTypeShift = 10;
constexpr int kS4SleepType = 2;  // the \_S4 value QEMU's DSDT would use

}  // namespace

AcpiPmRegisters::AcpiPmRegisters(qom::Object& owner, std::string name, unsigned gpe_length,
                                 std::function<void(bool)> set_sci)
    : owner_(owner),
      name_(std::move(name)),
      set_sci_(std::move(set_sci)),
      overflow_timer_(Clock::kVirtual, [this] { timer_overflowed(); }),
      gpe_(gpe_length, 0) {}

AcpiPmRegisters::~AcpiPmRegisters() { overflow_timer_.del(); }

void AcpiPmRegisters::reset() {
    pm1_status_ = pm1_enable_ = pm1_control_ = 0;
    std::fill(gpe_.begin(), gpe_.end(), 0);
    update_sci();
}

uint32_t AcpiPmRegisters::timer_ticks() const {
    auto ns = static_cast<unsigned __int128>(clock_get_ns(Clock::kVirtual));
    return static_cast<uint32_t>(ns * kPmTimerHz / kNsPerSec);
}

uint32_t AcpiPmRegisters::pm1_read(uint64_t offset, unsigned size) const {
    uint32_t block[3] = {
        static_cast<uint32_t>(pm1_status_ | pm1_enable_ << 16),
        pm1_control_,
        timer_ticks() & 0xffffff,
    };
    if (offset >= kAcpiPm1BlockSize) return 0;
    uint32_t value = block[offset / 4] >> (8 * (offset & 3));
    return size == 4 ? value : value & ((1u << (8 * size)) - 1);
}

void AcpiPmRegisters::pm1_write(uint64_t offset, uint32_t value, unsigned size) {
    // Registers are written in pieces of their natural width or less;
    // merge each byte into the register it lands in.
    for (unsigned i = 0; i < size; ++i) {
        uint64_t at = offset + i;
        auto byte = static_cast<uint16_t>((value >> (8 * i)) & 0xff);
        switch (at) {
        case 0: pm1_status_ &= static_cast<uint16_t>(~byte); break;
        case 1: pm1_status_ &= static_cast<uint16_t>(~(byte << 8)); break;
        case 2: pm1_enable_ = static_cast<uint16_t>((pm1_enable_ & 0xff00) | byte); break;
        case 3: pm1_enable_ = static_cast<uint16_t>((pm1_enable_ & 0x00ff) | byte << 8); break;
        case 4: pm1_control_ = static_cast<uint16_t>((pm1_control_ & 0xff00) | byte); break;
        case 5: write_control(static_cast<uint16_t>((pm1_control_ & 0x00ff) | byte << 8)); break;
        default: break;  // the timer is read-only
        }
    }
    update_sci();
}

void AcpiPmRegisters::write_control(uint16_t value) {
    if (value & kSleepEnable) {
        int type = (value >> kSleepTypeShift) & 7;
        Machine* machine = Machine::of(owner_);
        system::RunControl* control = machine ? machine->run_control() : nullptr;
        if ((type == 0 || type == kS4SleepType) && control) {
            // S5 (and S4, which has nothing to save to) is power off.
            control->request_shutdown(system::ShutdownCause::kGuestShutdown);
        } else {
            MIMIC_LOG(log::kUnimp, "{}: sleep type {} not supported\n", name_, type);
        }
    }
    // SLP_EN reads back as zero.
    pm1_control_ = value & ~kSleepEnable;
}

uint8_t AcpiPmRegisters::gpe_read(uint64_t offset) const { return offset < gpe_.size() ? gpe_[offset] : 0; }

void AcpiPmRegisters::gpe_write(uint64_t offset, uint8_t value) {
    if (offset >= gpe_.size()) return;
    if (offset < gpe_.size() / 2) gpe_[offset] &= static_cast<uint8_t>(~value);  // status: write 1 to clear
    else gpe_[offset] = value;
    update_sci();
}

void AcpiPmRegisters::raise_gpe(unsigned bit) {
    if (bit / 8 >= gpe_.size() / 2) return;
    gpe_[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    update_sci();
}

void AcpiPmRegisters::set_sci_enabled(bool enabled) {
    pm1_control_ = enabled ? pm1_control_ | kSciEnable : pm1_control_ & ~kSciEnable;
}

void AcpiPmRegisters::press_power_button() {
    if (!(pm1_enable_ & kPowerButtonStatus)) return;
    pm1_status_ |= kPowerButtonStatus;
    update_sci();
}

void AcpiPmRegisters::timer_overflowed() {
    pm1_status_ |= kTimerStatus;
    update_sci();
}

// Raises the SCI while an enabled event is pending, and keeps a timer for
// the next flip of the counter's bit 23 while its event is enabled.
void AcpiPmRegisters::update_sci() {
    bool level = (pm1_status_ & pm1_enable_ & kSciEvents) != 0;
    size_t half = gpe_.size() / 2;
    for (size_t i = 0; i < half; ++i) level = level || (gpe_[i] & gpe_[half + i]);
    if (level != sci_level_) {
        sci_level_ = level;
        if (set_sci_) set_sci_(level);
    }
    if ((pm1_enable_ & kTimerStatus) && !(pm1_status_ & kTimerStatus)) {
        constexpr int64_t kHalfPeriod = int64_t{1} << 23;
        int64_t next_tick = (static_cast<int64_t>(timer_ticks()) / kHalfPeriod + 1) * kHalfPeriod;
        auto ns = static_cast<int64_t>((static_cast<unsigned __int128>(next_tick) * kNsPerSec + kPmTimerHz - 1) /
                                       kPmTimerHz);
        overflow_timer_.mod_ns(ns);
    } else {
        overflow_timer_.del();
    }
}

ApmPorts::ApmPorts(AcpiPmRegisters& pm, uint8_t acpi_enable, uint8_t acpi_disable)
    : pm_(pm), acpi_enable_(acpi_enable), acpi_disable_(acpi_disable) {
    memory::MmioOps ops;
    ops.read = [this](uint64_t offset, unsigned) -> uint64_t { return offset ? status_ : control_; };
    ops.write = [this](uint64_t offset, uint64_t value, unsigned) {
        offset ? void(status_ = static_cast<uint8_t>(value)) : command(static_cast<uint8_t>(value));
    };
    ops.valid = {1, 1, false};
    ops.impl = {1, 1, false};
    io_.init_io("apm-io", 2, std::move(ops));
}

void ApmPorts::command(uint8_t value) {
    control_ = value;
    if (value == acpi_enable_) pm_.set_sci_enabled(true);
    if (value == acpi_disable_) pm_.set_sci_enabled(false);
}

}  // namespace mimic::hw
