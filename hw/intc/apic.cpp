// apic: the local APIC of one vCPU (xAPIC, MMIO at 0xfee00000, or x2APIC,
// MSRs 0x800-0x8ff), and the APIC bus joining the APICs, the IOAPIC and the
// 8259 (see include/mimic/hw/apic.h).
//
// Registers follow SDM vol. 3 ch. 10; x2APIC mode (10.12) has the same
// registers, less DFR, APR and the ICR's second half, with a 32-bit
// read-only ID, a logical ID derived from it, and a SELF IPI register. Interrupts are kept as the three
// 256-bit vectors IRR/ISR/TMR; the CPU asks has_interrupt()/acknowledge()
// like it asks the 8259. The timer counts on a 1 GHz bus clock (QEMU's) so
// one tick at divide-by-1 is one ns of the virtual clock; it is not ticked
// but computed from the time of the last load, with a main-loop timer armed
// at the next expiry.
#include "mimic/hw/apic.h"

#include <array>
#include <map>
#include <vector>

#include "mimic/hw/board_signals.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/x86_cpu.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/property.h"
#include "mimic/qom/standard_buses.h"
#include "mimic/util/log.h"

namespace mimic::hw {

class LocalApicDevice;

namespace {

constexpr uint64_t kApicDefaultBase = 0xfee00000;
constexpr uint64_t kApicWindowSize = 0x100000;   // the APIC page, then MSI addresses
constexpr uint32_t kApicVersion = 0x00050014;   // version 0x14, six LVT entries
constexpr int kPhysAddrBits = 36;

// LVT entries in register order (0x320..0x370).
enum Lvt { kLvtTimer, kLvtThermal, kLvtPerf, kLvtLint0, kLvtLint1, kLvtError, kLvtCount };
constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kLvtLevel = 1u << 15;
constexpr uint32_t kSvrEnable = 1u << 8;
// Timer modes (LVT timer bits 18:17).
enum TimerMode { kOneShot = 0, kPeriodic = 1, kTscDeadline = 2 };
// ESR bits.
constexpr uint32_t kEsrSendIllegalVector = 1u << 5, kEsrReceiveIllegalVector = 1u << 6,
                   kEsrIllegalRegister = 1u << 7;

thread_local int t_current_cpu = 0;

int highest_bit(const std::array<uint32_t, 8>& bits) {
    for (int i = 7; i >= 0; --i)
        if (bits[static_cast<size_t>(i)]) return i * 32 + 31 - __builtin_clz(bits[static_cast<size_t>(i)]);
    return -1;
}
void set_bit(std::array<uint32_t, 8>& bits, int v) { bits[static_cast<size_t>(v >> 5)] |= 1u << (v & 31); }
void clear_bit(std::array<uint32_t, 8>& bits, int v) { bits[static_cast<size_t>(v >> 5)] &= ~(1u << (v & 31)); }
bool test_bit(const std::array<uint32_t, 8>& bits, int v) { return bits[static_cast<size_t>(v >> 5)] >> (v & 31) & 1; }

}  // namespace

class ApicBusImpl;

class LocalApicDevice : public qom::SysBusDevice, public x86::LocalApic {
public:
    uint32_t index_ = 0;

    LocalApicDevice() {
        timer_ = std::make_unique<Timer>(Clock::kVirtual, [this] { timer_expired(); });
    }

    void attach(ApicBusImpl* bus) { bus_ = bus; }
    void connect(ApicCpuPort port) {
        port_ = std::move(port);
        update();
    }

    // ---- x86::InterruptController ----
    bool has_interrupt() override { return deliverable_irr() >= 0 || pic_pending(); }

    uint8_t acknowledge() override {
        int vector = deliverable_irr();
        if (vector >= 0) {
            clear_bit(irr_, vector);
            set_bit(isr_, vector);
            update();
            return static_cast<uint8_t>(vector);
        }
        if (pic_pending()) return pic()->acknowledge();
        return static_cast<uint8_t>(svr_ & 0xff);   // the request went away: spurious
    }

    // ---- x86::LocalApic ----
    uint64_t base() const override { return base_; }

