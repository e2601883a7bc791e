#include "ide_channel.h"

#include <fmt/format.h>

#include <algorithm>

#include "mimic/block/drive.h"
#include "mimic/system/drives.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw::ide {

block::Drive* IdeUnit::drive() const { return info ? info->drive.get() : nullptr; }

uint64_t IdeUnit::cd_sectors() const {
    block::Drive* d = drive();
    return d ? d->size() / kCdSectorSize : 0;
}

IdeChannel::IdeChannel() {
    for (int i = 0; i < 2; ++i) {
        units_[i].channel = this;
        units_[i].unit = i;
    }
}

void IdeChannel::init(int index, IrqLine irq) {
    index_ = index;
    irq_ = std::move(irq);
}

void IdeChannel::attach(int unit, system::DriveInfo& info) { attach(unit, info, info.cdrom); }

void IdeChannel::attach(int unit, system::DriveInfo& info, bool cdrom) {
    IdeUnit& u = units_[unit];
    u.info = &info;
    u.cdrom = cdrom;
    // QEMU numbers the serials by drive position: QM00001 is ide0 master.
    u.serial = fmt::format("QM{:05}", index_ * 2 + unit + 1);
    if (!u.cdrom) {
        if (!info.drive) throw Error("Device needs media, but drive is empty");
        if (info.drive->read_only()) throw Error("Can't use a read-only drive");
        u.total_sectors = info.drive->size() / kSectorSize;
        guess_geometry(u);
    }
    set_signature(u);
    u.status = u.cdrom ? 0 : kStatusDrdy | kStatusDsc;
}

void IdeChannel::configure(int unit, const IdeDeviceSettings& settings) {
    IdeUnit& u = units_[unit];
    if (!settings.serial.empty()) u.serial = settings.serial;
    u.model = settings.model;
    u.version = settings.version;
    u.wwn = settings.wwn;
    u.rotation_rate = settings.rotation_rate;
    u.physical_block_exponent = settings.physical_block_exponent;
    if (settings.cylinders && !u.cdrom) {
        u.cylinders = settings.cylinders;
        u.heads = u.cur_heads = settings.heads;
        u.sectors = u.cur_sectors = settings.sectors;
    }
    if (settings.write_cache) u.write_cache = u.write_cache_default = *settings.write_cache;
}

void IdeChannel::set_signature(IdeUnit& u) {
    // The values a reset leaves in the task file tell the host what is
    // attached: 00/00 an ATA disk, 14h/EBh an ATAPI device.
    u.select &= 0xf0;
    u.nsector = 1;
    u.sector = 1;
    if (u.cdrom) {
        u.lcyl = 0x14;
        u.hcyl = 0xeb;
    } else if (u.present()) {
        u.lcyl = 0;
        u.hcyl = 0;
    } else {
        u.lcyl = 0xff;
        u.hcyl = 0xff;
    }
}

void IdeChannel::reset() {
    control_ = 0;
    selected_ = 0;
    irq_pending_ = false;
    update_irq();
    for (IdeUnit& u : units_) {
        u.mult_sectors = kMaxMultipleSectors;
        u.write_cache = u.write_cache_default;
        u.transfer_mode = 0;
        u.cur_heads = u.heads;
        u.cur_sectors = u.sectors;
        u.tray_locked = false;
        u.sense = {};
        u.feature = 0;
        u.select = 0xa0;
    }
    soft_reset();
}

void IdeChannel::soft_reset() {
    selected_ = 0;
    for (IdeUnit& u : units_) {
        u.pos = u.end = 0;
        u.on_transfer_end = nullptr;
        u.on_dma_end = nullptr;
        u.dma_data = nullptr;
        u.dma_pending = false;
        u.remaining = 0;
        u.error = 0x01;  // diagnostic: no error
        set_signature(u);
        u.status = u.cdrom ? 0 : kStatusDrdy | kStatusDsc;
    }
}

void IdeChannel::medium_changed(int unit) {
    IdeUnit& u = units_[unit];
    u.sense = {0x06, 0x28, 0x00};  // UNIT ATTENTION, medium may have changed
    u.new_media_event = true;
}

