// The ICH9 AHCI SATA controller ("ich9-ahci", alias "ahci"; PCI 8086:2922
// rev 2, class 01.06.01) as QEMU 7.2 has it: six ports, the HBA registers
// in BAR5 (4 KiB of MMIO), the index/data pair to them in BAR4 (32 I/O
// ports), a SATA capability at 0xa8, MSI at 0x80 and INTA. Each port is an IDE channel
// with one unit, so ATA and ATAPI commands run in the same engine as the
// PIIX's (ide_channel, ata_commands, atapi); this file carries them there
// from the command list and back as FISes (AHCI 1.3, sections 3-5).
//
// Commands run synchronously when PxCI (or PxCMD.ST) is written: the
// command header and table are read, a Register H2D FIS's task file is
// loaded into the unit and the command executed; PIO data blocks and DMA
// pieces move through the PRD table (PrdTable), the completion becomes a
// D2H (and, after PIO data, a PIO Setup) FIS in the port's receive area.
// READ/WRITE FPDMA QUEUED (NCQ) go straight to the image and complete with
// a Set Device Bits FIS. Every guest-memory access goes through the
// function's bus-master address space, only with bus mastering on; what
// nothing decodes is a master abort (Host Bus Fatal Error on the port), and
// guest lengths never size a host buffer.
//
// Left out, as QEMU 7.2 leaves them out: port multipliers, FIS-based
// switching, command completion coalescing, enclosure management, power
// management states, staggered spin-up.
//
// Interrupts: INTA while any port has an enabled status bit and GHC.IE is
// set; with MSI enabled, as QEMU, a message each time the state is looked
// at with something pending.
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "ide_channel.h"
#include "mimic/hw/msi.h"
#include "mimic/block/drive.h"
#include "mimic/hw/ide.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/pci.h"
#include "mimic/memory/address_space.h"
#include "mimic/qom/type.h"
#include "mimic/system/drives.h"
#include "mimic/system/runstate.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr uint64_t kAbarSize = 0x1000;  // QEMU's: the ICH9's 1 KiB rounded up
constexpr uint64_t kIdpSize = 32;
constexpr uint64_t kIdpIndex = 0x10;  // ICH9: index at 10h, data at 14h
constexpr uint8_t kSataCapOffset = 0xa8;
constexpr uint8_t kMsiCapOffset = 0x80;
constexpr uint8_t kPciCapIdSata = 0x12;
constexpr int kSlots = 32;

// Generic host control (section 3.1).
constexpr uint64_t kRegCap = 0x00, kRegGhc = 0x04, kRegIs = 0x08, kRegPi = 0x0c, kRegVs = 0x10;
constexpr uint64_t kPortBase = 0x100, kPortStride = 0x80;
constexpr uint32_t kCapS64a = 1u << 31, kCapSncq = 1u << 30, kCapSam = 1u << 18;
constexpr uint32_t kCapGen1 = 1u << 20;  // interface speed: 1.5 Gb/s
constexpr uint32_t kGhcHr = 1u << 0, kGhcIe = 1u << 1, kGhcAe = 1u << 31;
constexpr uint32_t kVersion10 = 0x00010000;

// Port registers (section 3.3), offsets within the port's 128 bytes.
enum : uint64_t {
    kPxClb = 0x00, kPxClbu = 0x04, kPxFb = 0x08, kPxFbu = 0x0c, kPxIs = 0x10, kPxIe = 0x14,
    kPxCmd = 0x18, kPxTfd = 0x20, kPxSig = 0x24, kPxSsts = 0x28, kPxSctl = 0x2c, kPxSerr = 0x30,
    kPxSact = 0x34, kPxCi = 0x38, kPxSntf = 0x3c,
};
// PxIS / PxIE.
constexpr uint32_t kIsDhrs = 1u << 0, kIsPss = 1u << 1, kIsSdbs = 1u << 3, kIsOfs = 1u << 24,
                   kIsHbfs = 1u << 29, kIsTfes = 1u << 30;
constexpr uint32_t kIeMask = 0xfdc000ff;  // the bits that exist
// PxCMD.
constexpr uint32_t kCmdSt = 1u << 0, kCmdSud = 1u << 1, kCmdPod = 1u << 2, kCmdClo = 1u << 3,
                   kCmdFre = 1u << 4, kCmdFr = 1u << 14, kCmdCr = 1u << 15;
