// The e1000 register file, interrupts, link and receive path. Register
// semantics follow QEMU's e1000 (and the 8254x manual where QEMU is silent):
// which registers exist, their widths, clear-on-read statistics, and the
// guards that keep a misbehaving guest's rings from looping.
#include "e1000_core.h"

#include <algorithm>
#include <cstring>

#include "mimic/memory/address_space.h"
#include "mimic/util/log.h"

namespace mimic::hw::e1000 {

namespace {

constexpr uint32_t kCtrlReset = kCtrlSwdpin2 | kCtrlSwdpin0 | kCtrlSpeed1000 | kCtrlSlu;
constexpr uint32_t kStatusReset = 0x80000000u | kStatusGioMasterEnable | kStatusAsdv | kStatusMtxckok |
                                  kStatusSpeed1000 | kStatusFd | kStatusLu;
constexpr uint32_t kPbaReset = 0x00100030;
constexpr uint32_t kLedctlReset = 0x602;
constexpr uint16_t kEthTypeVlan = 0x8100;

constexpr uint32_t kMdicPhyShift = 21;
constexpr uint32_t kMdicRegShift = 16;
constexpr uint32_t kMdicOpWrite = 1u << 26;
constexpr uint32_t kMdicOpRead = 1u << 27;
constexpr uint32_t kMdicReady = 1u << 28;
constexpr uint32_t kMdicIntEnable = 1u << 29;
constexpr uint32_t kMdicError = 1u << 30;

// Autonegotiation takes this long on QEMU's virtual clock.
constexpr int64_t kAutonegMs = 500;
// After an RCTL write QEMU holds received frames back for a second of
// virtual time (guests that rewrite RCTL while reprogramming their rings
// would otherwise see frames land in half-built rings).
constexpr int64_t kRxResumeMs = 1000;

constexpr size_t kEthHeader = 14;
constexpr size_t kEthMinFrame = 60;
constexpr size_t kEthMtu = 1500;
constexpr size_t kMaxLongFrame = 16384 - 4;

uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

bool is_broadcast(const uint8_t* mac) {
    return std::all_of(mac, mac + 6, [](uint8_t b) { return b == 0xff; });
}
bool is_multicast(const uint8_t* mac) { return mac[0] & 1; }

enum class Access { kAbsent, kPlain, kSpecial };

// Registers that only exist with `mitigation` on.
bool is_mitigation_register(uint32_t index) {
    return index == regs::kRdtr || index == regs::kRadv || index == regs::kTadv || index == regs::kItr;
}

// Registers that only exist with `extra_mac_registers` on (QEMU's list: the
// statistics beyond the basic packet counters, wake-up and flexible filter
// registers, FIFO pointers).
bool is_extra_mac_register(uint32_t index) {
    if (index >= regs::kStatsFirst && index <= regs::kStatsLast) {
        switch (index) {
        case regs::kMpc: case regs::kGprc: case regs::kGptc: case regs::kTorl: case regs::kTorh:
        case regs::kTotl: case regs::kToth: case regs::kTpr: case regs::kTpt:
            return false;
        }
        // CRCERRS..MPC other than MPC are basic too in QEMU.
        return index > regs::kMpc;
    }
    if (index >= regs::kIp4at && index < regs::kIp4at + 7) return true;
    if (index >= regs::kIp6at && index < regs::kIp6at + 4) return true;
    if (index >= regs::kWupm && index < regs::kWupm + 32) return true;
    if (index >= regs::kFflt && index < regs::kFflt + 7) return true;
    if (index >= regs::kFfmt && index < regs::kFfmt + 255) return true;
    if (index >= regs::kFfvt && index < regs::kFfvt + 255) return true;
    if (index >= regs::kPbm && index < regs::kCount) return true;
    switch (index) {
    case regs::kIpav: case regs::kWuc: case regs::kWus: case regs::kAit:
    case regs::kTdfh: case regs::kTdft: case regs::kTdfhs: case regs::kTdfts: case regs::kTdfpc:
    case regs::kRdfh: case regs::kRdft: case regs::kRdfhs: case regs::kRdfts: case regs::kRdfpc:
        return true;
    }
    return false;
}

Access classify(uint32_t index) {
    using namespace regs;
    switch (index) {
    case kCtrl: case kStatus: case kEecd: case kEerd: case kMdic: case kIcr: case kIcs: case kIms:
    case kImc: case kRctl: case kTctl: case kRdh: case kRdt: case kRdlen: case kTdh: case kTdt:
    case kTdlen: case kRdtr: case kRadv: case kTadv: case kItr: case kAit:
    case kTdfh: case kTdft: case kTdfhs: case kTdfts: case kTdfpc:
    case kRdfh: case kRdft: case kRdfhs: case kRdfts: case kRdfpc:
        return Access::kSpecial;
    case kCtrlExt: case kFcal: case kFcah: case kFct: case kVet: case kFcttv: case kTxcw: case kRxcw:
    case kTipg: case kLedctl: case kPba: case kFcrtl: case kFcrth: case kRdbal: case kRdbah:
    case kRxdctl: case kRsrpd: case kTxdmac: case kTdbal: case kTdbah: case kTidv: case kTxdctl:
    case kTspmt: case kRxcsum: case kWuc: case kWufc: case kWus: case kManc: case kIpav: case kWupl:
    case kSwsm: case kFla:
        return Access::kPlain;
    }
    if (index >= kStatsFirst && index <= kStatsLast) return Access::kSpecial;
    if (index >= kMta && index < kMta + kMtaSize) return Access::kPlain;
    if (index >= kRa && index < kRa + kRaSize) return Access::kPlain;
    if (index >= kVfta && index < kVfta + kVftaSize) return Access::kPlain;
    if (index >= kIp4at && index < kIp4at + 7) return Access::kPlain;
    if (index >= kIp6at && index < kIp6at + 4) return Access::kPlain;
    if (index >= kWupm && index < kWupm + 32) return Access::kPlain;
    if (index >= kFflt && index < kFflt + 7) return Access::kSpecial;
    if (index >= kFfmt && index < kFfmt + 255) return Access::kSpecial;
    if (index >= kFfvt && index < kFfvt + 255) return Access::kPlain;
    if (index >= kPbm && index < kCount) return Access::kPlain;
    return Access::kAbsent;
}

// Registers whose writes keep only the low `bits` bits.
unsigned width_of(uint32_t index) {
    using namespace regs;
    switch (index) {
    case kRdh: case kTdh: case kRdt: case kTdt: case kRdtr: case kRadv: case kTadv: case kItr: case kAit:
        return 16;
    case kTdfh: case kTdft:
        return 11;
    case kTdfhs: case kTdfts: case kTdfpc: case kRdfh: case kRdft: case kRdfhs: case kRdfts: case kRdfpc:
        return 13;
    }
    if (index >= kFflt && index < kFflt + 7) return 11;
    if (index >= kFfmt && index < kFfmt + 255) return 4;
    return 32;
}

}  // namespace

// The network client of the card: what back ends see.
class Core::Client : public net::Nic {
public:
    Client(Core& core, std::string name, std::string model, const qom::MacAddress& mac)
        : Nic(std::move(name), std::move(model), mac), core_(core) {}

