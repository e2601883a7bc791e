// IDENTIFY DEVICE / IDENTIFY PACKET DEVICE data (ATA/ATAPI-7 word layout).
// Firmware and guests read the capacities, geometry and transfer modes from
// here; the strings only label the drive.
#include <algorithm>
#include <cstring>

#include "ide_channel.h"

namespace mimic::hw::ide {
namespace {

constexpr const char* kDiskModel = "MIMIC HARDDISK";
constexpr const char* kCdromModel = "MIMIC DVD-ROM";
constexpr const char* kFirmwareRevision = "0.1.0";

class IdentifyData {
public:
    IdentifyData() : words_(256, 0) {}

    void set(int word, uint16_t value) { words_[word] = value; }
    // ATA strings are space padded with the two bytes of each word swapped.
    void set_string(int word, int chars, const std::string& text) {
        for (int i = 0; i < chars; ++i) {
            uint8_t c = i < static_cast<int>(text.size()) ? text[i] : ' ';
            int w = word + i / 2;
            if (i % 2 == 0) {
                words_[w] = (words_[w] & 0x00ff) | (c << 8);
            } else {
                words_[w] = (words_[w] & 0xff00) | c;
            }
        }
    }
    void set32(int word, uint32_t value) {
        words_[word] = value & 0xffff;
        words_[word + 1] = value >> 16;
    }
    void set64(int word, uint64_t value) {
        for (int i = 0; i < 4; ++i) words_[word + i] = (value >> (16 * i)) & 0xffff;
    }