constexpr uint32_t kCmdReadOnly = 0x007dffe0;  // as QEMU: bits 5-16 and 18-22
constexpr uint32_t kCmdIcc = 0xf0000000;      // no interface power states
// PxSSTS with a device: present and PHY up, Gen1, interface active.
constexpr uint32_t kSstsUp = 0x113;
constexpr uint32_t kSigDisk = 0x00000101, kSigAtapi = 0xeb140101;

// FIS types and where they land in the receive area (section 4.2.1).
constexpr uint8_t kFisRegH2d = 0x27, kFisRegD2h = 0x34, kFisDmaSetup = 0x41, kFisPioSetup = 0x5f,
                  kFisSdb = 0xa1;
constexpr uint64_t kRfisDsfis = 0x00, kRfisPsfis = 0x20, kRfisRfis = 0x40, kRfisSdbfis = 0x58;
constexpr uint8_t kFisCommand = 0x80;  // Register H2D: C, the command register is updated
constexpr uint8_t kControlSrst = 0x04;

// Command header DW0 (section 4.2.2) and the command table layout.
constexpr uint32_t kHdrAtapi = 1u << 5, kHdrWrite = 1u << 6;
constexpr uint64_t kTableAcmd = 0x40, kTablePrdt = 0x80;

constexpr uint8_t kReadFpdmaQueued = 0x60, kWriteFpdmaQueued = 0x61;
constexpr uint8_t kPacket = 0xa0;

uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }
void put_le32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The PRD table of the command a port is running, walked as data moves: a
// DMA command's pieces and a PIO command's DRQ blocks alike go to the next
// bytes the table describes.
class PrdTable final : public ide::DmaEngine {
public:
    void setup(memory::AddressSpace* memory, uint64_t table, uint16_t entries, bool host_writes) {
        memory_ = memory;
        table_ = table;
        entries_ = entries;
        host_writes_ = host_writes;
        begin();
        moved_ = 0;
    }
    bool running() const override { return true; }
    bool to_memory() const override { return !host_writes_; }
    void begin() override {
        next_ = 0;
        address_ = 0;
        left_ = 0;
        failed_ = short_ = aborted_ = false;
    }
    size_t move(std::span<uint8_t> data, bool to_memory) override {
        size_t done = 0;
        while (done < data.size() && !failed_) {
            if (left_ == 0) {
                if (next_ >= entries_) {
                    short_ = failed_ = true;
                    break;
                }
                uint8_t entry[16];
                if (!memory_ || memory_->read(table_ + kTablePrdt + 16ull * next_, entry, sizeof entry) !=
                                    memory::AccessResult::kOk) {
                    MIMIC_LOG(log::kGuestErrors, "ahci: PRD entry {} is not in memory\n", next_);
                    aborted_ = failed_ = true;
                    break;
                }
                ++next_;
                // Byte count is zero-based, 22 bits; the address word-aligned.
                address_ = (le32(entry) | uint64_t{le32(entry + 4)} << 32) & ~uint64_t{1};
                left_ = (le32(entry + 12) & 0x3fffff) + 1;
            }
            size_t chunk = static_cast<size_t>(std::min<uint64_t>(left_, data.size() - done));
            memory::AccessResult result = to_memory ? memory_->write(address_, data.data() + done, chunk)
                                                    : memory_->read(address_, data.data() + done, chunk);
            if (result == memory::AccessResult::kUnassigned) {
                MIMIC_LOG(log::kGuestErrors, "ahci: DMA buffer at {:#x} (+{}) is not in memory\n", address_, chunk);
                aborted_ = failed_ = true;
                break;
            }
            address_ += chunk;
            left_ -= chunk;
            done += chunk;
        }
        moved_ += done;
        return done;
    }
    bool failed() const override { return failed_; }
    void end(bool) override {}

    uint64_t moved() const { return moved_; }
    bool short_table() const { return short_; }
    bool master_abort() const { return aborted_; }

private:
    memory::AddressSpace* memory_ = nullptr;
    uint64_t table_ = 0;
    uint32_t entries_ = 0;
    bool host_writes_ = false;
    uint32_t next_ = 0;
    uint64_t address_ = 0;
    uint64_t left_ = 0;
    uint64_t moved_ = 0;
    bool failed_ = false, short_ = false, aborted_ = false;
};

