// The EDID generator (include/mimic/hw/edid.h). Every value below is what
// QEMU 7.2 puts in its blob; guests key their mode lists and default mode
// off these bytes, so they are reproduced exactly, quirks included.
#include "mimic/hw/edid.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <stdexcept>

namespace mimic::hw {
namespace {

constexpr size_t kBlockSize = 128;
constexpr size_t kDescriptorSize = 18;
constexpr uint32_t kDpi = 100;
constexpr uint32_t kDefaultRefreshMilliHz = 75000;
constexpr uint8_t kStdTimingsFirst = 38;  // eight 2-byte slots, 38..53
constexpr uint8_t kStdTimingsEnd = 54;
// A preferred mode this large does not fit the base block's 12-bit fields.
constexpr uint32_t kLargeScreen = 4096;

// One mode a monitor advertises, in exactly one place: the established
// timings bitmap, a standard timing slot (while one is free), else the
// "established timings III" descriptor; a CEA video code additionally
// lists it in the CEA extension.
struct Mode {
    uint16_t xres, yres;
    uint8_t established_byte;  // 35 or 36, with `bit`; 0: none
    uint8_t timings3_byte;     // offset in the timings III descriptor, with `bit`
    uint8_t bit;
    uint8_t vic;  // CEA-861 video identification code; 0: none
};

// The order decides which modes get the eight standard timing slots.
// clang-format off
constexpr std::array<Mode, 22> kModes{{
    {5120, 2160, 0, 0, 0, 125},  // CEA codes at 50 Hz
    {4096, 2160, 0, 0, 0, 101},
    {3840, 2160, 0, 0, 0, 96},
    {2560, 1080, 0, 0, 0, 89},
    {2048, 1152, 0, 0, 0, 0},
    {1920, 1080, 0, 0, 0, 31},
    {3840, 2160, 0, 0, 0, 97},  // at 60 Hz
    {1920, 1200, 0, 10, 0, 0},
    {1600, 1200, 0, 9, 2, 0},
    {1680, 1050, 0, 9, 5, 0},
    {1440, 900, 0, 8, 5, 0},
    {1280, 1024, 0, 7, 1, 0},
    {1280, 960, 0, 7, 3, 0},
    {1280, 768, 0, 7, 6, 0},
    {1920, 1440, 0, 11, 5, 0},
    {1856, 1392, 0, 10, 3, 0},
    {1792, 1344, 0, 10, 5, 0},
    {1440, 1050, 0, 8, 1, 0},
    {1360, 768, 0, 8, 7, 0},
    {1024, 768, 36, 0, 3, 0},
    {800, 600, 35, 0, 0, 0},
    {640, 480, 35, 0, 5, 0},
}};
// clang-format on

// Blanking and sync derived from the resolution by fixed ratios (QEMU's
// made-up but plausible numbers); the pixel clock in units of 10 kHz.
struct Timings {
    uint32_t xfront, xsync, xblank;
    uint32_t yfront, ysync, yblank;
    uint64_t clock;
};

Timings timings_for(uint32_t refresh_millihz, uint32_t xres, uint32_t yres) {
    Timings t{};
    t.xfront = xres * 25 / 100;
    t.xsync = xres * 3 / 100;
    t.xblank = xres * 35 / 100;
    t.yfront = yres * 5 / 1000;
    t.ysync = yres * 5 / 1000;
    t.yblank = yres * 35 / 1000;
    t.clock = uint64_t{refresh_millihz} * (xres + t.xblank) * (yres + t.yblank) / 10000000;
    return t;
}

void put_le16(uint8_t* p, uint32_t value) {
    p[0] = static_cast<uint8_t>(value);
    p[1] = static_cast<uint8_t>(value >> 8);
}

// Makes bytes [0, len] of `p` sum to zero modulo 256, in p[len].
void checksum(uint8_t* p, size_t len) {
    unsigned sum = 0;
    for (size_t i = 0; i < len; ++i) sum += p[i];
    p[len] = static_cast<uint8_t>(0x100 - (sum & 0xff));
}

// A standard timing slot at 60 Hz; false for aspect ratios or widths the
// two bytes cannot express.
bool put_std_timing(uint8_t* slot, uint32_t xres, uint32_t yres) {
    uint8_t aspect;
    if (xres * 10 == yres * 16) {
        aspect = 0;
    } else if (xres * 3 == yres * 4) {
        aspect = 1;
    } else if (xres * 4 == yres * 5) {
        aspect = 2;
    } else if (xres * 9 == yres * 16) {
        aspect = 3;
    } else {
        return false;
    }
    if (xres / 8 < 31 || xres / 8 - 31 > 255) return false;
    slot[0] = static_cast<uint8_t>(xres / 8 - 31);
    slot[1] = static_cast<uint8_t>(aspect << 6);
    return true;
}

void put_descriptor_header(uint8_t* desc, uint8_t tag) {
    desc[0] = desc[1] = desc[2] = desc[4] = 0;
    desc[3] = tag;
}

void put_text_descriptor(uint8_t* desc, uint8_t tag, const std::string& text) {
    put_descriptor_header(desc, tag);
    size_t len = std::min<size_t>(text.size(), 12);
    for (size_t i = 0; i < 13; ++i) desc[5 + i] = i < len ? static_cast<uint8_t>(text[i]) : ' ';
    desc[5 + len] = '\n';
}

void put_range_limits(uint8_t* desc) {
    put_descriptor_header(desc, 0xfd);
    desc[5] = 50;  // vertical Hz, min and max
    desc[6] = 125;
    desc[7] = 30;  // horizontal kHz, min and max
    desc[8] = 160;
    desc[9] = 255;    // pixel clock, 10 MHz units
    desc[10] = 0x01;  // no timing formula
    desc[11] = '\n';
    for (size_t i = 12; i < kDescriptorSize; ++i) desc[i] = ' ';
}

void put_detailed_timing(uint8_t* desc, uint32_t refresh, uint32_t xres, uint32_t yres,
                         uint32_t xmm, uint32_t ymm) {
    Timings t = timings_for(refresh, xres, yres);
    put_le16(desc, static_cast<uint32_t>(t.clock));
    desc[2] = static_cast<uint8_t>(xres);
    desc[3] = static_cast<uint8_t>(t.xblank);
    desc[4] = static_cast<uint8_t>(((xres & 0xf00) >> 4) | ((t.xblank & 0xf00) >> 8));
    desc[5] = static_cast<uint8_t>(yres);
    desc[6] = static_cast<uint8_t>(t.yblank);
    desc[7] = static_cast<uint8_t>(((yres & 0xf00) >> 4) | ((t.yblank & 0xf00) >> 8));
    desc[8] = static_cast<uint8_t>(t.xfront);
    desc[9] = static_cast<uint8_t>(t.xsync);
    desc[10] = static_cast<uint8_t>(((t.yfront & 0xf) << 4) | (t.ysync & 0xf));
    desc[11] = static_cast<uint8_t>(((t.xfront & 0x300) >> 2) | ((t.xsync & 0x300) >> 4) |
                                    ((t.yfront & 0x30) >> 2) | ((t.ysync & 0x30) >> 4));
    desc[12] = static_cast<uint8_t>(xmm);
    desc[13] = static_cast<uint8_t>(ymm);
    desc[14] = static_cast<uint8_t>(((xmm & 0xf00) >> 4) | ((ymm & 0xf00) >> 8));
    desc[15] = desc[16] = 0;
    desc[17] = 0x18;  // digital separate sync, both polarities negative
}

// DisplayID 1.3 extension with one type I detailed timing: the preferred
// mode of screens the base block cannot describe.
void put_displayid(uint8_t* did, uint32_t refresh, uint32_t xres, uint32_t yres) {
    Timings t = timings_for(refresh, xres, yres);
    did[0] = 0x70;  // DisplayID extension tag
    did[1] = 0x13;  // version 1.3
    did[2] = 23;    // section bytes after the 4-byte header
    did[3] = 0x03;  // standalone display
    did[5] = 0x03;  // data block: type I detailed timings
    did[6] = 0x00;
    did[7] = 20;
    did[8] = static_cast<uint8_t>(t.clock);
    did[9] = static_cast<uint8_t>(t.clock >> 8);
    did[10] = static_cast<uint8_t>(t.clock >> 16);
    did[11] = 0x88;  // preferred, aspect ratio undefined
    const uint32_t fields[] = {xres, t.xblank, t.xfront, t.xsync,
                               yres, t.yblank, t.yfront, t.ysync};
    for (size_t i = 0; i < 8; ++i) put_le16(did + 12 + 2 * i, (fields[i] - 1) & 0xffff);
    checksum(did + 1, did[2] + 4);
}

// The sRGB primaries and white point as 10-bit binary fractions, rounded
// from single precision as QEMU does (bytes 25-34).
void put_srgb_chromaticity(uint8_t* edid) {
    const float xy[8] = {0.6400f, 0.3300f, 0.3000f, 0.6000f, 0.1500f, 0.0600f, 0.3127f, 0.3290f};
    uint32_t v[8];
    for (size_t i = 0; i < 8; ++i) v[i] = static_cast<uint32_t>(xy[i] * 1024 + 0.5);
    edid[25] = static_cast<uint8_t>(((v[0] & 3) << 6) | ((v[1] & 3) << 4) | ((v[2] & 3) << 2) |
                                    (v[3] & 3));
    edid[26] = static_cast<uint8_t>(((v[4] & 3) << 6) | ((v[5] & 3) << 4) | ((v[6] & 3) << 2) |
                                    (v[7] & 3));
    for (size_t i = 0; i < 8; ++i) edid[27 + i] = static_cast<uint8_t>(v[i] >> 2);
}

// Places every mode below the limits; `timings3` is the established
// timings III descriptor, `cea` the CEA extension (or nullptr).
void put_modes(uint8_t* edid, uint8_t* timings3, uint8_t* cea, uint32_t maxx, uint32_t maxy) {
    uint8_t std_slot = kStdTimingsFirst;
    for (const Mode& mode : kModes) {
        if ((maxx && mode.xres > maxx) || (maxy && mode.yres > maxy)) continue;
        if (mode.established_byte) {
            edid[mode.established_byte] |= static_cast<uint8_t>(1u << mode.bit);
        } else if (std_slot < kStdTimingsEnd) {
            // A mode no slot can express is left out, even if it has a
            // timings III bit: QEMU does the same.
            if (put_std_timing(edid + std_slot, mode.xres, mode.yres)) std_slot += 2;
        } else if (mode.timings3_byte) {
            timings3[mode.timings3_byte] |= static_cast<uint8_t>(1u << mode.bit);
        }
        if (cea && mode.vic) {
            // One more short video descriptor in the video data block.
            cea[cea[2]] = mode.vic;
            cea[2]++;
            cea[4]++;
        }
    }
    for (; std_slot < kStdTimingsEnd; std_slot += 2)
        edid[std_slot] = edid[std_slot + 1] = 0x01;  // unused
}

}  // namespace

std::vector<uint8_t> generate_edid(const EdidInfo& info, size_t size) {
    if (size < kBlockSize) throw std::invalid_argument("an EDID needs at least 128 bytes");
    const std::string vendor = info.vendor.size() == 3 ? info.vendor : "RHT";
    const std::string name = info.name.empty() ? "QEMU Monitor" : info.name;
    const uint32_t xres = info.prefx ? info.prefx : kEdidDefaultXres;
    const uint32_t yres = info.prefy ? info.prefy : kEdidDefaultYres;
    const uint32_t refresh = info.refresh_rate ? info.refresh_rate : kDefaultRefreshMilliHz;
    const bool large = xres >= kLargeScreen || yres >= kLargeScreen;
    const uint32_t xmm = xres * 254 / 10 / kDpi;
    const uint32_t ymm = yres * 254 / 10 / kDpi;

    std::vector<uint8_t> blob(size, 0);
    uint8_t* edid = blob.data();
    uint8_t* cea = size >= 2 * kBlockSize ? edid + kBlockSize : nullptr;
    uint8_t* did = size >= 3 * kBlockSize && large ? edid + 2 * kBlockSize : nullptr;

    // Base block header: magic, vendor (three 5-bit letters, big-endian),
    // product 0x1234, serial number, made in week 42 of 2014, EDID 1.4.
    for (size_t i = 1; i < 7; ++i) edid[i] = 0xff;
    uint16_t vendor_id =
        static_cast<uint16_t>((((vendor[0] - '@') & 0x1f) << 10) |
                              (((vendor[1] - '@') & 0x1f) << 5) | ((vendor[2] - '@') & 0x1f));
    edid[8] = static_cast<uint8_t>(vendor_id >> 8);
    edid[9] = static_cast<uint8_t>(vendor_id);
    put_le16(edid + 10, 0x1234);
    uint32_t serial_nr =
        info.serial.empty() ? 0 : static_cast<uint32_t>(std::atoi(info.serial.c_str()));
    for (size_t i = 0; i < 4; ++i) edid[12 + i] = static_cast<uint8_t>(serial_nr >> (8 * i));
    edid[16] = 42;
    edid[17] = 2014 - 1990;
    edid[18] = 1;
    edid[19] = 4;
    edid[20] = 0xa5;                            // digital, 8 bits per colour, DisplayPort
    edid[21] = static_cast<uint8_t>(xmm / 10);  // cm
    edid[22] = static_cast<uint8_t>(ymm / 10);
    edid[23] = 220 - 100;  // gamma 2.2
    edid[24] = 0x06;       // sRGB default, preferred timing in the first descriptor
    put_srgb_chromaticity(edid);
    edid[126] = static_cast<uint8_t>((cea ? 1 : 0) + (did ? 1 : 0));

    if (cea) {
        cea[0] = 0x02;  // CEA-861 extension, revision 3
        cea[1] = 0x03;
        cea[2] = 0x05;  // descriptors start after the (growing) video data block
        cea[3] = 0x00;
        cea[4] = 0x40;  // video data block, no codes yet
    }

    // Descriptor slots: the base block's four, then, once the video data
    // block is complete, as many as fit into the CEA extension.
    std::vector<uint8_t*> slots;
    for (size_t offset = 54; offset + kDescriptorSize <= 126; offset += kDescriptorSize)
        slots.push_back(edid + offset);
    size_t next = 0;
    if (!large) put_detailed_timing(slots[next++], refresh, xres, yres, xmm, ymm);
    uint8_t* timings3 = slots[next++];
    put_descriptor_header(timings3, 0xf7);
    timings3[5] = 10;  // revision
    put_modes(edid, timings3, cea, info.maxx, info.maxy);
    if (cea) {
        for (size_t offset = cea[2]; offset + kDescriptorSize < kBlockSize - 1;
             offset += kDescriptorSize)
            slots.push_back(cea + offset);
    }
    put_range_limits(slots[next++]);
    if (next < slots.size()) put_text_descriptor(slots[next++], 0xfc, name);
    if (next < slots.size() && !info.serial.empty())
        put_text_descriptor(slots[next++], 0xff, info.serial);
    while (next < slots.size()) put_descriptor_header(slots[next++], 0x10);  // dummy

    if (did) put_displayid(did, refresh, xres, yres);

    for (uint8_t* block : {edid, cea, did}) {
        if (block) checksum(block, kBlockSize - 1);
    }
    return blob;
}

}  // namespace mimic::hw