    // The CPU refuses EXTD when its CPUID does not offer x2APIC.
    bool set_base(uint64_t value) override {
        // Bits 0-7, 9 and those above MAXPHYADDR are reserved.
        const uint64_t reserved = 0x2ffull | ~((1ull << kPhysAddrBits) - 1);
        if (value & reserved) return false;
        // The modes' transitions (SDM 10.12.5): EXTD without EN is invalid,
        // and x2APIC mode is left and entered only through its neighbours
        // (x2APIC -> disabled, xAPIC -> x2APIC), as KVM enforces.
        const bool enable = value & x86::kApicBaseEnable, extd = value & x86::kApicBaseExtd;
        if (extd && !enable) return false;
        if (x2apic_mode() && enable && !extd) return false;
        if (!enabled() && enable && extd) return false;
        value = (value & ~x86::kApicBaseBsp) | (base_ & x86::kApicBaseBsp);
        if ((value & ~0xfffull) != kApicDefaultBase)
            MIMIC_LOG(log::kUnimp, "apic: relocating the APIC to {:#x} is not supported\n", value & ~0xfffull);
        bool was_enabled = enabled();
        base_ = value;
        // Disabling through IA32_APIC_BASE is a power-up reset of the APIC.
        if (was_enabled && !enabled()) {
            id_ = static_cast<uint8_t>(index_);
            init_reset();
        }
        update();
        return true;
    }

    bool read_x2apic_msr(uint32_t msr, uint64_t& value) override;
    bool write_x2apic_msr(uint32_t msr, uint64_t value) override;

    uint8_t tpr() const override { return tpr_; }
    void set_tpr(uint8_t value) override {
        tpr_ = value;
        update();
    }

    uint64_t tsc_deadline() const override { return tsc_deadline_; }
    void set_tsc_deadline(uint64_t tsc, int64_t at_ns) override {
        tsc_deadline_ = tsc;
        deadline_ns_ = at_ns;
        if (timer_mode() == kTscDeadline) arm_timer();
    }

    // ---- the APIC bus ----
    bool enabled() const { return base_ & x86::kApicBaseEnable; }
    bool x2apic_mode() const {
        constexpr uint64_t kBoth = x86::kApicBaseEnable | x86::kApicBaseExtd;
        return (base_ & kBoth) == kBoth;
    }
    // In x2APIC mode the ID is the initial APIC ID, all 32 bits, and the
    // logical ID follows from it: cluster (ID[19:4]) and one bit of 16.
    uint32_t x2apic_id() const { return index_; }
    uint32_t x2apic_ldr() const { return (x2apic_id() >> 4) << 16 | 1u << (x2apic_id() & 0xf); }

    // Whether a message to `dest` (not a broadcast) is this APIC's.
    bool matches(uint32_t dest, bool logical) const {
        if (x2apic_mode()) {
            if (!logical) return dest == x2apic_id();
            return (dest >> 16) == (x2apic_ldr() >> 16) && (dest & x2apic_ldr() & 0xffff);
        }
        const auto dest8 = static_cast<uint8_t>(dest);
        if (!logical) return dest8 == id_;
        uint8_t ldr = static_cast<uint8_t>(ldr_ >> 24);
        if ((dfr_ >> 28) == 0xf) return (ldr & dest8) != 0;   // flat model
        return (ldr >> 4) == (dest8 >> 4) && (ldr & dest8 & 0xf);   // cluster model
    }

    // A fixed or lowest-priority interrupt arriving from the bus or an LVT.
    void accept(uint8_t vector, bool level_triggered) {
        if (!enabled()) return;
        if (vector < 16) {
            signal_error(kEsrReceiveIllegalVector);
            return;
        }
        set_bit(irr_, vector);
        if (level_triggered) {
            set_bit(tmr_, vector);
        } else {
            clear_bit(tmr_, vector);
        }
        update();
    }

    void nmi() {
        if (port_.nmi) port_.nmi();
    }

    // The INIT IPI: everything but the ID and IA32_APIC_BASE starts over.
    void receive_init() {
        init_reset();
        update();
        if (port_.init) port_.init();
    }