struct Port {
    ide::IdeChannel channel;
    PrdTable prd;
    IdeBus* bus = nullptr;  // <id>.N, where the port's ide-hd/ide-cd sits
    uint32_t clb = 0, clbu = 0, fb = 0, fbu = 0;
    uint32_t is = 0, ie = 0, cmd = 0, tfd = 0x7f, sig = 0xffffffff;
    uint32_t sctl = 0, serr = 0, sact = 0, ci = 0;
    bool init_d2h_sent = false;
    bool srst = false;       // a Register H2D FIS set SRST; its clearing resets the device
    uint32_t finished = 0;   // NCQ tags done since the last Set Device Bits FIS

    ide::IdeUnit& unit() { return channel.unit(0); }
    uint64_t command_list() const { return uint64_t{clbu} << 32 | clb; }
    uint64_t fis_area() const { return uint64_t{fbu} << 32 | fb; }
};

class Ich9Ahci : public PciDevice, public IdeBusOwner {
public:
    IdeAttached attach_ide_device(int bus, int unit, system::DriveInfo& info, bool cdrom,
                                  const IdeDeviceSettings& settings) override {
        Port& p = ports_[static_cast<size_t>(bus)];
        if (unit != 0) throw Error("Can't create IDE unit {}, bus supports only 1 units", unit);
        if (p.unit().present()) throw Error("IDE unit {} is in use", unit);
        p.channel.attach(0, info, cdrom);
        p.channel.configure(0, settings);
        p.unit().ncq_queues = kSlots;
        reset_port(p);
        return ide::attached(p.unit());
    }
    void detach_ide_device(int bus, int unit) override {
        if (unit == 0) ports_[static_cast<size_t>(bus)].unit().info = nullptr;
    }
    std::string ide_fw_dev_path() const override { return fw_dev_path(); }
    IdeTrayState ide_tray_state(int bus, int) override {
        const ide::IdeUnit& u = ports_[static_cast<size_t>(bus)].unit();
        return {.open = u.tray_open, .locked = u.tray_locked};
    }
    bool ide_open_tray(int bus, int, bool force) override {
        return ports_[static_cast<size_t>(bus)].channel.open_tray(0, force);
    }
    void ide_close_tray(int bus, int) override { ports_[static_cast<size_t>(bus)].channel.close_tray(0); }

protected:
    void pci_realize() override {
        set_ids({.vendor = 0x8086, .device = 0x2922, .revision = 0x02, .class_code = 0x010601});
        set_byte(pci_config::kCacheLineSize, 0x08);
        set_byte(pci_config::kLatencyTimer, 0x00);
        set_interrupt_pin(1);
        set_byte(0x90, 1 << 6);  // MAP: AHCI mode
        // SATA capability: revision 1.0; the index/data pair sits in BAR4
        // (BAR offset 4 + 4) at 10h (in dwords: 4).
        uint8_t cap = add_capability(kPciCapIdSata, kSataCapOffset, 8);
        set_word(cap + 2, 0x0010);
        set_long(cap + 4, (4 + 4) | (4 << 4));
        msi_.init(*this, {.vectors = 1, .address64 = true, .per_vector_mask = false}, kMsiCapOffset);

        memory::MmioOps abar;
        abar.read = [this](uint64_t offset, unsigned size) -> uint64_t { return mem_read(offset, size); };
        abar.write = [this](uint64_t offset, uint64_t value, unsigned size) { mem_write(offset, value, size); };
        abar.valid = {1, 8, true};
        abar.impl = {1, 4, true};
        abar_.init_io("ahci", kAbarSize, std::move(abar));

        memory::MmioOps idp;
        idp.read = [this](uint64_t offset, unsigned size) -> uint64_t {
            if (offset == kIdpIndex) return idp_index_;
            if (offset == kIdpIndex + 4) return mem_read(idp_index_, size);
            return 0;
        };
        idp.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            if (offset == kIdpIndex) {
                idp_index_ = static_cast<uint32_t>(value) & ((kAbarSize - 1) & ~uint64_t{3});
            } else if (offset == kIdpIndex + 4) {
                mem_write(idp_index_, value, size);
            }
        };
        idp.valid = {1, 4, false};
        idp.impl = {1, 4, false};
        idp_.init_io("ahci-idp", kIdpSize, std::move(idp));

