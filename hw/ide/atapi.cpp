// ATAPI CD-ROM: the SCSI (MMC) commands that arrive in 12-byte packets.
//
// Data-in phases go by PIO in DRQ blocks no larger than the host's byte
// count limit (the interrupt reason in the sector count register tells the
// host which phase it is in), or by DMA when the PACKET command asked for it.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ide_channel.h"
#include "mimic/block/drive.h"
#include "mimic/util/log.h"

namespace mimic::hw::ide {
namespace {

// Sense keys and additional sense codes.
constexpr uint8_t kNotReady = 0x02;
constexpr uint8_t kIllegalRequest = 0x05;
constexpr uint8_t kUnitAttention = 0x06;
constexpr uint8_t kAscInvalidOpcode = 0x20;
constexpr uint8_t kAscLbaOutOfRange = 0x21;
constexpr uint8_t kAscInvalidField = 0x24;
constexpr uint8_t kAscSavingNotSupported = 0x39;
constexpr uint8_t kAscMediumNotPresent = 0x3a;
constexpr uint8_t kAscRemovalPrevented = 0x53;

// Interrupt reason (sector count register): CoD bit 0, IO bit 1.
constexpr uint8_t kReasonDataIn = 0x02;
constexpr uint8_t kReasonStatus = 0x03;

// Profiles for GET CONFIGURATION: media above a CD's capacity count as DVD.
constexpr uint16_t kProfileCdrom = 0x0008;
constexpr uint16_t kProfileDvdrom = 0x0010;
constexpr uint64_t kMaxCdSectors = 1359 * 1024 * 1024 / kCdSectorSize;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
}
void put16(uint8_t* p, uint16_t v) {
    p[0] = v >> 8;
    p[1] = v & 0xff;
}
void put32(uint8_t* p, uint32_t v) {
    p[0] = v >> 24;
    p[1] = (v >> 16) & 0xff;
    p[2] = (v >> 8) & 0xff;
    p[3] = v & 0xff;
}
// LBA as minute/second/frame (75 frames a second, 2 s lead-in).
void put_msf(uint8_t* p, uint32_t lba) {
    lba += 150;
    p[0] = 0;
    p[1] = static_cast<uint8_t>(lba / (60 * 75));
    p[2] = static_cast<uint8_t>(lba / 75 % 60);
    p[3] = static_cast<uint8_t>(lba % 75);
}

void command_ok(IdeChannel& ch, IdeUnit& u) {
    u.nsector = kReasonStatus;
    u.status = kStatusDrdy | kStatusDsc;
    u.error = 0;
    ch.raise_irq();
}

void command_error(IdeChannel& ch, IdeUnit& u, uint8_t key, uint8_t asc, uint8_t ascq = 0) {
    u.sense = {key, asc, ascq};
    u.error = static_cast<uint8_t>(key << 4);
    u.nsector = kReasonStatus;
    u.status = kStatusDrdy | kStatusErr;
    u.pos = u.end = 0;
    u.on_transfer_end = nullptr;
    u.dma_pending = false;
    ch.raise_irq();
}

void not_ready(IdeChannel& ch, IdeUnit& u) {
    // ASCQ: 01 tray closed, 02 tray open.
    command_error(ch, u, kNotReady, kAscMediumNotPresent, u.tray_open ? 0x02 : 0x01);
}

// The end of a DMA data phase: an image that fails reads as a medium gone
// (as for PIO), a bus master abort aborts the command.
void finish_dma(IdeChannel& ch, IdeUnit& u, DmaResult result) {
    switch (result) {
    case DmaResult::kMediumError:
        not_ready(ch, u);
        break;
    case DmaResult::kMemoryError:
        u.nsector = kReasonStatus;
        ch.abort_command(u);
        break;
    default:
        command_ok(ch, u);
        break;
    }
}

bool dma_requested(const IdeUnit& u) { return u.feature & 1; }

// The PIO DRQ block size the host allows: the byte count limit, even, with
// 0 meaning the largest even value.
size_t pio_block_limit(const IdeUnit& u) {
    size_t limit = u.byte_limit ? u.byte_limit : 0xfffe;
    if (limit == 0xffff) limit = 0xfffe;
    return limit & ~size_t{1};
}

void send_pio_chunk(IdeChannel& ch, IdeUnit& u);

// Reply data already in u.buffer[0..len): PIO in blocks, or one DMA.
void send_reply(IdeChannel& ch, IdeUnit& u, size_t len) {
    if (len == 0) {
        command_ok(ch, u);
        return;
    }
    if (dma_requested(u)) {
        ch.begin_dma(
            u, DmaDirection::kToMemory, len,
            [&u](uint64_t offset, std::span<uint8_t> piece) {
                std::copy_n(u.buffer.begin() + static_cast<ptrdiff_t>(offset), piece.size(), piece.begin());
                return true;
            },
            [&ch, &u](DmaResult result) { finish_dma(ch, u, result); });
        return;
    }
    u.cd_remaining = 0;
    u.remaining = static_cast<uint32_t>(len);  // bytes still to offer
    u.lba = 0;                                 // offset of the next block
    send_pio_chunk(ch, u);
}

// The next PIO block of a reply. READ data is loaded as it goes: as many whole
// sectors as one block may hold, or one sector handed out in pieces when the
// host's byte count limit is below a sector (a block never exceeds the limit).
void send_pio_chunk(IdeChannel& ch, IdeUnit& u) {
    size_t limit = pio_block_limit(u);
    if (u.remaining == 0) {
        uint32_t sectors = static_cast<uint32_t>(std::max<size_t>(limit / kCdSectorSize, 1));
        sectors = std::min(sectors, u.cd_remaining);
        size_t bytes = static_cast<size_t>(sectors) * kCdSectorSize;
        u.buffer.resize(bytes);
        if (!u.has_medium()) {
            not_ready(ch, u);
            return;
        }
        if (int ret = u.drive()->read(u.cd_lba * kCdSectorSize, u.buffer.data(), bytes); ret < 0) {
            ch.io_error(u, false, ret);
            not_ready(ch, u);
            return;
        }
        u.cd_lba += sectors;
        u.cd_remaining -= sectors;
        u.remaining = static_cast<uint32_t>(bytes);
    } else if (u.lba) {
        // Move the rest after the consumed block to the front of the buffer.
        std::memmove(u.buffer.data(), u.buffer.data() + u.lba, u.remaining);
    }
    u.lba = 0;
    size_t len = std::min<size_t>(limit, u.remaining);
    u.remaining -= static_cast<uint32_t>(len);
    ch.start_pio(u, len, false, [&ch, &u, len] {
        if (u.remaining || u.cd_remaining) {
            u.lba = len;  // the consumed block is at the front
            send_pio_chunk(ch, u);
        } else {
            command_ok(ch, u);
        }
    });
    u.lcyl = len & 0xff;
    u.hcyl = (len >> 8) & 0xff;
    u.nsector = kReasonDataIn;
    ch.raise_irq();
}

// --- individual commands ------------------------------------------------------

void read_sectors(IdeChannel& ch, IdeUnit& u, uint32_t lba, uint32_t count) {
    if (!u.has_medium()) {
        not_ready(ch, u);
        return;
    }
    uint64_t total = u.cd_sectors();
    if (lba > total || count > total - lba) {
        command_error(ch, u, kIllegalRequest, kAscLbaOutOfRange);
        return;
    }
    if (count == 0) {
        command_ok(ch, u);
        return;
    }
    if (dma_requested(u)) {
        // Streamed from the image in pieces: READ(12) may ask for the whole
        // medium, which must not become one host buffer.
        uint64_t start = uint64_t{lba} * kCdSectorSize;
        ch.begin_dma(
            u, DmaDirection::kToMemory, uint64_t{count} * kCdSectorSize,
            [&ch, &u, start](uint64_t offset, std::span<uint8_t> piece) {
                int ret = u.has_medium() ? u.drive()->read(start + offset, piece.data(), piece.size()) : -ENOMEDIUM;
                if (ret < 0) ch.io_error(u, false, ret);
                return ret >= 0;
            },
            [&ch, &u](DmaResult result) { finish_dma(ch, u, result); });
        return;
    }
    u.cd_lba = lba;
    u.cd_remaining = count;
    u.remaining = 0;
    send_pio_chunk(ch, u);
}

size_t inquiry(IdeUnit& u) {
    uint8_t* b = u.buffer.data();
    b[0] = 0x05;  // CD/DVD device
    b[1] = 0x80;  // removable
    b[2] = 0x00;
    b[3] = 0x21;  // ATAPI, response format 1
    b[4] = 31;    // additional length
    std::memcpy(b + 8, "MIMIC   ", 8);
    std::memcpy(b + 16, "MIMIC DVD-ROM   ", 16);
    std::memcpy(b + 32, "0.1 ", 4);
    return 36;
}

size_t request_sense(IdeUnit& u) {
    uint8_t* b = u.buffer.data();
    b[0] = 0x70;  // current error, fixed format
    b[2] = u.sense.key;
    b[7] = 10;
    b[12] = u.sense.asc;
    b[13] = u.sense.ascq;
    // Reporting a unit attention clears it.
    if (u.sense.key == kUnitAttention) u.sense = {};
    return 18;
}

size_t read_toc(IdeChannel& ch, IdeUnit& u, bool& error) {
    const uint8_t* p = u.packet;
    bool msf = p[1] & 2;
    uint8_t format = p[9] >> 6;
    if (!format) format = p[2] & 0x0f;
    uint8_t start_track = p[6];
    uint32_t leadout = static_cast<uint32_t>(u.cd_sectors());
    uint8_t* b = u.buffer.data();
    auto put_addr = [msf](uint8_t* q, uint32_t lba) {
        if (msf) {
            put_msf(q, lba);
        } else {
            put32(q, lba);
        }
    };
    switch (format) {
    case 0: {
        if (start_track > 1 && start_track != 0xaa) {
            command_error(ch, u, kIllegalRequest, kAscInvalidField);
            error = true;
            return 0;
        }
        b[2] = 1;  // first and last track
        b[3] = 1;
        uint8_t* q = b + 4;
        if (start_track <= 1) {
            q[1] = 0x14;  // data track, ADR 1
            q[2] = 1;
            put_addr(q + 4, 0);
            q += 8;
        }
        q[1] = 0x16;
        q[2] = 0xaa;  // lead-out
        put_addr(q + 4, leadout);
        q += 8;
        size_t len = static_cast<size_t>(q - b);
        put16(b, static_cast<uint16_t>(len - 2));
        return len;
    }
    case 1:
        // Multi-session information: one session starting at track 1.
        put16(b, 10);
        b[2] = 1;
        b[3] = 1;
        b[5] = 0x14;
        b[6] = 1;
        put_addr(b + 8, 0);
        return 12;
    default:
        command_error(ch, u, kIllegalRequest, kAscInvalidField);
        error = true;
        return 0;
    }
}

size_t get_configuration(IdeUnit& u) {
    uint8_t* b = u.buffer.data();
    uint16_t current = 0;
    if (u.has_medium()) current = u.cd_sectors() > kMaxCdSectors ? kProfileDvdrom : kProfileCdrom;
    put16(b + 6, current);
    uint8_t* q = b + 8;
    // Profile list: DVD-ROM and CD-ROM, the current one flagged.
    put16(q, 0x0000);
    q[2] = 0x03;  // persistent, current
    q[3] = 8;
    put16(q + 4, kProfileDvdrom);
    q[6] = current == kProfileDvdrom;
    put16(q + 8, kProfileCdrom);
    q[10] = current == kProfileCdrom;
    q += 12;
    // Core: ATAPI physical interface.
    put16(q, 0x0001);
    q[2] = 0x0b;  // version 2, persistent, current
    q[3] = 8;
    put32(q + 4, 2);
    q[8] = 1;  // DBE
    q += 12;
    // Removable medium: tray loading, eject, lock.
    put16(q, 0x0003);
    q[2] = 0x03;
    q[3] = 4;
    q[4] = 0x29;  // tray, eject, lock
    q += 8;
    size_t len = static_cast<size_t>(q - b);
    put32(b, static_cast<uint32_t>(len - 4));
    return len;
}

size_t event_status(IdeChannel& ch, IdeUnit& u, bool& error) {
    if (!(u.packet[1] & 1)) {
        // Only polled operation is supported, as on QEMU.
        command_error(ch, u, kIllegalRequest, kAscInvalidField);
        error = true;
        return 0;
    }
    uint8_t* b = u.buffer.data();
    uint8_t classes = u.packet[4];
    b[3] = 0x10;  // supported: media
    if (!(classes & 0x10)) {
        b[2] = 0x80;  // no event available
        put16(b, 2);
        return 4;
    }
    b[2] = 0x04;  // media class
    put16(b, 6);
    uint8_t event = 0;
    if (u.new_media_event) {
        event = 2;  // new media
        u.new_media_event = false;
    }
    b[4] = event;
    b[5] = (u.has_medium() ? 0x02 : 0) | (u.tray_open ? 0x01 : 0);
    return 8;
}

size_t mode_sense(IdeChannel& ch, IdeUnit& u, bool& error) {
    uint8_t page = u.packet[2] & 0x3f;
    uint8_t control = u.packet[2] >> 6;
    if (control == 3) {
        command_error(ch, u, kIllegalRequest, kAscSavingNotSupported);
        error = true;
        return 0;
    }
    uint8_t* b = u.buffer.data();
    b[2] = 0x70;  // medium type: as QEMU reports for a CD drive
    uint8_t* q = b + 8;
    if (page == 0x01 || page == 0x3f) {
        // Read/write error recovery.
        q[0] = 0x01;
        q[1] = 0x06;
        q[3] = 0x05;  // read retry count
        q += 8;
    }
    if (page == 0x2a || page == 0x3f) {
        // CD capabilities and mechanical status.
        q[0] = 0x2a;
        q[1] = 0x12;
        q[2] = 0x3b;  // reads CD-R/RW, DVD-ROM/R/RAM
        q[4] = 0x71;  // audio play, multi-session, mode 2 forms
        q[5] = 0xff;  // CD-DA, accurate, R-W...
        q[6] = 0x29 | (u.tray_locked ? 0x02 : 0);  // lock, eject, tray loader
        q[7] = 0x03;  // separate channel volume and mute
        put16(q + 8, 706);   // max speed (kB/s)
        put16(q + 10, 255);  // volume levels
        put16(q + 12, 2048); // buffer size
        put16(q + 14, 706);  // current speed
        q += 20;
    }
    if (q == b + 8) {
        command_error(ch, u, kIllegalRequest, kAscInvalidField);
        error = true;
        return 0;
    }
    size_t len = static_cast<size_t>(q - b);
    put16(b, static_cast<uint16_t>(len - 2));
    return len;
}

bool start_stop(IdeChannel& ch, IdeUnit& u) {
    bool start = u.packet[4] & 1;
    bool load_eject = u.packet[4] & 2;
    if (!load_eject) return true;
    if (!start) {
        if (u.tray_locked) {
            command_error(ch, u, kNotReady, kAscRemovalPrevented, 0x02);
            return false;
        }
        if (!u.tray_open) {
            u.tray_open = true;
            ch.tray_moved(u, true);
        }
    } else if (u.tray_open) {
        u.tray_open = false;
        if (u.drive()) ch.medium_changed(u.unit);
        ch.tray_moved(u, false);
    }
    return true;
}

// Commands a pending UNIT ATTENTION lets through.
bool allowed_with_attention(uint8_t op) {
    return op == 0x12 || op == 0x03 || op == 0x46 || op == 0x4a;
}

// Commands that fail with NOT READY when there is no medium.
bool needs_medium(uint8_t op) {
    switch (op) {
    case 0x00: case 0x25: case 0x28: case 0xa8: case 0x43: case 0x51: case 0x2b: case 0xbe:
        return true;
    default:
        return false;
    }
}

}  // namespace