    void receive_sipi(uint8_t vector) {
        if (port_.sipi) port_.sipi(vector);
    }

    // The xAPIC MMIO page answers only a CPU whose APIC is in xAPIC mode.
    bool decodes_mmio() const { return enabled() && !x2apic_mode(); }

    // Arbitration priority, for lowest-priority delivery.
    uint8_t arbitration_priority() const {
        int irrv = std::max(highest_bit(irr_), 0), isrv = std::max(highest_bit(isr_), 0);
        if ((tpr_ & 0xf0) >= (irrv & 0xf0) && (tpr_ & 0xf0) > (isrv & 0xf0)) return tpr_;
        return static_cast<uint8_t>(std::max({tpr_ & 0xf0, irrv & 0xf0, isrv & 0xf0}));
    }

    // The 8259's INTR line changed (LINT0 in virtual wire mode).
    void pic_intr_changed() { update(); }

    uint64_t mmio_read(uint64_t offset);
    void mmio_write(uint64_t offset, uint32_t value);

protected:
    void do_reset() override {
        id_ = static_cast<uint8_t>(index_);
        base_ = kApicDefaultBase | x86::kApicBaseEnable | (index_ == 0 ? x86::kApicBaseBsp : 0);
        init_reset();
        // Virtual wire mode on the BSP, as QEMU: the 8259 reaches CPU 0
        // through LINT0 as ExtINT before any software sets the APIC up.
        if (index_ == 0) lvt_[kLvtLint0] = 0x700;
        update();
    }

private:
    x86::InterruptController* pic() const;
    bool pic_intr() const;

    void init_reset() {
        tpr_ = 0;
        ldr_ = 0;
        dfr_ = 0xffffffff;
        svr_ = 0xff;
        irr_.fill(0);
        isr_.fill(0);
        tmr_.fill(0);
        esr_ = pending_esr_ = 0;
        icr_lo_ = icr_hi_ = 0;
        lvt_.fill(kLvtMasked);
        initial_count_ = 0;
        divide_conf_ = 0;
        load_ns_ = 0;
        oneshot_done_ = true;
        count_stopped_ = false;
        tsc_deadline_ = 0;
        deadline_ns_ = 0;
        timer_->del();
    }

    uint8_t ppr() const {
        int isrv = highest_bit(isr_);
        uint8_t isr_class = isrv < 0 ? 0 : static_cast<uint8_t>(isrv & 0xf0);
        return (tpr_ & 0xf0) >= isr_class ? tpr_ : isr_class;
    }

    // The highest IRR vector the CPU may take now, or -1.
    int deliverable_irr() const {
        if (!enabled() || !(svr_ & kSvrEnable)) return -1;
        int vector = highest_bit(irr_);
        if (vector < 0 || (vector & 0xf0) <= (ppr() & 0xf0)) return -1;
        return vector;
    }

    // LINT0 passes the 8259 through: as ExtINT while unmasked, or always
    // while the APIC is disabled in IA32_APIC_BASE (its pins are plain INTR).
    bool accepts_pic() const {
        if (!enabled()) return index_ == 0;
        uint32_t lvt = lvt_[kLvtLint0];
        return !(lvt & kLvtMasked) && ((lvt >> 8) & 7) == static_cast<uint32_t>(ApicDelivery::kExtInt);
    }
    bool pic_pending() const {
        x86::InterruptController* p = pic();
        return accepts_pic() && pic_intr() && p && p->has_interrupt();
    }

    void update() {
        bool out = deliverable_irr() >= 0 || (accepts_pic() && pic_intr());
        if (port_.intr && (out || out != last_out_)) port_.intr(out);
        last_out_ = out;
    }

    void signal_error(uint32_t bits) {
        pending_esr_ |= bits;
        deliver_lvt(kLvtError);
    }

