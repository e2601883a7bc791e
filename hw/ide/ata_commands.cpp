// The ATA command set of a disk (and the few ATA commands an ATAPI device
// answers). Reads and writes use the drive synchronously: PIO moves one DRQ
// block at a time, DMA the whole request once the bus master runs.
#include <algorithm>

#include "ide_channel.h"
#include "mimic/block/drive.h"
#include "mimic/util/log.h"

namespace mimic::hw::ide {
namespace {

enum : uint8_t {
    kDeviceReset = 0x08,
    kRecalibrate = 0x10,  // 10h..1Fh
    kReadSectors = 0x20, kReadSectorsNoRetry = 0x21, kReadSectorsExt = 0x24,
    kReadDmaExt = 0x25, kReadNativeMaxExt = 0x27, kReadMultipleExt = 0x29,
    kWriteSectors = 0x30, kWriteSectorsNoRetry = 0x31, kWriteSectorsExt = 0x34,
    kWriteDmaExt = 0x35, kWriteMultipleExt = 0x39,
    kReadVerify = 0x40, kReadVerifyNoRetry = 0x41, kReadVerifyExt = 0x42,
    kSeek = 0x70,
    kExecuteDiagnostic = 0x90, kInitializeParameters = 0x91,
    kStandbyImmediate2 = 0x94, kIdleImmediate2 = 0x95, kStandby2 = 0x96, kIdle2 = 0x97,
    kCheckPowerMode2 = 0x98, kSleep2 = 0x99,
    kPacket = 0xa0, kIdentifyPacket = 0xa1,
    kReadMultiple = 0xc4, kWriteMultiple = 0xc5, kSetMultiple = 0xc6,
    kReadDma = 0xc8, kReadDmaNoRetry = 0xc9, kWriteDma = 0xca, kWriteDmaNoRetry = 0xcb,
    kStandbyImmediate = 0xe0, kIdleImmediate = 0xe1, kStandby = 0xe2, kIdle = 0xe3,
    kCheckPowerMode = 0xe5, kSleep = 0xe6, kFlushCache = 0xe7, kIdentify = 0xec,
    kFlushCacheExt = 0xea, kSetFeatures = 0xef, kReadNativeMax = 0xf8,
};

// The starting sector from the task file: LBA28, LBA48 or CHS.
uint64_t get_sector(const IdeUnit& u, bool lba48) {
    if (lba48) {
        return static_cast<uint64_t>(u.sector) | (static_cast<uint64_t>(u.lcyl) << 8) |
               (static_cast<uint64_t>(u.hcyl) << 16) | (static_cast<uint64_t>(u.hob_sector) << 24) |
               (static_cast<uint64_t>(u.hob_lcyl) << 32) | (static_cast<uint64_t>(u.hob_hcyl) << 40);
    }
    if (u.select & 0x40) {
        return u.sector | (u.lcyl << 8) | (u.hcyl << 16) | ((u.select & 0x0f) << 24);
    }
    uint64_t cylinder = u.lcyl | (u.hcyl << 8);
    uint64_t head = u.select & 0x0f;
    if (u.sector == 0 || !u.cur_heads || !u.cur_sectors) return UINT64_MAX;
    return (cylinder * u.cur_heads + head) * u.cur_sectors + (u.sector - 1);
}

// Writes back where the transfer got to, in the addressing mode it used.
void set_sector(IdeUnit& u, uint64_t lba, bool lba48) {
    if (lba48) {
        u.sector = lba & 0xff;
        u.lcyl = (lba >> 8) & 0xff;
        u.hcyl = (lba >> 16) & 0xff;
        u.hob_sector = (lba >> 24) & 0xff;
        u.hob_lcyl = (lba >> 32) & 0xff;
        u.hob_hcyl = (lba >> 40) & 0xff;
    } else if (u.select & 0x40) {
        u.sector = lba & 0xff;
        u.lcyl = (lba >> 8) & 0xff;
        u.hcyl = (lba >> 16) & 0xff;
        u.select = (u.select & 0xf0) | ((lba >> 24) & 0x0f);
    } else if (u.cur_heads && u.cur_sectors) {
        uint64_t cylinder = lba / (u.cur_heads * u.cur_sectors);
        uint64_t rest = lba % (u.cur_heads * u.cur_sectors);
        u.lcyl = cylinder & 0xff;
        u.hcyl = (cylinder >> 8) & 0xff;
        u.select = (u.select & 0xf0) | ((rest / u.cur_sectors) & 0x0f);
        u.sector = static_cast<uint8_t>(rest % u.cur_sectors + 1);
    }
}

uint32_t sector_count(const IdeUnit& u, bool lba48) {
    if (lba48) {
        uint32_t n = u.nsector | (u.hob_nsector << 8);
        return n ? n : 65536;
    }
    return u.nsector ? u.nsector : 256;
}

// Validates the request range; aborts it (as QEMU does) when it is outside
// the disk.
bool begin_rw(IdeChannel& ch, IdeUnit& u, bool lba48) {
    u.lba48 = lba48;
    u.lba = get_sector(u, lba48);
    u.remaining = sector_count(u, lba48);
    if (u.lba == UINT64_MAX || u.lba > u.total_sectors || u.remaining > u.total_sectors - u.lba) {
        MIMIC_LOG(log::kGuestErrors, "ide: sector range {}+{} outside the disk\n", u.lba, u.remaining);
        ch.abort_command(u);
        return false;
    }
    return true;
}

// False (the error reported) when the image cannot be read.
bool read_sectors(IdeChannel& ch, IdeUnit& u, uint64_t lba, uint32_t count) {
    u.buffer.resize(static_cast<size_t>(count) * kSectorSize);
    int ret = u.drive()->read(lba * kSectorSize, u.buffer.data(), u.buffer.size());
    if (ret < 0) ch.io_error(u, false, ret);
    return ret >= 0;
}

bool write_sectors(IdeChannel& ch, IdeUnit& u, uint64_t lba, size_t bytes) {
    int ret = u.drive()->write(lba * kSectorSize, u.buffer.data(), bytes);
    if (ret < 0) ch.io_error(u, true, ret);
    return ret >= 0;
}

// PIO in: one DRQ block (1 or `multiple` sectors) per interrupt.
void pio_read_block(IdeChannel& ch, IdeUnit& u, unsigned per_block) {
    uint32_t n = std::min<uint32_t>(per_block, u.remaining);
    if (!read_sectors(ch, u, u.lba, n)) {
        ch.abort_command(u);
        return;
    }
    u.lba += n;
    u.remaining -= n;
    set_sector(u, u.lba, u.lba48);
    ch.start_pio(u, static_cast<size_t>(n) * kSectorSize, false, [&ch, &u, per_block] {
        if (u.remaining) {
            pio_read_block(ch, u, per_block);
        } else {
            u.status = kStatusDrdy | kStatusDsc;
        }
    });
    ch.raise_irq();
}

// PIO out: the host fills a block, the device stores it and asks for the
// next one with an interrupt; the last block's interrupt ends the command.
void pio_write_block(IdeChannel& ch, IdeUnit& u, unsigned per_block, bool first) {
    uint32_t n = std::min<uint32_t>(per_block, u.remaining);
    ch.start_pio(u, static_cast<size_t>(n) * kSectorSize, true, [&ch, &u, per_block, n] {
        if (!write_sectors(ch, u, u.lba, static_cast<size_t>(n) * kSectorSize)) {
            ch.abort_command(u);
            return;
        }
        u.lba += n;
        u.remaining -= n;
        set_sector(u, u.lba, u.lba48);
        if (u.remaining) {
            pio_write_block(ch, u, per_block, false);
        } else {
            ch.command_ok(u);
        }
    });
    if (!first) ch.raise_irq();
}

// DMA moves the request in pieces straight between the image and the bus
// master: the guest's sector count (up to 65536) never sizes a host buffer.
void finish_dma(IdeChannel& ch, IdeUnit& u, DmaResult result) {
    if (result == DmaResult::kMediumError || result == DmaResult::kMemoryError) {
        ch.abort_command(u);
        return;
    }
    u.lba += u.remaining;
    u.remaining = 0;
    set_sector(u, u.lba, u.lba48);
    ch.command_ok(u);
}

void dma_read(IdeChannel& ch, IdeUnit& u) {
    uint64_t start = u.lba * kSectorSize;
    ch.begin_dma(
        u, DmaDirection::kToMemory, uint64_t{u.remaining} * kSectorSize,
        [&ch, &u, start](uint64_t offset, std::span<uint8_t> piece) {
            int ret = u.drive()->read(start + offset, piece.data(), piece.size());
            if (ret < 0) ch.io_error(u, false, ret);
            return ret >= 0;
        },
        [&ch, &u](DmaResult result) { finish_dma(ch, u, result); });
}

void dma_write(IdeChannel& ch, IdeUnit& u) {
    uint64_t start = u.lba * kSectorSize;
    ch.begin_dma(
        u, DmaDirection::kFromMemory, uint64_t{u.remaining} * kSectorSize,
        [&ch, &u, start](uint64_t offset, std::span<uint8_t> piece) {
            // Only whole sectors reach the medium; a table that ends inside
            // one leaves it as it was.
            size_t bytes = piece.size() / kSectorSize * kSectorSize;
            if (bytes == 0) return true;
            int ret = u.drive()->write(start + offset, piece.data(), bytes);
            if (ret < 0) ch.io_error(u, true, ret);
            return ret >= 0;
        },
        [&ch, &u](DmaResult result) { finish_dma(ch, u, result); });
}

void set_features(IdeChannel& ch, IdeUnit& u) {
    switch (u.feature) {
    case 0x02: u.write_cache = true; break;
    case 0x82: u.write_cache = false; break;
    case 0x03: {
        // Transfer mode in the sector count: 00/01 PIO default, 08+n PIO
        // mode n, 20+n multiword DMA n, 40+n UDMA n.
        uint8_t mode = u.nsector;
        uint8_t type = mode >> 3, n = mode & 7;
        bool valid = mode <= 1 || (type == 1 && n <= 4) || (type == 4 && n <= 2) || (type == 8 && n <= 5);
        if (!valid) {
            ch.abort_command(u);
            return;
        }
        u.transfer_mode = mode;
        break;
    }
    // Accepted without effect: read look-ahead, reverting to power-on
    // defaults, APM/AAM, 8-bit PIO and the like are irrelevant to a
    // virtual disk.
    case 0xaa: case 0x55: case 0xcc: case 0x66: case 0x05: case 0x85: case 0x42: case 0xc2:
    case 0x31: case 0xb1:
        break;
    default:
        ch.abort_command(u);
        return;
    }
    ch.command_ok(u);
}

}  // namespace

bool execute_ata(IdeChannel& ch, IdeUnit& u, uint8_t command) {
    // ATAPI devices answer only a few ATA commands; IDENTIFY aborts after
    // restoring the signature so the host recognises them.
    if (u.cdrom) {
        switch (command) {
        case kIdentify:
            ch.set_signature(u);
            ch.abort_command(u);
            return true;
        case kIdentifyPacket:
            u.buffer = identify_cdrom(u);
            ch.start_pio(u, 512, false, [&u] { u.status = kStatusDrdy | kStatusDsc; });
            ch.raise_irq();
            return true;
        case kPacket:
            // Features bit 0 selects DMA for the data phase; the byte count
            // limit (cylinder registers) sizes each PIO DRQ block.
            u.byte_limit = static_cast<uint16_t>(u.lcyl | (u.hcyl << 8));
            u.nsector = 1;  // CoD: the host sends a command packet
            ch.start_pio(u, 12, true, [&ch, &u] {
                std::copy_n(u.buffer.begin(), 12, u.packet);
                atapi_packet_received(ch, u);
            });
            return true;
        case kDeviceReset:
            ch.set_signature(u);
            u.status = 0;
            u.error = 0x01;
            return true;
        case kExecuteDiagnostic:
            ch.set_signature(u);
            u.status = 0;
            u.error = 0x01;
            ch.raise_irq();
            return true;
        case kCheckPowerMode: case kCheckPowerMode2:
            u.nsector = 0xff;
            ch.command_ok(u);
            return true;
        case kSetFeatures:
            set_features(ch, u);
            return true;
        case kIdleImmediate: case kIdleImmediate2: case kStandbyImmediate: case kStandbyImmediate2:
        case kSleep: case kSleep2:
            ch.command_ok(u);
            return true;
        default:
            return false;
        }
    }

    switch (command) {
    case kIdentify:
        u.buffer = identify_disk(u);
        ch.start_pio(u, 512, false, [&u] { u.status = kStatusDrdy | kStatusDsc; });
        ch.raise_irq();
        return true;

    case kReadSectors: case kReadSectorsNoRetry: case kReadSectorsExt:
        if (begin_rw(ch, u, command == kReadSectorsExt)) pio_read_block(ch, u, 1);
        return true;
    case kWriteSectors: case kWriteSectorsNoRetry: case kWriteSectorsExt:
        if (begin_rw(ch, u, command == kWriteSectorsExt)) pio_write_block(ch, u, 1, true);
        return true;
    case kReadMultiple: case kReadMultipleExt:
        if (!u.mult_sectors) {
            ch.abort_command(u);
            return true;
        }
        if (begin_rw(ch, u, command == kReadMultipleExt)) pio_read_block(ch, u, u.mult_sectors);
        return true;
    case kWriteMultiple: case kWriteMultipleExt:
        if (!u.mult_sectors) {
            ch.abort_command(u);
            return true;
        }
        if (begin_rw(ch, u, command == kWriteMultipleExt)) pio_write_block(ch, u, u.mult_sectors, true);
        return true;
    case kSetMultiple: {
        // A power of two up to the maximum, or 0 to disable.
        unsigned n = u.nsector;
        if (n > kMaxMultipleSectors || (n & (n - 1))) {
            ch.abort_command(u);
        } else {
            u.mult_sectors = n;
            ch.command_ok(u);
        }
        return true;
    }
    case kReadDma: case kReadDmaNoRetry: case kReadDmaExt:
        if (begin_rw(ch, u, command == kReadDmaExt)) dma_read(ch, u);
        return true;
    case kWriteDma: case kWriteDmaNoRetry: case kWriteDmaExt:
        if (begin_rw(ch, u, command == kWriteDmaExt)) dma_write(ch, u);
        return true;
    case kReadVerify: case kReadVerifyNoRetry: case kReadVerifyExt:
        if (begin_rw(ch, u, command == kReadVerifyExt)) {
            set_sector(u, u.lba + u.remaining - 1, u.lba48);
            ch.command_ok(u);
        }
        return true;
    case kFlushCache: case kFlushCacheExt:
        if (u.drive()->flush() < 0) {
            ch.abort_command(u);
        } else {
            ch.command_ok(u);
        }
        return true;
    case kSetFeatures:
        set_features(ch, u);
        return true;
    case kInitializeParameters:
        // Sets the logical geometry used by CHS addressing.
        u.cur_sectors = u.nsector;
        u.cur_heads = (u.select & 0x0f) + 1;
        ch.command_ok(u);
        return true;
    case kReadNativeMax: case kReadNativeMaxExt: {
        bool ext = command == kReadNativeMaxExt;
        uint64_t max = u.total_sectors ? u.total_sectors - 1 : 0;
        if (!ext) max = std::min<uint64_t>(max, 0x0fffffff);
        u.select |= 0x40;
        set_sector(u, max, ext);
        ch.command_ok(u);
        return true;
    }
    case kCheckPowerMode: case kCheckPowerMode2:
        u.nsector = 0xff;  // active or idle
        ch.command_ok(u);
        return true;
    case kIdleImmediate: case kIdleImmediate2: case kStandbyImmediate: case kStandbyImmediate2:
    case kStandby: case kStandby2: case kIdle: case kIdle2: case kSleep: case kSleep2:
    case kSeek:
        ch.command_ok(u);
        return true;
    case kExecuteDiagnostic:
        ch.set_signature(u);
        u.status = kStatusDrdy | kStatusDsc;
        u.error = 0x01;
        ch.raise_irq();
        return true;
    case kIdentifyPacket: case kPacket: case kDeviceReset:
        ch.abort_command(u);
        return true;
    default:
        if (command >= kRecalibrate && command <= 0x1f) {
            ch.command_ok(u);
            return true;
        }
        return false;
    }
}

}  // namespace mimic::hw::ide