    // Word 255: signature A5h and a checksum making all 512 bytes sum to 0.
    std::vector<uint8_t> bytes() {
        std::vector<uint8_t> out(512);
        words_[255] = 0xa5;
        for (int i = 0; i < 256; ++i) {
            out[2 * i] = words_[i] & 0xff;
            out[2 * i + 1] = words_[i] >> 8;
        }
        uint8_t sum = 0;
        for (int i = 0; i < 511; ++i) sum += out[i];
        out[511] = static_cast<uint8_t>(-sum);
        return out;
    }

private:
    std::vector<uint16_t> words_;
};

// Words 62/63/88 carry "supported" modes in the low byte and the mode SET
// FEATURES selected in the high byte.
void set_dma_modes(IdentifyData& id, uint8_t transfer_mode) {
    uint16_t mdma_selected = (transfer_mode >> 3) == 4 ? 1 << (transfer_mode & 7) : 0;
    uint16_t udma_selected = (transfer_mode >> 3) == 8 ? 1 << (transfer_mode & 7) : 0;
    id.set(62, 0x07);
    id.set(63, 0x07 | (mdma_selected << 8));
    id.set(88, 0x3f | (udma_selected << 8));
}

// Words 108-111: the world wide name, most significant word first.
void set_world_wide_name(IdentifyData& id, uint64_t wwn) {
    if (!wwn) return;
    for (int i = 0; i < 4; ++i) id.set(108 + i, static_cast<uint16_t>(wwn >> (48 - 16 * i)));
}

}  // namespace

void guess_geometry(IdeUnit& u) {
    // What QEMU picks for a disk without a partition table to learn from:
    // 16 heads, 63 sectors, cylinders from the size within 2..16383.
    uint64_t cylinders = u.total_sectors / (16 * 63);
    cylinders = std::clamp<uint64_t>(cylinders, 2, 16383);
    u.cylinders = static_cast<uint32_t>(cylinders);
    u.heads = 16;
    u.sectors = 63;
    u.cur_heads = u.heads;
    u.cur_sectors = u.sectors;
}

std::vector<uint8_t> identify_disk(const IdeUnit& u) {
    IdentifyData id;
    id.set(0, 0x0040);  // fixed, non-removable ATA device
    id.set(1, static_cast<uint16_t>(u.cylinders));
    id.set(3, static_cast<uint16_t>(u.heads));
    id.set(4, static_cast<uint16_t>(kSectorSize * u.sectors));  // obsolete
    id.set(5, kSectorSize);
    id.set(6, static_cast<uint16_t>(u.sectors));
    id.set_string(10, 20, u.serial);
    id.set(20, 3);    // buffer type: dual ported with read cache
    id.set(21, 512);  // buffer size in sectors
    id.set(22, 4);    // ECC bytes
    id.set_string(23, 8, u.version.empty() ? kFirmwareRevision : u.version);
    id.set_string(27, 40, u.model.empty() ? kDiskModel : u.model);
    id.set(47, 0x8000 | kMaxMultipleSectors);
    id.set(48, 1);  // 32-bit PIO
    id.set(49, (1 << 11) | (1 << 9) | (1 << 8));  // IORDY, LBA, DMA
    id.set(51, 0x200);
    id.set(52, 0x200);
    id.set(53, 1 | 2 | 4);  // words 54-58, 64-70 and 88 are valid
    // The current (logical) geometry and its capacity.
    uint32_t cur_cyl = u.cylinders;
    if (u.cur_heads && u.cur_sectors)
        cur_cyl = static_cast<uint32_t>(std::min<uint64_t>(u.total_sectors / (u.cur_heads * u.cur_sectors), 65535));
    id.set(54, static_cast<uint16_t>(cur_cyl));
    id.set(55, static_cast<uint16_t>(u.cur_heads));
    id.set(56, static_cast<uint16_t>(u.cur_sectors));
    id.set32(57, cur_cyl * u.cur_heads * u.cur_sectors);
    if (u.mult_sectors) id.set(59, 0x100 | u.mult_sectors);
    id.set32(60, static_cast<uint32_t>(std::min<uint64_t>(u.total_sectors, 0x0fffffff)));
    set_dma_modes(id, u.transfer_mode);
    id.set(64, 0x03);  // PIO modes 3 and 4
    id.set(65, 120);
    id.set(66, 120);
    id.set(67, 120);
    id.set(68, 120);
    if (u.ncq_queues) {
        // Queue depth minus one, and SATA capabilities: NCQ supported.
        id.set(75, static_cast<uint16_t>(u.ncq_queues - 1));
        id.set(76, 1 << 8);
    }
    id.set(80, 0xf0);  // ATA/ATAPI-4 to -7
    id.set(81, 0x16);
    // Supported / enabled feature sets: SMART, write cache, NOP; LBA48,
    // FLUSH CACHE (EXT); words 84/87 valid.
    id.set(82, (1 << 14) | (1 << 5) | 1);
    id.set(83, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10));
    id.set(84, (1 << 14) | (u.wwn ? 1 << 8 : 0));  // bit 8: world wide name
    id.set(85, (1 << 14) | (u.write_cache ? 1 << 5 : 0) | 1);
    id.set(86, (1 << 13) | (1 << 12) | (1 << 10));
    id.set(87, (1 << 14) | (u.wwn ? 1 << 8 : 0));
    id.set(93, 1 | (1 << 14) | 0x2000);  // 80-wire cable detected
    id.set64(100, u.total_sectors);
    // Physical blocks larger than the logical ones: 2^exponent per block.
    if (u.physical_block_exponent) id.set(106, static_cast<uint16_t>(0x6000 | u.physical_block_exponent));
    set_world_wide_name(id, u.wwn);
    if (u.rotation_rate) id.set(217, u.rotation_rate);
    return id.bytes();
}

std::vector<uint8_t> identify_cdrom(const IdeUnit& u) {
    IdentifyData id;
    // ATAPI, CD-ROM class, removable, DRQ within 50 us, 12-byte packets.
    id.set(0, (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5));
    id.set_string(10, 20, u.serial);
    id.set(20, 3);
    id.set(21, 512);
    id.set(22, 4);
    id.set_string(23, 8, u.version.empty() ? kFirmwareRevision : u.version);
    id.set_string(27, 40, u.model.empty() ? kCdromModel : u.model);
    id.set(48, 1);
    id.set(49, (1 << 9) | (1 << 8));  // LBA, DMA
    id.set(53, 7);
    set_dma_modes(id, u.transfer_mode);
    id.set(64, 3);
    id.set(65, 0xb4);
    id.set(66, 0xb4);
    id.set(67, 0x12c);
    id.set(68, 0xb4);
    id.set(71, 30);
    id.set(72, 30);
    id.set(80, 0x1e);  // ATAPI-1 to -4
    if (u.wwn) {
        id.set(84, (1 << 14) | (1 << 8));
        id.set(87, (1 << 14) | (1 << 8));
        set_world_wide_name(id, u.wwn);
    }
    return id.bytes();
}

}  // namespace mimic::hw::ide