bool IdeChannel::open_tray(int unit, bool force) {
    IdeUnit& u = units_[unit];
    if (u.tray_open) return true;
    if (u.tray_locked && !force) return false;
    u.tray_open = true;
    tray_moved(u, true);
    return true;
}

void IdeChannel::close_tray(int unit) {
    IdeUnit& u = units_[unit];
    if (!u.tray_open) return;
    u.tray_open = false;
    if (u.drive()) medium_changed(unit);
    tray_moved(u, false);
}

void IdeChannel::tray_moved(IdeUnit& u, bool open) {
    if (tray_listener_) tray_listener_(u, open);
}

void IdeChannel::io_error(IdeUnit& u, bool write, int error) {
    if (io_error_listener_) io_error_listener_(u, write, error);
}

// --- interrupts -------------------------------------------------------------

void IdeChannel::raise_irq() {
    irq_pending_ = true;
    if (dma_) dma_->note_interrupt();
    update_irq();
}

void IdeChannel::update_irq() { irq_.set(irq_pending_ && !(control_ & kControlNien)); }

// --- registers ----------------------------------------------------------------

uint32_t IdeChannel::read_register(unsigned reg, unsigned size) {
    IdeUnit& u = current();
    bool hob = control_ & kControlHob;
    // Nothing answers for a position without a drive (QEMU reads 0 there).
    bool absent = (!units_[0].present() && !units_[1].present()) ||
                  (selected_ == 1 && !u.present());
    if (reg == 0) {
        if (!(u.status & kStatusDrq) || u.pio_out || absent) return size == 4 ? 0xffffffff : 0xffff;
        uint32_t value = 0;
        for (unsigned i = 0; i < size && u.pos < u.end; ++i) value |= u.buffer[u.pos++] << (8 * i);
        if (u.pos >= u.end) finish_pio_chunk();
        return value;
    }
    if (absent) return 0;
    switch (reg) {
    case 1: return hob ? u.hob_feature : u.error;
    case 2: return hob ? u.hob_nsector : u.nsector;
    case 3: return hob ? u.hob_sector : u.sector;
    case 4: return hob ? u.hob_lcyl : u.lcyl;
    case 5: return hob ? u.hob_hcyl : u.hcyl;
    case 6: return u.select;
    case 7:
        // Reading status acknowledges the interrupt; alternate status does not.
        irq_pending_ = false;
        update_irq();
        return u.status;
    }
    return 0xff;
}

void IdeChannel::write_register(unsigned reg, uint32_t value, unsigned size) {
    if (reg == 0) {
        IdeUnit& u = current();
        if (!(u.status & kStatusDrq) || !u.pio_out) return;
        for (unsigned i = 0; i < size && u.pos < u.end; ++i) u.buffer[u.pos++] = value >> (8 * i);
        if (u.pos >= u.end) finish_pio_chunk();
        return;
    }
    uint8_t byte = static_cast<uint8_t>(value);
    // Writing any command-block register drops HOB (ATA-6).
    control_ &= ~kControlHob;
    for (IdeUnit& u : units_) {
        switch (reg) {
        case 1: u.hob_feature = u.feature; u.feature = byte; break;
        case 2: u.hob_nsector = u.nsector; u.nsector = byte; break;
        case 3: u.hob_sector = u.sector; u.sector = byte; break;
        case 4: u.hob_lcyl = u.lcyl; u.lcyl = byte; break;
        case 5: u.hob_hcyl = u.hcyl; u.hcyl = byte; break;
        case 6: u.select = byte | 0xa0; break;
        }
    }
    if (reg == 6) {
        selected_ = (byte >> 4) & 1;
        return;
    }
    if (reg != 7) return;

    IdeUnit& u = current();
    // Commands to an absent slave go nowhere; a busy device ignores them.
    if (!u.present() || (u.status & kStatusBsy)) return;
    // DEVICE RESET is the one command an ATAPI device takes while DRQ is set.
    if ((u.status & kStatusDrq) && byte != 0x08) {
        MIMIC_LOG(log::kGuestErrors, "ide: command {:#x} while a transfer is pending\n", byte);
    }
    execute(u, byte);
}

uint8_t IdeChannel::read_alt_status() {
    IdeUnit& u = current();
    if ((!units_[0].present() && !units_[1].present()) || (selected_ == 1 && !u.present())) return 0;
    return u.status;
}