    // The PHY loopback path: a transmitted frame comes straight back.
    void loop_back(std::span<const uint8_t> frame) {
        if (core_.can_receive()) core_.receive(frame);
    }

protected:
    bool can_receive() const override { return core_.can_receive(); }
    void receive(std::span<const uint8_t> frame) override { core_.receive(frame); }
    void link_status_changed() override { core_.link_status_changed(); }

private:
    Core& core_;
};

Core::Core(std::string nic_name, std::string model, const qom::MacAddress& mac, const Options& options,
           BusInterface bus)
    : name_(nic_name),
      options_(options),
      bus_(std::move(bus)),
      mac_address_(mac),
      client_(std::make_unique<Client>(*this, std::move(nic_name), std::move(model), mac)),
      mac_(regs::kCount),
      autoneg_timer_(Clock::kVirtual, [this] {
          if (client_->link_up()) {
              autoneg_done();
              raise(kIcrLsc);
          }
      }, kNsPerMs),
      mitigation_timer_(Clock::kVirtual, [this] { mitigation_timer_expired(); }),
      rx_resume_timer_(Clock::kVirtual, [this] { client_->flush_queue(); }, kNsPerMs) {
    eeprom_.init(mac, options_.device_id);
    tx_.data.resize(0x10000);
    reset();
}

Core::~Core() = default;

net::Nic& Core::nic() { return *client_; }

void Core::reset() {
    autoneg_timer_.del();
    phy_.reset(options_.phy_id2);
    reset_registers();
    if (!client_->link_up()) link_down_registers();
}

// The MAC's registers to their power-on values: what a PCI reset and
// CTRL.RST do (the latter leaves the PHY alone).
void Core::reset_registers() {
    mitigation_timer_.del();
    rx_resume_timer_.del();
    mitigation_pending_ = false;
    tx_delay_interrupt_ = 0;
    std::fill(mac_.begin(), mac_.end(), 0);
    mac_[regs::kPba] = kPbaReset;
    mac_[regs::kLedctl] = kLedctlReset;
    mac_[regs::kCtrl] = kCtrlReset;
    mac_[regs::kStatus] = kStatusReset;
    mac_[regs::kManc] = kMancReset;
    if (!(phy_[phy::kBmsr] & phy::kBmsrLinkUp)) mac_[regs::kStatus] &= ~kStatusLu;
    rx_min_threshold_shift_ = 1;
    tx_.size = 0;
    tx_.sum_needed = 0;
    tx_.vlan_needed = false;
    tx_.segmenting = false;
    tx_.props = {};
    tx_.tso_props = {};
    tx_.tso_frames = 0;
    tx_.busy = false;
    eeprom_.reset_interface();
    io_address_ = 0;
    // Receive address 0 is the EEPROM's MAC address, valid.
    const auto& m = mac_address_.bytes;
    mac_[regs::kRa] = static_cast<uint32_t>(m[0] | m[1] << 8 | m[2] << 16 | static_cast<uint32_t>(m[3]) << 24);
    mac_[regs::kRa + 1] = kRahAv | m[4] | m[5] << 8;
    receive_address_changed();
    if (options_.init_vet) mac_[regs::kVet] = kEthTypeVlan;
    if (irq_level_) {
        irq_level_ = false;
        if (bus_.set_irq) bus_.set_irq(false);
    }
}

// ---------------------------------------------------------------------------
// Register access

bool Core::register_present(uint32_t index) const {
    if (index >= regs::kCount) return false;
    if (classify(index) == Access::kAbsent) return false;
    if (is_mitigation_register(index) && !options_.mitigation) return false;
    if (is_extra_mac_register(index) && !options_.extra_mac_registers) return false;
    return true;
}

uint32_t Core::mmio_read(uint32_t offset, unsigned size) {
    uint32_t index = (offset & (kMmioSize - 1)) >> 2;
    uint32_t value = read_register(index);
    if (size < 4) {
        value >>= 8 * (offset & 3);
        value &= (1u << (8 * size)) - 1;
    }
    return value;
}

void Core::mmio_write(uint32_t offset, uint32_t value, unsigned size) {
    uint32_t index = (offset & (kMmioSize - 1)) >> 2;
    if (size < 4 && index < regs::kCount) {
        // Merge into the stored word without the side effects of a read.
        unsigned shift = 8 * (offset & 3);
        uint32_t mask = ((1u << (8 * size)) - 1) << shift;
        value = (mac_[index] & ~mask) | ((value << shift) & mask);
    }
    write_register(index, value);
}

uint32_t Core::io_read(uint32_t offset, unsigned size) {
    uint32_t value = 0;
    switch (offset & ~3u) {
    case 0:
        value = io_address_;
        break;
    case 4:
        value = read_register((io_address_ & (kMmioSize - 1)) >> 2);
        break;
    default:
        return 0;
    }
    if (size < 4) value = (value >> (8 * (offset & 3))) & ((1u << (8 * size)) - 1);
    return value;
}

void Core::io_write(uint32_t offset, uint32_t value, unsigned size) {
    if (size != 4 || (offset & 3)) {
        MIMIC_LOG(log::kGuestErrors, "e1000: {}-byte I/O write at BAR1+{:#x} ignored (IOADDR/IODATA are dwords)\n",
                  size, offset);
        return;
    }
    switch (offset) {
    case 0:
        io_address_ = value & (kMmioSize - 1) & ~3u;
        break;
    case 4:
        write_register(io_address_ >> 2, value);
        break;
    }
}

uint32_t Core::read_register(uint32_t index) {
    if (!register_present(index)) {
        MIMIC_LOG(log::kUnimp, "e1000: read of unknown register {:#x}\n", index << 2);
        return 0;
    }
    switch (index) {
    case regs::kEecd:
        return eeprom_.eecd_read();
    case regs::kEerd:
        return eeprom_.eerd_read(mac_[index]);
    case regs::kIcr: {
        uint32_t value = mac_[regs::kIcr];
        set_interrupt_cause(0);
        return value;
    }
    case regs::kImc:
        return 0;  // write-only
    }
    if (index >= regs::kStatsFirst && index <= regs::kStatsLast) {
        uint32_t value = mac_[index];
        // The 64-bit octet counters clear when their high half is read.
        switch (index) {
        case regs::kGorcl: case regs::kGotcl: case regs::kTorl: case regs::kTotl:
            return value;
        case regs::kGorch: case regs::kGotch: case regs::kTorh: case regs::kToth:
            mac_[index - 1] = 0;
            break;
        }
        mac_[index] = 0;
        return value;
    }
    return mac_[index];
}

void Core::write_register(uint32_t index, uint32_t value) {
    if (!register_present(index)) {
        MIMIC_LOG(log::kUnimp, "e1000: write of unknown register {:#x} = {:#x}\n", index << 2, value);
        return;
    }
    if (unsigned bits = width_of(index); bits < 32) value &= (1u << bits) - 1;
    switch (index) {
    case regs::kCtrl:
        set_ctrl(value);
        return;
    case regs::kStatus:
        return;  // read-only
    case regs::kEecd:
        eeprom_.eecd_write(value);
        return;
    case regs::kMdic:
        set_mdic(value);
        return;
    case regs::kIcr:
        // Writing 1s clears causes.
        set_interrupt_cause(mac_[regs::kIcr] & ~value);
        return;
    case regs::kIcs:
        raise(value);
        return;
    case regs::kIms:
        mac_[regs::kIms] |= value;
        raise(0);
        return;
    case regs::kImc:
        mac_[regs::kIms] &= ~value;
        raise(0);
        return;
    case regs::kRctl:
        set_rctl(value);
        return;
    case regs::kRdt:
        set_rdt(value);
        return;
    case regs::kRdlen: case regs::kTdlen:
        mac_[index] = value & 0xfff80;
        return;
    case regs::kTctl: case regs::kTdt:
        mac_[index] = value;
        mac_[regs::kTdt] &= 0xffff;
        start_transmit();
        return;
    }
    if (index >= regs::kStatsFirst && index <= regs::kStatsLast) return;  // read-only counters
    mac_[index] = value;
    if (index == regs::kRa + 1) receive_address_changed();
}

// `info network` shows receive address 0 once the guest completes it with
// RAH0, as QEMU's e1000 does.
void Core::receive_address_changed() { nic().set_mac(receive_address(0)); }

// The address in the RAL/RAH pair starting at register kRa + `index`
// (little-endian: RAL holds bytes 0-3, RAH's low half bytes 4-5).
qom::MacAddress Core::receive_address(uint32_t index) const {
    const uint32_t low = mac_[regs::kRa + index], high = mac_[regs::kRa + index + 1];
    return qom::MacAddress{{static_cast<uint8_t>(low), static_cast<uint8_t>(low >> 8), static_cast<uint8_t>(low >> 16),
                            static_cast<uint8_t>(low >> 24), static_cast<uint8_t>(high),
                            static_cast<uint8_t>(high >> 8)}};
}

void Core::set_ctrl(uint32_t value) {
    if (value & kCtrlRst) {
        // Global reset of the MAC (self-clearing): registers back to their
        // power-on values, the EEPROM-loaded address in RAL0/RAH0.
        reset_registers();
        return;
    }
    mac_[regs::kCtrl] = value & ~kCtrlRst;
}

void Core::set_mdic(uint32_t value) {
    uint32_t data = value & 0xffff;
    unsigned reg = (value >> kMdicRegShift) & 0x1f;
    if (((value >> kMdicPhyShift) & 0x1f) != 1) {
        // Only PHY address 1 answers.
        value = mac_[regs::kMdic] | kMdicError;
    } else if (value & kMdicOpRead) {
        if (!Phy::readable(reg)) {
            value |= kMdicError;
        } else {
            value = (value & ~0xffffu) | phy_[reg];
        }
    } else if (value & kMdicOpWrite) {
        if (!Phy::writable(reg)) {
            value |= kMdicError;
        } else if (reg == phy::kBmcr) {
            set_phy_ctrl(static_cast<uint16_t>(data));
        } else {
            phy_[reg] = static_cast<uint16_t>(data);
        }
    }
    mac_[regs::kMdic] = value | kMdicReady;
    if (value & kMdicIntEnable) raise(kIcrMdac);
}

void Core::set_phy_ctrl(uint16_t value) {
    // Bits 0-5 are reserved; reset and restart-autoneg clear themselves.
    phy_[phy::kBmcr] = value & ~(0x3f | phy::kBmcrReset | phy::kBmcrAnRestart);
    if (have_autoneg() && (value & phy::kBmcrAnRestart)) restart_autoneg();
}

void Core::set_rctl(uint32_t value) {
    mac_[regs::kRctl] = value;
    rx_min_threshold_shift_ = ((value >> kRctlRdmtsShift) & 3) + 1;
    rx_resume_timer_.mod(clock_get_ms(Clock::kVirtual) + kRxResumeMs);
}

void Core::set_rdt(uint32_t value) {
    mac_[regs::kRdt] = value & 0xffff;
    if (has_rx_buffers(1)) client_->flush_queue();
}

void Core::bus_master_enabled() { client_->flush_queue(); }

// ---------------------------------------------------------------------------
// Interrupts

// ICR takes `icr`; the line follows ICR & IMS. With mitigation, a rising
// edge opens a window (ITR, or RADV/TADV for the causes they delay, at
// least 500 * 256 ns) during which further edges wait.
void Core::set_interrupt_cause(uint32_t icr) {
    mac_[regs::kIcr] = icr;
    // ICS reads back as ICR, without clearing (some drivers rely on it).
    mac_[regs::kIcs] = icr;
    uint32_t pending = mac_[regs::kIms] & icr;
    if (!irq_level_ && pending) {
        if (mitigation_pending_) return;
        if (options_.mitigation) {
            uint32_t delay = 0;
            auto consider = [&delay](uint32_t value) {
                if (value && (delay == 0 || value < delay)) delay = value;
            };
            if (tx_delay_interrupt_ && (pending & (kIcrTxqe | kIcrTxdw))) consider(mac_[regs::kTadv] * 4);
            if (mac_[regs::kRdtr] && (pending & kIcrRxt0)) consider(mac_[regs::kRadv] * 4);
            consider(mac_[regs::kItr]);
            delay = std::max<uint32_t>(delay, 500);
            mitigation_pending_ = true;
            mitigation_timer_.mod_ns(clock_get_ns(Clock::kVirtual) + int64_t{delay} * 256);
            tx_delay_interrupt_ = 0;
        }
    }
    bool level = pending != 0;
    if (level != irq_level_) {
        irq_level_ = level;
        if (bus_.set_irq) bus_.set_irq(level);
    }
}

void Core::mitigation_timer_expired() {
    mitigation_pending_ = false;
    set_interrupt_cause(mac_[regs::kIcr]);
}

// ---------------------------------------------------------------------------
// Link

bool Core::have_autoneg() const { return options_.autonegotiation && (phy_[phy::kBmcr] & phy::kBmcrAutoNeg); }

void Core::link_down_registers() {
    mac_[regs::kStatus] &= ~kStatusLu;
    phy_[phy::kBmsr] &= ~(phy::kBmsrLinkUp | phy::kBmsrAnComplete);
    phy_[phy::kAnlpar] &= ~phy::kAnlparAck;
}

void Core::link_up() {
    mac_[regs::kStatus] |= kStatusLu;
    phy_[phy::kBmsr] |= phy::kBmsrLinkUp;
    client_->flush_queue();
}

void Core::restart_autoneg() {
    link_down_registers();
    autoneg_timer_.mod(clock_get_ms(Clock::kVirtual) + kAutonegMs);
}

void Core::autoneg_done() {
    phy_[phy::kAnlpar] |= phy::kAnlparAck;
    phy_[phy::kBmsr] |= phy::kBmsrAnComplete;
    link_up();
}

void Core::link_status_changed() {
    uint32_t old_status = mac_[regs::kStatus];
    if (!client_->link_up()) {
        link_down_registers();
    } else if (have_autoneg() && !(phy_[phy::kBmsr] & phy::kBmsrAnComplete)) {
        restart_autoneg();
    } else {
        link_up();
    }
    if (mac_[regs::kStatus] != old_status) raise(kIcrLsc);
}

// ---------------------------------------------------------------------------
// Receive

bool Core::rx_enabled() const {
    return (mac_[regs::kStatus] & kStatusLu) && (mac_[regs::kRctl] & kRctlEn);
}

bool Core::can_receive() const {
    return rx_enabled() && (!bus_.bus_master || bus_.bus_master()) && has_rx_buffers(1) &&
           !rx_resume_timer_.pending();
}

uint32_t Core::rx_buffer_size() const {
    uint32_t rctl = mac_[regs::kRctl];
    unsigned bsize = (rctl >> kRctlBsizeShift) & 3;
    if (rctl & kRctlBsex) {
        // BSEX multiplies the sizes by 16; the 2048 encoding has no
        // extended meaning and stays 2048.
        static constexpr uint32_t kExtended[] = {2048, 16384, 8192, 4096};
        return kExtended[bsize];
    }
    static constexpr uint32_t kSizes[] = {2048, 1024, 512, 256};
    return kSizes[bsize];
}

// Whether the descriptors between RDH and RDT can hold `total` bytes.
bool Core::has_rx_buffers(size_t total) const {
    uint32_t head = mac_[regs::kRdh], tail = mac_[regs::kRdt];
    uint32_t buffer_size = rx_buffer_size();
    if (total <= buffer_size) return head != tail;
    uint64_t free;
    if (head < tail) {
        free = tail - head;
    } else if (head > tail) {
        free = uint64_t{mac_[regs::kRdlen] / kDescriptorSize} + tail - head;
    } else {
        return false;
    }
    return total <= free * buffer_size;
}

// Destination filtering: promiscuous modes, broadcast, the receive address
// registers, then the multicast table hashed on 12 bits chosen by RCTL.MO.
// VLAN-tagged frames must also pass the VLAN filter table when enabled.
bool Core::accepts(std::span<const uint8_t> frame) const {
    uint32_t rctl = mac_[regs::kRctl];
    const uint8_t* dst = frame.data();
    if (load_be16(frame.data() + 12) == (mac_[regs::kVet] & 0xffff) && (rctl & kRctlVfe)) {
        uint16_t vid = load_be16(frame.data() + 14) & 0xfff;
        if (!(mac_[regs::kVfta + (vid >> 5)] & (1u << (vid & 31)))) return false;
    }
    if (is_broadcast(dst)) {
        if (rctl & kRctlBam) return true;
    } else if (is_multicast(dst)) {
        if (rctl & kRctlMpe) return true;
    } else if (rctl & kRctlUpe) {
        return true;
    }
    for (uint32_t i = 0; i < regs::kRaSize; i += 2) {
        if (!(mac_[regs::kRa + i + 1] & kRahAv)) continue;
        if (std::memcmp(dst, receive_address(i).bytes.data(), 6) == 0) return true;
    }
    static constexpr unsigned kMtaShift[] = {4, 3, 2, 0};
    unsigned shift = kMtaShift[(rctl >> kRctlMoShift) & 3];
    unsigned hash = ((dst[5] << 8 | dst[4]) >> shift) & 0xfff;
    return mac_[regs::kMta + (hash >> 5)] & (1u << (hash & 31));
}

void Core::receiver_overrun() {
    count(regs::kRnbc);
    count(regs::kMpc);
    raise(kIcrRxo);
}

void Core::receive(std::span<const uint8_t> input) {
    if (!rx_enabled() || rx_resume_timer_.pending()) return;
    if (bus_.bus_master && !bus_.bus_master()) return;
    // Short frames are padded to the Ethernet minimum, as the wire would.
    std::vector<uint8_t> frame(input.begin(), input.end());
    if (frame.size() < kEthMinFrame) frame.resize(kEthMinFrame, 0);
    size_t size = frame.size();

    uint32_t rctl = mac_[regs::kRctl];
    size_t max_short = kEthHeader + 4 + kEthMtu;
    if ((size > kMaxLongFrame || (size > max_short && !(rctl & kRctlLpe))) && !(rctl & kRctlSbp)) {
        count(regs::kRoc);
        return;
    }
    if (!accepts(frame)) return;

    uint16_t vlan_special = 0;
    uint8_t vlan_status = 0;
    if ((mac_[regs::kCtrl] & kCtrlVme) && load_be16(frame.data() + 12) == (mac_[regs::kVet] & 0xffff)) {
        // Strip the tag into the descriptor's special field.
        vlan_special = load_be16(frame.data() + 14);
        frame.erase(frame.begin() + 12, frame.begin() + 16);
        vlan_status = kRxdStatVp;
        size -= 4;
    }
    bool broadcast = is_broadcast(frame.data());
    bool multicast = !broadcast && is_multicast(frame.data());

    size_t total = size + ((rctl & kRctlSecrc) ? 0 : 4);  // the FCS the guest strips
    if (!has_rx_buffers(total)) {
        receiver_overrun();
        return;
    }
    uint32_t buffer_size = rx_buffer_size();
    uint64_t ring = uint64_t{mac_[regs::kRdbah]} << 32 | (mac_[regs::kRdbal] & ~0xfu);
    uint32_t ring_entries = mac_[regs::kRdlen] / kDescriptorSize;
    uint32_t head_start = mac_[regs::kRdh];
    size_t done = 0;
    do {
        size_t chunk = std::min<size_t>(total - done, buffer_size);
        uint64_t at = ring + uint64_t{kDescriptorSize} * mac_[regs::kRdh];
        uint8_t desc[kDescriptorSize];
        if (!dma_read(at, desc, sizeof desc, "RX descriptor")) return;
        uint64_t buffer;
        std::memcpy(&buffer, desc, 8);
        uint8_t status = desc[12] & ~kRxdStatDd;
        if (buffer) {
            if (done < size) {
                size_t copy = std::min<size_t>(size - done, buffer_size);
                dma_write(buffer, frame.data() + done, copy, "RX buffer");
            }
            done += chunk;
            desc[8] = static_cast<uint8_t>(chunk);
            desc[9] = static_cast<uint8_t>(chunk >> 8);
            if (done >= total) {
                status |= kRxdStatEop | kRxdStatIxsm;
            } else {
                status &= ~kRxdStatEop;
            }
        }
        // A null buffer address: the descriptor is skipped (written back
        // without data), as the manual says.
        desc[12] = status;
        desc[14] = static_cast<uint8_t>(vlan_special);
        desc[15] = static_cast<uint8_t>(vlan_special >> 8);
        // The status byte with DD goes last, so the guest never sees DD on a
        // half-written descriptor.
        dma_write(at, desc, sizeof desc, "RX descriptor");
        uint8_t final_status = status | vlan_status | kRxdStatDd;
        dma_write(at + 12, &final_status, 1, "RX descriptor");

        if (++mac_[regs::kRdh] >= ring_entries) mac_[regs::kRdh] = 0;
        if (mac_[regs::kRdh] == head_start || head_start >= ring_entries) {
            MIMIC_LOG(log::kGuestErrors, "e1000: RX ring wrapped (RDH {} RDT {} RDLEN {:#x})\n", head_start,
                      mac_[regs::kRdt], mac_[regs::kRdlen]);
            receiver_overrun();
            return;
        }
    } while (done < total);

    count_size(regs::kPrc64, total);
    count(regs::kTpr);
    count(regs::kGprc);
    count_octets(regs::kTorl, size + 4);
    count_octets(regs::kGorcl, size + 4);
    if (broadcast) count(regs::kBprc);
    if (multicast) count(regs::kMprc);

    uint32_t causes = kIcrRxt0;
    uint64_t tail = mac_[regs::kRdt];
    if (tail < mac_[regs::kRdh]) tail += ring_entries;
    if ((tail - mac_[regs::kRdh]) * kDescriptorSize <= (mac_[regs::kRdlen] >> rx_min_threshold_shift_))
        causes |= kIcrRxdmt0;
    raise(causes);
}

// The wire side of transmit: to the peer, or back to ourselves when the
// PHY is in loopback mode.
void Core::send_frame(std::span<const uint8_t> frame) {
    if (phy_[phy::kBmcr] & phy::kBmcrLoopback) {
        client_->loop_back(frame);
    } else {
        client_->send(frame);
    }
    if (frame.size() >= 6) {
        bool broadcast = std::all_of(frame.begin(), frame.begin() + 6, [](uint8_t b) { return b == 0xff; });
        if (broadcast) {
            count(regs::kBptc);
        } else if (frame[0] & 1) {
            count(regs::kMptc);
        }
    }
    count_size(regs::kPtc64, frame.size() + 4);
}

// ---------------------------------------------------------------------------
// DMA and statistics

// A descriptor the card cannot fetch stops the ring walk (TX) or drops the
// frame (RX); one nothing decodes is also reported on the bus.
bool Core::dma_read(uint64_t addr, void* buf, size_t len, const char* what) {
    memory::AccessResult result = bus_.dma ? bus_.dma->read(addr, buf, len) : memory::AccessResult::kUnassigned;
    if (result != memory::AccessResult::kOk) {
        MIMIC_LOG(log::kGuestErrors, "e1000: {} read at {:#x} (+{}) hits no memory\n", what, addr, len);
        dma_failed(result);
        return false;
    }
    return true;
}

bool Core::dma_write(uint64_t addr, const void* buf, size_t len, const char* what) {
    memory::AccessResult result = bus_.dma ? bus_.dma->write(addr, buf, len) : memory::AccessResult::kUnassigned;
    if (result != memory::AccessResult::kOk) {
        MIMIC_LOG(log::kGuestErrors, "e1000: {} write at {:#x} (+{}) hits no memory\n", what, addr, len);
        dma_failed(result);
        return false;
    }
    return true;
}

void Core::dma_failed(memory::AccessResult result) {
    // ROM takes writes silently; only an address nobody decodes aborts.
    if (result == memory::AccessResult::kUnassigned && bus_.master_abort) bus_.master_abort();
}

// Counters saturate rather than wrap.
void Core::count(uint32_t index) {
    if (mac_[index] != 0xffffffffu) ++mac_[index];
}

void Core::count_octets(uint32_t low_index, uint64_t bytes) {
    uint64_t value = uint64_t{mac_[low_index + 1]} << 32 | mac_[low_index];
    value = value + bytes < value ? ~uint64_t{0} : value + bytes;
    mac_[low_index] = static_cast<uint32_t>(value);
    mac_[low_index + 1] = static_cast<uint32_t>(value >> 32);
}

// The six size-bucket counters from `first_index` (64, 65-127, ... 1024+).
void Core::count_size(uint32_t first_index, size_t size) {
    if (size > 1023) {
        count(first_index + 5);
    } else if (size > 511) {
        count(first_index + 4);
    } else if (size > 255) {
        count(first_index + 3);
    } else if (size > 127) {
        count(first_index + 2);
    } else if (size > 64) {
        count(first_index + 1);
    } else if (size == 64) {
        count(first_index);
    }
}

}  // namespace mimic::hw::e1000