    void deliver_lvt(int which) {
        uint32_t lvt = lvt_[static_cast<size_t>(which)];
        if (lvt & kLvtMasked) return;
        auto mode = static_cast<ApicDelivery>((lvt >> 8) & 7);
        if (which == kLvtTimer || which == kLvtError) mode = ApicDelivery::kFixed;
        switch (mode) {
        case ApicDelivery::kFixed:
            accept(static_cast<uint8_t>(lvt & 0xff),
                   (which == kLvtLint0 || which == kLvtLint1) && (lvt & kLvtLevel));
            break;
        case ApicDelivery::kNmi:
            nmi();
            break;
        case ApicDelivery::kInit:
            receive_init();
            break;
        case ApicDelivery::kExtInt:
            update();
            break;
        default:
            MIMIC_LOG(log::kUnimp, "apic: LVT delivery mode {}\n", static_cast<int>(mode));
            break;
        }
    }

    void write_esr() {
        esr_ = pending_esr_;
        pending_esr_ = 0;
    }

    void write_svr(uint32_t value) {
        svr_ = value & 0x1ff;
        if (!(svr_ & kSvrEnable)) {
            for (auto& lvt : lvt_) lvt |= kLvtMasked;
        }
        update();
    }

    void write_initial_count(uint32_t value) {
        if (timer_mode() == kTscDeadline) return;   // ignored in TSC-deadline mode
        initial_count_ = value;
        load_ns_ = clock_get_ns(Clock::kVirtual);
        oneshot_done_ = false;
        count_stopped_ = false;
        arm_timer();
    }

    void write_divide_config(uint32_t value) {
        // Keep the current count across a divider change.
        uint32_t count = current_count();
        divide_conf_ = value & 0xb;
        if (initial_count_ && count) restart_count_at(count);
        arm_timer();
    }

    void eoi() {
        int vector = highest_bit(isr_);
        if (vector < 0) return;
        clear_bit(isr_, vector);
        bool level = test_bit(tmr_, vector);
        update();
        if (level) broadcast_eoi(static_cast<uint8_t>(vector));
    }
    void broadcast_eoi(uint8_t vector);
    void send_ipi();

    // ---- timer ----
    TimerMode timer_mode() const { return static_cast<TimerMode>((lvt_[kLvtTimer] >> 17) & 3); }
    int divide_shift() const {
        uint32_t v = (divide_conf_ & 3) | ((divide_conf_ >> 1) & 4);
        return static_cast<int>((v + 1) & 7);   // 0b111 is divide by 1
    }
    int64_t period_ns() const { return static_cast<int64_t>(initial_count_) << divide_shift(); }

    uint32_t current_count() const {
        if (initial_count_ == 0 || timer_mode() == kTscDeadline || count_stopped_) return 0;
        int64_t ticks = (clock_get_ns(Clock::kVirtual) - load_ns_) >> divide_shift();
        if (timer_mode() == kPeriodic)
            return initial_count_ - static_cast<uint32_t>(ticks % initial_count_);
        return ticks >= initial_count_ ? 0 : initial_count_ - static_cast<uint32_t>(ticks);
    }

    // Between one-shot and periodic mode the counter goes on from where it
    // is; a one-shot count that has reached zero stays there.
    void continue_count_from(uint32_t count) {
        count_stopped_ = initial_count_ && count == 0;
        if (count_stopped_) return;
        restart_count_at(count);
        oneshot_done_ = false;
    }
    // Moves the time of the last load so that the counter reads `count` now.
    void restart_count_at(uint32_t count) {
        load_ns_ = clock_get_ns(Clock::kVirtual) - (static_cast<int64_t>(initial_count_ - count) << divide_shift());
    }

    void arm_timer() {
        timer_->del();
        switch (timer_mode()) {
        case kTscDeadline:
            if (tsc_deadline_) timer_->mod_ns(deadline_ns_);
            break;
        case kOneShot:
            if (initial_count_ && !oneshot_done_) timer_->mod_ns(load_ns_ + period_ns());
            break;
        case kPeriodic:
            if (initial_count_ && !count_stopped_) {
                int64_t now = clock_get_ns(Clock::kVirtual);
                int64_t period = period_ns();
                int64_t periods = now < load_ns_ ? 0 : (now - load_ns_) / period;
                timer_->mod_ns(load_ns_ + (periods + 1) * period);
            }
            break;
        default:
            break;   // mode 3 is reserved: the timer stays quiet
        }
    }