void atapi_packet_received(IdeChannel& ch, IdeUnit& u) {
    const uint8_t* p = u.packet;
    uint8_t op = p[0];
    if (u.sense.key == kUnitAttention && !allowed_with_attention(op)) {
        command_error(ch, u, kUnitAttention, u.sense.asc, u.sense.ascq);
        return;
    }
    if (needs_medium(op) && !u.has_medium()) {
        not_ready(ch, u);
        return;
    }
    // Replies are built in a zeroed buffer, then cut to the allocation length.
    u.buffer.assign(4096, 0);
    size_t len = 0;
    size_t alloc = 0;
    bool error = false;
    switch (op) {
    case 0x00:  // TEST UNIT READY
    case 0x2b:  // SEEK(10)
    case 0xbb:  // SET CD SPEED
        command_ok(ch, u);
        return;
    case 0x03:  // REQUEST SENSE
        alloc = p[4];
        len = request_sense(u);
        break;
    case 0x12:  // INQUIRY
        alloc = p[4];
        len = inquiry(u);
        break;
    case 0x1b:  // START STOP UNIT
        if (start_stop(ch, u)) command_ok(ch, u);
        return;
    case 0x1e:  // PREVENT ALLOW MEDIUM REMOVAL
        u.tray_locked = p[4] & 1;
        command_ok(ch, u);
        return;
    case 0x25: {  // READ CAPACITY
        uint64_t total = u.cd_sectors();
        put32(u.buffer.data(), static_cast<uint32_t>(total ? total - 1 : 0));
        put32(u.buffer.data() + 4, kCdSectorSize);
        len = alloc = 8;
        break;
    }
    case 0x28:  // READ(10)
        read_sectors(ch, u, be32(p + 2), be16(p + 7));
        return;
    case 0xa8:  // READ(12)
        read_sectors(ch, u, be32(p + 2), be32(p + 6));
        return;
    case 0x43:  // READ TOC
        alloc = be16(p + 7);
        len = read_toc(ch, u, error);
        break;
    case 0x46:  // GET CONFIGURATION
        alloc = be16(p + 7);
        len = get_configuration(u);
        break;
    case 0x4a:  // GET EVENT STATUS NOTIFICATION
        alloc = be16(p + 7);
        len = event_status(ch, u, error);
        break;
    case 0x51:  // READ DISC INFORMATION
        if (p[1] & 7) {
            command_error(ch, u, kIllegalRequest, kAscInvalidField);
            return;
        }
        alloc = be16(p + 7);
        put16(u.buffer.data(), 32);
        u.buffer[2] = 0x0e;  // complete disc, last session complete
        u.buffer[3] = 1;     // first track
        u.buffer[4] = 1;     // sessions
        u.buffer[5] = 1;     // first and last track of the last session
        u.buffer[6] = 1;
        u.buffer[7] = 0x20;  // unrestricted use
        len = 34;
        break;
    case 0x5a:  // MODE SENSE(10)
        alloc = be16(p + 7);
        len = mode_sense(ch, u, error);
        break;
    case 0xbd:  // MECHANISM STATUS
        alloc = be16(p + 8);
        u.buffer[1] = u.tray_open ? 0x10 : 0;
        u.buffer[5] = 1;  // one slot
        len = 8;
        break;
    default:
        MIMIC_LOG(log::kUnimp, "atapi: unknown command {:#04x}\n", op);
        command_error(ch, u, kIllegalRequest, kAscInvalidOpcode);
        return;
    }
    if (error) return;
    send_reply(ch, u, std::min(len, alloc));
}

}  // namespace mimic::hw::ide