        register_bar(4, kBarIo, idp_);
        register_bar(5, kBarMem32, abar_);

        // QEMU numbers drive serials over every IDE bus made so far (two
        // units each): after a PIIX's ide.0/ide.1, port 0 is QM00005.
        int base = machine_ide_buses();
        for (int i = 0; i < kAhciPorts; ++i) {
            Port& p = ports_[static_cast<size_t>(i)];
            p.channel.init(base + i, IrqLine{});
            p.channel.set_bus_master(&p.prd);
            p.channel.set_io_error_listener(
                [this](ide::IdeUnit& u, bool write, int error) { ide::emit_io_error(*this, u, write, error); });
            p.bus = &static_cast<IdeBus&>(add_bus(kTypeIdeBus));
            p.bus->configure(*this, i, 1);
            p.channel.set_tray_listener([this, &p](ide::IdeUnit& u, bool open) { report_tray_moved(p, u, open); });
        }
        hba_reset();
    }

    void pci_reset() override {
        msi_.reset();
        hba_reset();
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override { msi_.config_written(offset, size); }

private:
    // --- registers ---------------------------------------------------------

    uint32_t read32(uint64_t addr) {
        if (addr < kPortBase) {
            switch (addr) {
            case kRegCap:
                // Six ports, 32 command slots, Gen1, NCQ, AHCI-only, 64-bit.
                return (kAhciPorts - 1) | ((kSlots - 1) << 8) | kCapGen1 | kCapSncq | kCapSam | kCapS64a;
            case kRegGhc: return ghc_;
            case kRegIs: return hba_is_;
            case kRegPi: return (1u << kAhciPorts) - 1;
            case kRegVs: return kVersion10;
            default: return 0;  // CCC, EM, CAP2, BOHC: not implemented, as QEMU
            }
        }
        uint64_t port = (addr - kPortBase) / kPortStride;
        if (port >= kAhciPorts) return 0;
        Port& p = ports_[port];
        switch ((addr - kPortBase) % kPortStride) {
        case kPxClb: return p.clb;
        case kPxClbu: return p.clbu;
        case kPxFb: return p.fb;
        case kPxFbu: return p.fbu;
        case kPxIs: return p.is;
        case kPxIe: return p.ie;
        case kPxCmd: return p.cmd;
        case kPxTfd: return p.tfd;
        case kPxSig: return p.sig;
        case kPxSsts: return p.unit().present() ? kSstsUp : 0;
        case kPxSctl: return p.sctl;
        case kPxSerr: return p.serr;
        case kPxSact: return p.sact;
        case kPxCi: return p.ci;
        default: return 0;
        }
    }

    // Any size at any offset within a register (QEMU's reads), 8 bytes
    // across two.
    uint64_t mem_read(uint64_t offset, unsigned size) {
        uint64_t aligned = offset & ~uint64_t{3};
        uint64_t value = read32(aligned);
        if ((offset & 3) + size > 4) value |= uint64_t{read32(aligned + 4)} << 32;
        value >>= (offset & 3) * 8;
        return size >= 8 ? value : value & ((uint64_t{1} << (size * 8)) - 1);
    }

    void mem_write(uint64_t offset, uint64_t value64, unsigned size) {
        (void)size;
        if (offset & 3) {
            MIMIC_LOG(log::kGuestErrors, "ahci: misaligned write at {:#x}\n", offset);
            return;
        }
        // A command's own DMA landing in the registers must not re-enter
        // the engine (QEMU's reentrancy guard does the same).
        if (running_) {
            MIMIC_LOG(log::kGuestErrors, "ahci: DMA into the HBA registers at {:#x} ignored\n", offset);
            return;
        }
        auto value = static_cast<uint32_t>(value64);
        if (offset < kPortBase) {
            switch (offset) {
            case kRegGhc:
                if (value & kGhcHr) {
                    hba_reset();
                } else {
                    ghc_ = (value & kGhcIe) | kGhcAe;
                    update_irq();
                }
                break;
            case kRegIs:
                // Write-1-to-clear, but the bits follow the ports' PxIS&PxIE.
                hba_is_ &= ~value;
                update_irq();
                break;
            default:
                MIMIC_LOG(log::kUnimp, "ahci: write to host register {:#x}\n", offset);
                break;
            }
            return;
        }
        uint64_t port = (offset - kPortBase) / kPortStride;
        if (port >= kAhciPorts) return;
        port_write(ports_[port], (offset - kPortBase) % kPortStride, value);
    }

    void port_write(Port& p, uint64_t reg, uint32_t value) {
        switch (reg) {
        case kPxClb: p.clb = value & ~0x3ffu; break;  // 1 KiB aligned
        case kPxClbu: p.clbu = value; break;
        case kPxFb: p.fb = value & ~0xffu; break;     // 256-byte aligned
        case kPxFbu: p.fbu = value; break;
        case kPxIs:
            p.is &= ~value;
            update_irq();
            break;
        case kPxIe:
            p.ie = value & kIeMask;
            update_irq();
            break;
        case kPxCmd: {
            bool was_started = p.cmd & kCmdSt;
            p.cmd = (p.cmd & kCmdReadOnly) | (value & ~(kCmdReadOnly | kCmdIcc));
            // No engine takes time to start or stop: CR and FR follow ST
            // and FRE at once. Stopping drops the commands not yet run.
            if (p.cmd & kCmdSt) {
                p.cmd |= kCmdCr;
            } else {
                p.cmd &= ~kCmdCr;
                if (was_started) p.ci = p.sact = 0;
            }
            if (p.cmd & kCmdFre) {
                p.cmd |= kCmdFr;
            } else {
                p.cmd &= ~kCmdFr;
            }
            if (p.cmd & kCmdClo) {
                p.tfd &= ~uint32_t{ide::kStatusBsy | ide::kStatusDrq};
                p.cmd &= ~kCmdClo;
            }
            // The device's first D2H FIS (its signature) waits for the
            // receive area, as a real device's would wait on the link.
            if ((p.cmd & kCmdFr) && !p.init_d2h_sent) send_init_d2h(p);
            run_commands(p);
            break;
        }
        case kPxSctl:
            // DET 1 -> 0 ends a COMRESET: the device resets.
            if ((p.sctl & 0xf) == 1 && (value & 0xf) == 0) reset_port(p);
            p.sctl = value;
            break;
        case kPxSerr: p.serr &= ~value; break;
        case kPxSact:
            if (p.cmd & kCmdSt) p.sact |= value;
            break;
        case kPxCi:
            if (p.cmd & kCmdSt) p.ci |= value;
            run_commands(p);
            break;
        default:
            break;  // TFD, SIG, SSTS read-only; SNTF: no notifications
        }
    }

    void update_irq() {
        uint32_t pending = 0;
        for (int i = 0; i < kAhciPorts; ++i) {
            const Port& p = ports_[static_cast<size_t>(i)];
            if (p.is & p.ie) pending |= 1u << i;
        }
        hba_is_ = pending;
        bool asserted = pending && (ghc_ & kGhcIe);
        if (msi_.enabled()) {
            if (asserted) msi_.notify(0);
            return;
        }
        set_irq(asserted);
    }

    void raise(Port& p, uint32_t bits) {
        p.is |= bits;
        update_irq();
    }

    // --- resets --------------------------------------------------------------

    void hba_reset() {
        ghc_ = kGhcAe;  // CAP.SAM: AHCI-only, AE reads 1
        for (Port& p : ports_) {
            p.is = p.ie = 0;
            p.sctl = 0;
            p.ci = 0;
            p.cmd = kCmdSud | kCmdPod;
            reset_port(p);
        }
        update_irq();
    }

    // COMRESET, SRST, HBA reset: the device starts over and (once the
    // receive area is on) reports its signature in a D2H FIS.
    void reset_port(Port& p) {
        p.channel.reset();
        ide::IdeUnit& u = p.unit();
        u.ncq_queues = kSlots;
        p.serr = p.sact = 0;
        p.tfd = 0x7f;
        p.sig = 0xffffffff;
        p.init_d2h_sent = false;
        p.srst = false;
        p.finished = 0;
        if (!u.present()) return;
        p.channel.set_signature(u);
        // QEMU's values for the first FIS: DSC|DF, with DRDY for ATAPI.
        u.status = u.cdrom ? 0x70 : 0x30;
        u.error = 0x01;
        send_init_d2h(p);
    }

    void send_init_d2h(Port& p) {
        if (!p.unit().present() || !(p.cmd & kCmdFre)) return;
        if (!write_d2h(p)) return;
        p.init_d2h_sent = true;
        const ide::IdeUnit& u = p.unit();
        p.sig = uint32_t{u.hcyl} << 24 | uint32_t{u.lcyl} << 16 | uint32_t{u.sector} << 8 | u.nsector;
    }

    // --- guest memory ------------------------------------------------------------

    // Where DMA goes, or nullptr while bus mastering is off.
    memory::AddressSpace* dma_space() const {
        if (!(command() & kPciCommandMaster)) return nullptr;
        return bus_master_space();
    }

    // A pointer the guest gave that nothing decodes: the PCI master abort
    // and the port's Host Bus Fatal Error.
    void fatal(Port& p) {
        note_master_abort();
        raise(p, kIsHbfs);
    }

    bool read_guest(Port& p, uint64_t addr, void* buf, size_t len) {
        memory::AddressSpace* memory = dma_space();
        if (memory && memory->read(addr, buf, len) == memory::AccessResult::kOk) return true;
        MIMIC_LOG(log::kGuestErrors, "ahci: command structure at {:#x} is not in memory\n", addr);
        if (memory) fatal(p);
        return false;
    }

    bool write_fis(Port& p, uint64_t offset, const uint8_t* fis, size_t len) {
        memory::AddressSpace* memory = dma_space();
        if (!memory || !(p.cmd & kCmdFre)) return false;
        if (memory->write(p.fis_area() + offset, fis, len) == memory::AccessResult::kUnassigned) {
            MIMIC_LOG(log::kGuestErrors, "ahci: FIS receive area at {:#x} is not in memory\n", p.fis_area());
            fatal(p);
            return false;
        }
        return true;
    }

    // The task file as a D2H or PIO Setup FIS carries it (bytes 2-13).
    static void put_task_file(uint8_t* fis, const ide::IdeUnit& u) {
        fis[2] = u.status;
        fis[3] = u.error;
        fis[4] = u.sector;
        fis[5] = u.lcyl;
        fis[6] = u.hcyl;
        fis[7] = u.select;
        fis[8] = u.hob_sector;
        fis[9] = u.hob_lcyl;
        fis[10] = u.hob_hcyl;
        fis[12] = u.nsector;
        fis[13] = u.hob_nsector;
    }

    // The end of a command: PxTFD, the D2H FIS, DHRS (and TFES on error).
    bool write_d2h(Port& p) {
        const ide::IdeUnit& u = p.unit();
        uint8_t fis[20] = {kFisRegD2h, 0x40};  // I: interrupt
        put_task_file(fis, u);
        p.tfd = uint32_t{u.error} << 8 | u.status;
        bool written = write_fis(p, kRfisRfis, fis, sizeof fis);
        raise(p, kIsDhrs | ((u.status & ide::kStatusErr) ? kIsTfes : 0));
        return written;
    }

    void write_pio_setup(Port& p, bool to_host, uint32_t count) {
        const ide::IdeUnit& u = p.unit();
        uint8_t fis[20] = {kFisPioSetup, static_cast<uint8_t>(0x40 | (to_host ? 0x20 : 0))};
        put_task_file(fis, u);
        fis[15] = u.status;  // E_Status: the status once the data has moved
        fis[16] = static_cast<uint8_t>(count);
        fis[17] = static_cast<uint8_t>(count >> 8);
        p.tfd = uint32_t{u.error} << 8 | u.status;
        write_fis(p, kRfisPsfis, fis, sizeof fis);
        raise(p, kIsPss | ((u.status & ide::kStatusErr) ? kIsTfes : 0));
    }

    // --- command processing ------------------------------------------------------

    void run_commands(Port& p) {
        if (running_ || !(p.cmd & kCmdSt) || !p.unit().present() || !dma_space()) return;
        running_ = true;
        // One pass over the slots; a slot the guest issues meanwhile (it
        // cannot: register writes from DMA are dropped) waits for the next.
        for (int slot = 0; slot < kSlots && (p.cmd & kCmdSt); ++slot) {
            if (!(p.ci & (1u << slot))) continue;
            run_slot(p, slot);
            p.ci &= ~(1u << slot);
        }
        running_ = false;
    }

    void run_slot(Port& p, int slot) {
        uint64_t header_addr = p.command_list() + 32ull * static_cast<unsigned>(slot);
        uint8_t header[16];
        if (!read_guest(p, header_addr, header, sizeof header)) return fail_command(p);
        uint32_t dw0 = le32(header);
        uint16_t prdtl = static_cast<uint16_t>(dw0 >> 16);
        uint64_t table = (le32(header + 8) | uint64_t{le32(header + 12)} << 32) & ~uint64_t{0x7f};
        uint8_t cfis[kTableAcmd + 16];
        if (!read_guest(p, table, cfis, sizeof cfis)) return fail_command(p);

        if (cfis[0] != kFisRegH2d || (cfis[1] & 0x0f)) {
            // Another FIS type, or a port-multiplier port nothing answers.
            MIMIC_LOG(log::kGuestErrors, "ahci: command FIS {:#04x}/{:#04x} not supported\n", cfis[0], cfis[1]);
            return fail_command(p);
        }
        if (!(cfis[1] & kFisCommand)) {
            // A Device Control update: SRST set, then cleared, resets the device.
            if (cfis[15] & kControlSrst) {
                p.srst = true;
            } else if (p.srst) {
                reset_port(p);
            }
            return;
        }
        ide::IdeUnit& u = p.unit();
        uint8_t command = cfis[2];
        bool host_writes = dw0 & kHdrWrite;
        p.prd.setup(dma_space(), table, prdtl, host_writes);
        if (command == kReadFpdmaQueued || command == kWriteFpdmaQueued) return run_ncq(p, cfis, command);

        u.feature = cfis[3];
        u.sector = cfis[4];
        u.lcyl = cfis[5];
        u.hcyl = cfis[6];
        u.select = static_cast<uint8_t>((cfis[7] & ~0x10) | 0xa0);
        u.hob_sector = cfis[8];
        u.hob_lcyl = cfis[9];
        u.hob_hcyl = cfis[10];
        u.hob_feature = cfis[11];
        u.nsector = cfis[12];
        u.hob_nsector = cfis[13];
        u.error = 0;
        put_le32(header + 4, 0);

        p.channel.execute_command(command);

        // PIO blocks, one after another, between the unit's buffer and the
        // PRD table; a PACKET command's first block is the ATAPI command.
        bool packet_pending = command == kPacket && (dw0 & kHdrAtapi);
        bool pio = false, to_host = false;
        size_t last_block = 0;
        while ((u.status & ide::kStatusDrq) && u.end > u.pos) {
            std::span<uint8_t> block(u.buffer.data() + u.pos, u.end - u.pos);
            if (packet_pending && u.pio_out) {
                std::memcpy(block.data(), cfis + kTableAcmd, std::min<size_t>(block.size(), 16));
                packet_pending = false;
            } else {
                pio = true;
                to_host = !u.pio_out;
                last_block = block.size();
                if (p.prd.move(block, to_host) < block.size()) {
                    MIMIC_LOG(log::kGuestErrors, "ahci: PRD table too short for the PIO data\n");
                    p.channel.abort_command(u);
                    break;
                }
            }
            u.pos = u.end;
            p.channel.finish_pio();
        }
        if (p.prd.master_abort()) fatal(p);
        if (u.status & (ide::kStatusBsy | ide::kStatusDrq)) {
            // Nothing left to move yet the device waits: a command that
            // lost its way (a DMA command without data). Abort it.
            p.channel.abort_command(u);
        }

        // PRDBC: bytes moved.
        uint32_t moved = static_cast<uint32_t>(std::min<uint64_t>(p.prd.moved(), UINT32_MAX));
        put_le32(header + 4, moved);
        if (memory::AddressSpace* memory = dma_space()) memory->write(header_addr + 4, header + 4, 4);
        if (pio) write_pio_setup(p, to_host, static_cast<uint32_t>(last_block));
        write_d2h(p);
    }

    // A command the HBA could not run: aborted, the guest told by TFES.
    void fail_command(Port& p) {
        ide::IdeUnit& u = p.unit();
        u.status = ide::kStatusDrdy | ide::kStatusErr;
        u.error = ide::kErrorAbrt;
        write_d2h(p);
    }

    // READ/WRITE FPDMA QUEUED: the sector count in the features bytes, the
    // tag in count bits 7:3. Runs to completion now; the Set Device Bits
    // FIS reports the tag done (or the error).
    void run_ncq(Port& p, const uint8_t* cfis, uint8_t command) {
        ide::IdeUnit& u = p.unit();
        unsigned tag = cfis[12] >> 3;
        uint32_t count = cfis[3] | cfis[11] << 8;
        if (count == 0) count = 65536;
        uint64_t lba = cfis[4] | uint64_t{cfis[5]} << 8 | uint64_t{cfis[6]} << 16 | uint64_t{cfis[8]} << 24 |
                       uint64_t{cfis[9]} << 32 | uint64_t{cfis[10]} << 40;
        bool write = command == kWriteFpdmaQueued;
        uint64_t bytes = uint64_t{count} * ide::kSectorSize;

        bool ok = !u.cdrom && u.drive() && lba <= u.total_sectors && count <= u.total_sectors - lba;
        if (!ok) MIMIC_LOG(log::kGuestErrors, "ahci: NCQ range {}+{} outside the disk\n", lba, count);
        if (ok) {
            // DMA Setup (auto-activate, no interrupt): which tag's data flows.
            uint8_t fis[28] = {kFisDmaSetup, static_cast<uint8_t>(0x80 | (write ? 0 : 0x20))};
            fis[4] = static_cast<uint8_t>(tag);
            put_le32(fis + 20, static_cast<uint32_t>(std::min<uint64_t>(bytes, UINT32_MAX)));
            write_fis(p, kRfisDsfis, fis, sizeof fis);
        }
        for (uint64_t offset = 0; ok && offset < bytes;) {
            size_t size = static_cast<size_t>(std::min<uint64_t>(ide::IdeChannel::kDmaPieceBytes, bytes - offset));
            piece_.resize(size);
            uint64_t at = lba * ide::kSectorSize + offset;
            int ret = 0;
            if (write) {
                if (p.prd.move(piece_, false) < size) {
                    ok = false;
                    break;
                }
                ret = u.drive()->write(at, piece_.data(), size);
            } else {
                ret = u.drive()->read(at, piece_.data(), size);
                if (ret >= 0 && p.prd.move(piece_, true) < size) ok = false;
            }
            if (ret < 0) {
                p.channel.io_error(u, write, ret);
                ok = false;
            }
            offset += size;
        }
        if (p.prd.master_abort()) fatal(p);
        if (p.prd.short_table()) raise(p, kIsOfs);  // the table ends before the data, as QEMU

        if (ok) {
            u.status = ide::kStatusDrdy | ide::kStatusDsc;
            u.error = 0;
            p.finished |= 1u << tag;
        } else {
            u.status = ide::kStatusDrdy | ide::kStatusErr;
            u.error = ide::kErrorAbrt;
        }
        // Set Device Bits: status (BSY and DRQ kept), error, the tags done.
        uint8_t fis[8] = {kFisSdb, 0x40, static_cast<uint8_t>(u.status & 0x77), u.error};
        put_le32(fis + 4, p.finished);
        p.tfd = uint32_t{u.error} << 8 | (u.status & 0x77u) | (p.tfd & 0x88u);
        p.sact &= ~p.finished;
        p.finished = 0;
        write_fis(p, kRfisSdbfis, fis, sizeof fis);
        raise(p, kIsSdbs | (ok ? 0 : kIsTfes));
    }

    // --- reports -------------------------------------------------------------------

    void report_tray_moved(const Port& p, const ide::IdeUnit& u, bool open) {
        if (p.bus->units[0]) ide::emit_tray_moved(*this, u, ide_event_id(*p.bus->units[0]), open);
    }

    static int count_ide_buses(const qom::Object& object) {
        int n = dynamic_cast<const IdeBus*>(&object) ? 1 : 0;
        for (const qom::Object* child : object.children()) n += count_ide_buses(*child);
        return n;
    }
    int machine_ide_buses() const {
        Machine* machine = Machine::of(*this);
        return machine ? count_ide_buses(*machine) : 0;
    }

    std::array<Port, kAhciPorts> ports_;
    Msi msi_;
    uint32_t ghc_ = kGhcAe;
    uint32_t hba_is_ = 0;
    uint32_t idp_index_ = 0;
    bool running_ = false;
    std::vector<uint8_t> piece_;
    memory::MemoryRegion abar_, idp_;
};

MIMIC_REGISTER_TYPE({
    .name = kTypeIch9Ahci,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<Ich9Ahci>(),
    .categories = {qom::DeviceCategory::kStorage},
    .alias = "ahci",
});

}  // namespace
}  // namespace mimic::hw