    void timer_expired() {
        switch (timer_mode()) {
        case kTscDeadline:
            tsc_deadline_ = 0;
            break;
        case kOneShot:
            oneshot_done_ = true;
            break;
        default:
            break;
        }
        deliver_lvt(kLvtTimer);
        // Periodic: the next period (missed ones are coalesced).
        if (timer_mode() == kPeriodic) arm_timer();
    }

    void write_lvt(int which, uint32_t value) {
        static constexpr uint32_t kWritable[kLvtCount] = {0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff};
        uint32_t keep_ro = lvt_[static_cast<size_t>(which)] & (1u << 14);   // remote IRR
        value &= kWritable[which];
        if (!(svr_ & kSvrEnable)) value |= kLvtMasked;   // a software-disabled APIC keeps LVTs masked
        if (which == kLvtTimer) {
            const TimerMode old_mode = timer_mode();
            const uint32_t count = current_count();
            lvt_[kLvtTimer] = value | keep_ro;
            if (old_mode != timer_mode() && old_mode != kTscDeadline && timer_mode() != kTscDeadline)
                continue_count_from(count);
            arm_timer();
        } else {
            lvt_[static_cast<size_t>(which)] = value | keep_ro;
            update();
        }
    }

    ApicBusImpl* bus_ = nullptr;
    ApicCpuPort port_;
    std::unique_ptr<Timer> timer_;
    bool last_out_ = false;