void IdeChannel::write_device_control(uint8_t value) {
    bool was_reset = control_ & kControlSrst;
    bool reset_now = value & kControlSrst;
    if (!was_reset && reset_now) {
        for (IdeUnit& u : units_) {
            u.status = kStatusBsy | kStatusDsc;
            u.error = 0x01;
        }
    } else if (was_reset && !reset_now) {
        soft_reset();
    }
    control_ = value;
    update_irq();
}

// --- data transfer --------------------------------------------------------------

void IdeChannel::start_pio(IdeUnit& u, size_t len, bool out, std::function<void()> done) {
    if (u.buffer.size() < len) u.buffer.resize(len);
    u.pos = 0;
    u.end = len;
    u.pio_out = out;
    u.on_transfer_end = std::move(done);
    u.status = (u.status & ~kStatusBsy) | kStatusDrq | kStatusDrdy | kStatusDsc;
    u.status &= ~kStatusErr;
}

void IdeChannel::finish_pio_chunk() {
    IdeUnit& u = current();
    u.status &= ~kStatusDrq;
    u.pos = u.end = 0;
    auto done = std::move(u.on_transfer_end);
    u.on_transfer_end = nullptr;
    if (done) done();
}

void IdeChannel::begin_dma(IdeUnit& u, DmaDirection dir, uint64_t bytes, DmaData data,
                           std::function<void(DmaResult)> done) {
    u.dma_dir = dir;
    u.dma_bytes = bytes;
    u.dma_data = std::move(data);
    u.on_dma_end = std::move(done);
    u.dma_pending = true;
    // DRQ announces the transfer; BSY would be more exact, but firmware
    // polls DRQ|BSY alike and the transfer itself is instantaneous here.
    u.status = kStatusDrdy | kStatusDsc | kStatusDrq;
    if (dma_ && dma_->running()) start_dma();
}

void IdeChannel::start_dma() {
    IdeUnit& u = current();
    if (!u.dma_pending || !dma_) return;
    bool to_memory = u.dma_dir == DmaDirection::kToMemory;
    if (dma_->to_memory() != to_memory) {
        MIMIC_LOG(log::kGuestErrors, "ide: bus master direction does not match the command\n");
    }
    u.dma_pending = false;
    DmaData data = std::move(u.dma_data);
    u.dma_data = nullptr;
    DmaResult result = DmaResult::kComplete;
    dma_->begin();
    for (uint64_t offset = 0; offset < u.dma_bytes;) {
        size_t size = static_cast<size_t>(std::min<uint64_t>(kDmaPieceBytes, u.dma_bytes - offset));
        dma_piece_.resize(size);
        std::span<uint8_t> piece(dma_piece_.data(), size);
        if (to_memory && !data(offset, piece)) {
            result = DmaResult::kMediumError;
            break;
        }
        size_t moved = dma_->move(piece, to_memory);
        if (!to_memory && !data(offset, piece.first(moved))) {
            result = DmaResult::kMediumError;
            break;
        }
        if (dma_->failed()) {
            result = DmaResult::kMemoryError;
            break;
        }
        if (moved < size) {
            result = DmaResult::kShortTable;
            break;
        }
        offset += size;
    }
    dma_->end(result == DmaResult::kComplete);
    auto done = std::move(u.on_dma_end);
    u.on_dma_end = nullptr;
    if (done) done(result);
}

void IdeChannel::command_ok(IdeUnit& u) {
    u.status = kStatusDrdy | kStatusDsc;
    u.error = 0;
    raise_irq();
}

void IdeChannel::abort_command(IdeUnit& u) {
    u.status = kStatusDrdy | kStatusErr;
    u.error = kErrorAbrt;
    u.pos = u.end = 0;
    u.on_transfer_end = nullptr;
    u.dma_pending = false;
    raise_irq();
}

void IdeChannel::execute(IdeUnit& u, uint8_t command) {
    u.pos = u.end = 0;
    u.on_transfer_end = nullptr;
    u.dma_pending = false;
    if (!execute_ata(*this, u, command)) {
        MIMIC_LOG(log::kUnimp, "ide: unknown command {:#04x}\n", command);
        abort_command(u);
    }
}

}  // namespace mimic::hw::ide