    uint8_t id_ = 0;
    uint64_t base_ = kApicDefaultBase | x86::kApicBaseEnable;
    uint8_t tpr_ = 0;
    uint32_t ldr_ = 0, dfr_ = 0xffffffff, svr_ = 0xff;
    std::array<uint32_t, 8> irr_{}, isr_{}, tmr_{};
    uint32_t esr_ = 0, pending_esr_ = 0;
    uint32_t icr_lo_ = 0, icr_hi_ = 0;   // in x2APIC mode icr_hi_ is the whole destination
    std::array<uint32_t, kLvtCount> lvt_{};
    uint32_t initial_count_ = 0, divide_conf_ = 0;
    int64_t load_ns_ = 0;
    bool oneshot_done_ = true;
    bool count_stopped_ = false;   // a spent one-shot count carried into periodic mode
    uint64_t tsc_deadline_ = 0;
    int64_t deadline_ns_ = 0;
};

MIMIC_REGISTER_TYPE({
    .name = "apic",
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<LocalApicDevice>(),
    .description = "local APIC",
    .properties = {
        qom::prop::uint32("id", &LocalApicDevice::index_, 0),
    },
    .user_creatable = false,
});

class ApicBusImpl final : public ApicBus {
public:
    ApicBusImpl(Machine& machine, int cpus) : machine_(machine) {
        for (int i = 0; i < cpus; ++i) {
            auto apic = qom::new_object<LocalApicDevice>("apic");
            apic->index_ = static_cast<uint32_t>(i);
            apic->attach(this);
            apic->set_parent_bus(machine.sysbus());
            // As in QEMU, a CPU's local APIC is its child "lapic".
            std::vector<X86CpuDevice*> cpu_devices = x86_cpus(machine);
            auto& placed = static_cast<LocalApicDevice&>(
                static_cast<size_t>(i) < cpu_devices.size()
                    ? cpu_devices[static_cast<size_t>(i)]->add_child("lapic", std::move(apic))
                    : machine.add_unattached(std::move(apic)));
            placed.realize();
            placed.reset();
            apics_.push_back(&placed);
        }
        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned) -> uint64_t {
            // MSI addresses are write-only; a CPU whose APIC is disabled or
            // in x2APIC mode sees nothing at the APIC page either.
            if (offset >= 0x1000 || !current().decodes_mmio()) return 0xffffffff;
            return current().mmio_read(offset);
        };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned) {
            // As in QEMU, register 0 (reserved in the APIC) and everything
            // past the APIC page are MSIs: a message to APIC ID 0 without
            // redirection hint or logical mode is a write to 0xfee00000.
            if (offset >= 0x1000 || offset < 0x10) {
                deliver_msi(offset, static_cast<uint32_t>(value));
                return;
            }
            if (current().decodes_mmio()) current().mmio_write(offset, static_cast<uint32_t>(value));
        };
        ops.valid = {1, 4, false};
        ops.impl = {4, 4, false};
        window_.init_io("apic-msi", kApicWindowSize, std::move(ops));
        machine.system_memory().add_subregion(kApicDefaultBase, window_, 4096);
    }

    int cpu_count() const override { return static_cast<int>(apics_.size()); }
    x86::LocalApic& cpu_apic(int index) override { return *apics_.at(static_cast<size_t>(index)); }
    void connect_cpu(int index, ApicCpuPort port) override {
        apics_.at(static_cast<size_t>(index))->connect(std::move(port));
    }

    void deliver(const ApicMessage& m) override {
        std::vector<LocalApicDevice*> targets = addressed(m.dest, m.logical, m.x2apic_destination);
        deliver_to(targets, m.delivery, m.vector, m.level_triggered);
    }

    // The APICs a destination names: all ones (8 or 32 bits by the
    // message's format) is a broadcast in either destination mode.
    std::vector<LocalApicDevice*> addressed(uint32_t dest, bool logical, bool x2apic_destination) const {
        const bool broadcast = dest == (x2apic_destination ? 0xffffffffu : 0xffu);
        std::vector<LocalApicDevice*> targets;
        for (LocalApicDevice* apic : apics_)
            if (broadcast || apic->matches(dest, logical)) targets.push_back(apic);
        return targets;
    }

    void deliver_to(std::vector<LocalApicDevice*>& targets, ApicDelivery delivery, uint8_t vector, bool level) {
        if (targets.empty()) return;
        switch (delivery) {
        case ApicDelivery::kLowestPriority: {
            LocalApicDevice* best = nullptr;
            for (LocalApicDevice* apic : targets) {
                if (!apic->enabled()) continue;
                if (!best || apic->arbitration_priority() < best->arbitration_priority()) best = apic;
            }
            if (best) best->accept(vector, level);
            break;
        }
        case ApicDelivery::kFixed:
            for (LocalApicDevice* apic : targets) apic->accept(vector, level);
            break;
        case ApicDelivery::kNmi:
            for (LocalApicDevice* apic : targets) apic->nmi();
            break;
        case ApicDelivery::kInit:
            for (LocalApicDevice* apic : targets) apic->receive_init();
            break;
        case ApicDelivery::kStartup:
            for (LocalApicDevice* apic : targets) apic->receive_sipi(vector);
            break;
        default:
            MIMIC_LOG(log::kUnimp, "apic: delivery mode {} on the APIC bus\n", static_cast<int>(delivery));
            break;
        }
    }

    void add_eoi_listener(std::function<void(uint8_t)> listener) override {
        eoi_listeners_.push_back(std::move(listener));
    }
    void broadcast_eoi(uint8_t vector) {
        for (auto& listener : eoi_listeners_) listener(vector);
    }

    void set_pic_intr(bool level) override {
        pic_intr_ = level;
        for (LocalApicDevice* apic : apics_) apic->pic_intr_changed();
    }
    bool pic_intr() const { return pic_intr_; }
    x86::InterruptController* pic() const { return board_signals(machine_).interrupt_controller; }

    const std::vector<LocalApicDevice*>& apics() const { return apics_; }

private:
    LocalApicDevice& current() {
        int index = current_cpu();
        if (index < 0 || index >= cpu_count()) index = 0;
        return *apics_[static_cast<size_t>(index)];
    }

    void deliver_msi(uint64_t offset, uint32_t data) { deliver(apic_message_from_msi(offset, data)); }

    Machine& machine_;
    std::vector<LocalApicDevice*> apics_;
    std::vector<std::function<void(uint8_t)>> eoi_listeners_;
    memory::MemoryRegion window_;
    bool pic_intr_ = false;
};

// An MSI: the address selects the destination, the data the vector.
ApicMessage apic_message_from_msi(uint64_t address, uint32_t data) {
    ApicMessage m;
    m.dest = static_cast<uint8_t>(address >> 12);
    m.logical = (address >> 2) & 1;
    m.delivery = static_cast<ApicDelivery>((data >> 8) & 7);
    m.vector = static_cast<uint8_t>(data);
    m.level_triggered = (data >> 15) & 1;
    return m;
}

x86::InterruptController* LocalApicDevice::pic() const { return bus_ ? bus_->pic() : nullptr; }
bool LocalApicDevice::pic_intr() const { return bus_ && bus_->pic_intr(); }
void LocalApicDevice::broadcast_eoi(uint8_t vector) {
    if (bus_) bus_->broadcast_eoi(vector);
}

void LocalApicDevice::send_ipi() {
    uint8_t vector = static_cast<uint8_t>(icr_lo_);
    auto delivery = static_cast<ApicDelivery>((icr_lo_ >> 8) & 7);
    bool logical = (icr_lo_ >> 11) & 1;
    bool assert = (icr_lo_ >> 14) & 1;
    bool level = (icr_lo_ >> 15) & 1;
    unsigned shorthand = (icr_lo_ >> 18) & 3;
    const bool x2apic = x2apic_mode();
    uint32_t dest = x2apic ? icr_hi_ : icr_hi_ >> 24;
    // INIT level de-assert only synchronizes arbitration IDs.
    if (delivery == ApicDelivery::kInit && !assert && level) return;
    if ((delivery == ApicDelivery::kFixed || delivery == ApicDelivery::kLowestPriority) && vector < 16) {
        signal_error(kEsrSendIllegalVector);
        return;
    }
    if (!bus_) return;
    std::vector<LocalApicDevice*> targets;
    if (shorthand == 0) {
        targets = bus_->addressed(dest, logical, x2apic);
    } else {
        for (LocalApicDevice* apic : bus_->apics()) {
            bool self = apic == this;
            if (shorthand == 2 || (shorthand == 1) == self) targets.push_back(apic);
        }
    }
    // IPIs are edge-triggered; only the IOAPIC sends level-triggered vectors.
    bus_->deliver_to(targets, delivery, vector, false);
}

uint64_t LocalApicDevice::mmio_read(uint64_t offset) {
    unsigned reg = static_cast<unsigned>(offset >> 4) & 0xff;
    switch (reg) {
    case 0x02: return static_cast<uint32_t>(id_) << 24;
    case 0x03: return kApicVersion;
    case 0x08: return tpr_;
    case 0x09: return arbitration_priority();
    case 0x0a: return ppr();
    case 0x0b: return 0;
    case 0x0d: return ldr_;
    case 0x0e: return dfr_;
    case 0x0f: return svr_;
    case 0x28: return esr_;
    case 0x30: return icr_lo_;
    case 0x31: return icr_hi_;
    case 0x38: return initial_count_;
    case 0x39: return current_count();
    case 0x3e: return divide_conf_;
    default: break;
    }
    if (reg >= 0x10 && reg < 0x18) return isr_[reg - 0x10];
    if (reg >= 0x18 && reg < 0x20) return tmr_[reg - 0x18];
    if (reg >= 0x20 && reg < 0x28) return irr_[reg - 0x20];
    if (reg >= 0x32 && reg < 0x38) return lvt_[reg - 0x32];
    MIMIC_LOG(log::kGuestErrors, "apic: read of reserved register {:#x}\n", reg << 4);
    return 0;
}

void LocalApicDevice::mmio_write(uint64_t offset, uint32_t value) {
    unsigned reg = static_cast<unsigned>(offset >> 4) & 0xff;
    switch (reg) {
    case 0x02: id_ = static_cast<uint8_t>(value >> 24); return;
    case 0x08: set_tpr(static_cast<uint8_t>(value)); return;
    case 0x0b: eoi(); return;
    case 0x0d: ldr_ = value & 0xff000000; return;
    case 0x0e: dfr_ = value | 0x0fffffff; return;
    case 0x0f: write_svr(value); return;
    case 0x28: write_esr(); return;
    case 0x30:
        icr_lo_ = value & ~(1u << 12);   // delivery is instant: always idle
        send_ipi();
        return;
    case 0x31: icr_hi_ = value & 0xff000000; return;
    case 0x38: write_initial_count(value); return;
    case 0x3e: write_divide_config(value); return;
    default: break;
    }
    if (reg >= 0x32 && reg < 0x38) {
        write_lvt(static_cast<int>(reg - 0x32), value);
        return;
    }
    MIMIC_LOG(log::kGuestErrors, "apic: write {:#x} to read-only or reserved register {:#x}\n", value, reg << 4);
    signal_error(kEsrIllegalRegister);
}

bool LocalApicDevice::read_x2apic_msr(uint32_t msr, uint64_t& value) {
    if (!x2apic_mode()) return false;
    const unsigned reg = msr - 0x800;
    switch (reg) {
    case 0x02: value = x2apic_id(); return true;
    case 0x0d: value = x2apic_ldr(); return true;
    case 0x30: value = static_cast<uint64_t>(icr_hi_) << 32 | icr_lo_; return true;
    default: break;
    }
    // The rest read as in xAPIC mode; APR, DFR, the ICR's high half and
    // the write-only EOI and SELF IPI are gone.
    const bool readable = reg == 0x03 || reg == 0x08 || reg == 0x0a || reg == 0x0f || (reg >= 0x10 && reg <= 0x28) ||
                          (reg >= 0x32 && reg <= 0x39) || reg == 0x3e;
    if (!readable) return false;
    value = mmio_read(reg << 4);
    return true;
}

bool LocalApicDevice::write_x2apic_msr(uint32_t msr, uint64_t value) {
    if (!x2apic_mode()) return false;
    const unsigned reg = msr - 0x800;
    if (reg == 0x30) {
        // One 64-bit ICR: the destination is its upper half.
        icr_hi_ = static_cast<uint32_t>(value >> 32);
        icr_lo_ = static_cast<uint32_t>(value) & ~(1u << 12);
        send_ipi();
        return true;
    }
    if (value >> 32) return false;   // the upper half of every other register is reserved
    const auto low = static_cast<uint32_t>(value);
    switch (reg) {
    case 0x08: set_tpr(static_cast<uint8_t>(low)); return true;
    case 0x0b:
        if (low) return false;   // EOI takes only zero
        eoi();
        return true;
    case 0x0f: write_svr(low); return true;
    case 0x28:
        if (low) return false;   // as is ESR's
        write_esr();
        return true;
    case 0x38: write_initial_count(low); return true;
    case 0x3e: write_divide_config(low); return true;
    case 0x3f:
        // SELF IPI: a fixed, edge-triggered vector to this APIC; bits 31:8 are reserved.
        if (low >> 8) return false;
        if (low < 16) {
            signal_error(kEsrSendIllegalVector);
        } else {
            accept(static_cast<uint8_t>(low), false);
        }
        return true;
    default: break;
    }
    if (reg >= 0x32 && reg <= 0x37) {
        write_lvt(static_cast<int>(reg - 0x32), low);
        return true;
    }
    return false;   // read-only (ID, version, LDR, PPR, ISR/TMR/IRR, current count) or absent
}

namespace {

std::map<const qom::Machine*, std::unique_ptr<ApicBusImpl>>& buses() {
    static std::map<const qom::Machine*, std::unique_ptr<ApicBusImpl>> instances;
    return instances;
}

}  // namespace

ApicBus& create_apic_bus(Machine& machine, int cpus) {
    auto& slot = buses()[&machine];
    slot = std::make_unique<ApicBusImpl>(machine, cpus);
    return *slot;
}

ApicBus* apic_bus(const qom::Object& object) {
    const qom::Machine* machine = dynamic_cast<const qom::Machine*>(&object);
    if (!machine) machine = qom::Machine::of(object);
    auto it = buses().find(machine);
    return it == buses().end() ? nullptr : it->second.get();
}

void set_current_cpu(int index) { t_current_cpu = index; }
int current_cpu() { return t_current_cpu; }

}  // namespace mimic::hw
