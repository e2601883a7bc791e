// VGA registers, the 0xA0000 window (read/write modes, plane masks, latches)
// and the Bochs VBE extensions. Rendering is in vga_render.cpp.
#include <algorithm>
#include <cstring>

#include "mimic/hw/vga.h"
#include "mimic/memory/page_bitmap.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

// Register indexes used below.
constexpr int kSeqMapMask = 2;
constexpr int kSeqMemoryMode = 4;
constexpr uint8_t kSeqChain4 = 0x08;
constexpr uint8_t kSeqOddEvenOff = 0x04;
constexpr int kGcSetReset = 0, kGcEnableSetReset = 1, kGcColorCompare = 2, kGcRotate = 3;
constexpr int kGcReadMap = 4, kGcMode = 5, kGcMisc = 6, kGcColorDontCare = 7, kGcBitMask = 8;
constexpr int kCrtcProtect = 0x11;

// Bochs VBE ("DISPI") registers.
enum : uint16_t {
    kVbeId, kVbeXres, kVbeYres, kVbeBpp, kVbeEnable, kVbeBank, kVbeVirtWidth, kVbeVirtHeight,
    kVbeXOffset, kVbeYOffset, kVbeVideoMemory64k, kVbeCount,
};
constexpr uint16_t kVbeEnabled = 0x01;
constexpr uint16_t kVbeGetCaps = 0x02;
constexpr uint16_t kVbeLfbEnabled = 0x40;
constexpr uint16_t kVbeNoClear = 0x80;
constexpr uint16_t kVbeId0 = 0xb0c0, kVbeId5 = 0xb0c5;
constexpr uint16_t kVbeMaxXres = 16000, kVbeMaxYres = 12000, kVbeMaxBpp = 32;

// A byte repeated into each plane's lane of a 32-bit planar word.
uint32_t replicate(uint8_t value) { return value * 0x01010101u; }
// Bit p of `mask` (p = plane) expanded to 0xff in lane p.
uint32_t expand_planes(uint8_t mask) {
    uint32_t out = 0;
    for (int p = 0; p < 4; ++p)
        if (mask & (1 << p)) out |= 0xffu << (8 * p);
    return out;
}
uint8_t rotate_right(uint8_t value, int count) {
    count &= 7;
    return static_cast<uint8_t>((value >> count) | (value << ((8 - count) & 7)));
}

}  // namespace

VgaCore::VgaCore(uint8_t* vram, uint32_t vram_size) : vram_(vram), vram_size_(vram_size) { reset(); }

void VgaCore::reset() {
    misc_ = 0;
    seq_index_ = gc_index_ = crtc_index_ = attr_index_ = 0;
    std::memset(seq_, 0, sizeof seq_);
    std::memset(gc_, 0, sizeof gc_);
    std::memset(crtc_, 0, sizeof crtc_);
    std::memset(attr_, 0, sizeof attr_);
    std::memset(dac_, 0, sizeof dac_);
    attr_flip_data_ = false;
    feature_ = status1_ = 0;
    dac_read_index_ = dac_write_index_ = dac_sub_ = dac_state_ = 0;
    pel_mask_ = 0xff;
    latch_ = 0;
    vbe_index_ = 0;
    std::memset(vbe_, 0, sizeof vbe_);
    vbe_[kVbeId] = kVbeId5;
    vbe_[kVbeBpp] = 8;
    vbe_[kVbeVideoMemory64k] = static_cast<uint16_t>(vram_size_ >> 16);
    vbe_line_offset_ = vbe_start_ = 0;
}

// --- I/O ports ----------------------------------------------------------------

uint8_t VgaCore::ioport_read(uint16_t port) {
    // CRTC and status ports answer only at the address misc bit 0 selects
    // (0x3Dx colour, 0x3Bx monochrome).
    if ((port >= 0x3b0 && port <= 0x3bf && crtc_port_base() != 0xb0) ||
        (port >= 0x3d0 && port <= 0x3df && crtc_port_base() != 0xd0))
        return 0xff;
    switch (port) {
    case 0x3c0:
        // The index, with the palette-address-source bit.
        return attr_flip_data_ ? 0 : attr_index_;
    case 0x3c1: return attr_[attr_index_ & 0x1f];
    case 0x3c2: return 0;  // input status 0: no switch sense
    case 0x3c4: return seq_index_;
    case 0x3c5: return seq_[seq_index_ & 7];
    case 0x3c6: return pel_mask_;
    case 0x3c7: return dac_state_;
    case 0x3c8: return dac_write_index_;
    case 0x3c9: {
        uint8_t value = dac_[dac_read_index_ * 3 + dac_sub_];
        if (++dac_sub_ == 3) {
            dac_sub_ = 0;
            ++dac_read_index_;
        }
        return value;
    }
    case 0x3ca: return feature_;
    case 0x3cc: return misc_;
    case 0x3ce: return gc_index_;
    case 0x3cf: return gc_[gc_index_ & 0x0f];
    case 0x3b4: case 0x3d4: return crtc_index_;
    case 0x3b5: case 0x3d5: return crtc_[crtc_index_ & 0x1f];
    case 0x3ba: case 0x3da:
        // Software waits for retrace by polling: flip display-enable and
        // vertical retrace on every read so such loops end. Reading also
        // resets the attribute flip-flop to "index".
        attr_flip_data_ = false;
        status1_ ^= 0x09;
        return status1_;
    default:
        return 0xff;
    }
}

void VgaCore::ioport_write(uint16_t port, uint8_t value) {
    if ((port >= 0x3b0 && port <= 0x3bf && crtc_port_base() != 0xb0) ||
        (port >= 0x3d0 && port <= 0x3df && crtc_port_base() != 0xd0))
        return;
    switch (port) {
    case 0x3c0:
        if (!attr_flip_data_) {
            attr_index_ = value & 0x3f;
        } else {
            unsigned index = attr_index_ & 0x1f;
            if (index < 0x15) attr_[index] = index < 0x10 ? (value & 0x3f) : value;
        }
        attr_flip_data_ = !attr_flip_data_;
        break;
    case 0x3c2: misc_ = value; break;
    case 0x3c4: seq_index_ = value & 7; break;
    case 0x3c5: seq_[seq_index_ & 7] = value; break;
    case 0x3c6: pel_mask_ = value; break;
    case 0x3c7:
        dac_read_index_ = value;
        dac_sub_ = 0;
        dac_state_ = 3;
        break;
    case 0x3c8:
        dac_write_index_ = value;
        dac_sub_ = 0;
        dac_state_ = 0;
        break;
    case 0x3c9:
        // An entry changes only when all three components are in.
        dac_pending_[dac_sub_] = value & 0x3f;
        if (++dac_sub_ == 3) {
            std::memcpy(&dac_[dac_write_index_ * 3], dac_pending_, 3);
            dac_sub_ = 0;
            ++dac_write_index_;
        }
        break;
    case 0x3ce: gc_index_ = value & 0x0f; break;
    case 0x3cf: gc_[gc_index_ & 0x0f] = value; break;
    case 0x3b4: case 0x3d4: crtc_index_ = value & 0x1f; break;
    case 0x3b5: case 0x3d5: {
        unsigned index = crtc_index_ & 0x1f;
        // Protect (CR11 bit 7) locks CR0-CR7 except CR7's line-compare bit.
        if ((crtc_[kCrtcProtect] & 0x80) && index <= 7) {
            if (index == 7) crtc_[7] = (crtc_[7] & ~0x10) | (value & 0x10);
            break;
        }
        crtc_[index] = value;
        break;
    }
    case 0x3ba: case 0x3da: feature_ = value & 0x10; break;
    default:
        break;
    }
}

// --- memory window --------------------------------------------------------------

bool VgaCore::window_offset(uint32_t& offset) const {
    switch ((gc_[kGcMisc] >> 2) & 3) {
    case 0: return true;                                   // A0000, 128 KiB
    case 1: return offset < 0x10000;                       // A0000, 64 KiB
    case 2:                                                // B0000, 32 KiB
        if (offset < 0x10000 || offset >= 0x18000) return false;
        offset -= 0x10000;
        return true;
    default:                                               // B8000, 32 KiB
        if (offset < 0x18000) return false;
        offset -= 0x18000;
        return true;
    }
}

uint8_t VgaCore::mem_read(uint32_t offset) {
    if (!window_offset(offset)) return 0xff;
    if (seq_[kSeqMemoryMode] & kSeqChain4) {
        // VBE banks page 64 KiB windows over the whole memory.
        if (vbe_enabled()) offset += static_cast<uint32_t>(vbe_[kVbeBank]) << 16;
        return offset < vram_size_ ? vram_[offset] : 0xff;
    }
    if (gc_[kGcMode] & 0x10) {
        // Odd/even (text): even addresses plane 0/2, odd ones plane 1/3.
        unsigned plane = (gc_[kGcReadMap] & 2) | (offset & 1);
        uint32_t index = ((offset & ~1u) << 1) | plane;
        return index < vram_size_ ? vram_[index] : 0xff;
    }
    // Planar: every read loads the four latches.
    if (offset * 4 + 3 >= vram_size_) return 0xff;
    std::memcpy(&latch_, vram_ + offset * 4, 4);
    if (!(gc_[kGcMode] & 0x08)) return static_cast<uint8_t>(latch_ >> (8 * (gc_[kGcReadMap] & 3)));
    // Read mode 1: colour compare across the planes that are not "don't care".
    uint32_t diff = (latch_ ^ expand_planes(gc_[kGcColorCompare])) & expand_planes(gc_[kGcColorDontCare]);
    diff |= diff >> 16;
    diff |= diff >> 8;
    return static_cast<uint8_t>(~diff);
}

void VgaCore::mark_dirty(uint32_t vram_offset) {
    if (dirty_) dirty_->set(vram_offset >> memory::kPageBits);
}

void VgaCore::mem_write(uint32_t offset, uint8_t value) {
    if (!window_offset(offset)) return;
    uint8_t map_mask = seq_[kSeqMapMask] & 0x0f;
    if (seq_[kSeqMemoryMode] & kSeqChain4) {
        if (vbe_enabled()) offset += static_cast<uint32_t>(vbe_[kVbeBank]) << 16;
        if (offset < vram_size_ && (map_mask & (1 << (offset & 3)))) {
            vram_[offset] = value;
            mark_dirty(offset);
        }
        return;
    }
    if (!(seq_[kSeqMemoryMode] & kSeqOddEvenOff)) {
        unsigned plane = (gc_[kGcReadMap] & 2) | (offset & 1);
        uint32_t index = ((offset & ~1u) << 1) | plane;
        if (index < vram_size_ && (map_mask & (1 << plane))) {
            vram_[index] = value;
            mark_dirty(index);
        }
        return;
    }
    if (offset * 4 + 3 >= vram_size_) return;

    uint32_t data;
    uint8_t bit_mask = gc_[kGcBitMask];
    switch (gc_[kGcMode] & 3) {
    case 0: {
        data = replicate(rotate_right(value, gc_[kGcRotate]));
        uint32_t set_reset_mask = expand_planes(gc_[kGcEnableSetReset]);
        data = (data & ~set_reset_mask) | (expand_planes(gc_[kGcSetReset]) & set_reset_mask);
        break;
    }
    case 1:
        // The latches go back unchanged (screen-to-screen copies).
        data = latch_;
        bit_mask = 0xff;
        goto store;
    case 2:
        data = expand_planes(value & 0x0f);
        break;
    default:
        bit_mask &= rotate_right(value, gc_[kGcRotate]);
        data = expand_planes(gc_[kGcSetReset]);
        break;
    }
    switch ((gc_[kGcRotate] >> 3) & 3) {
    case 1: data &= latch_; break;
    case 2: data |= latch_; break;
    case 3: data ^= latch_; break;
    default: break;
    }
    {
        uint32_t bits = replicate(bit_mask);
        data = (data & bits) | (latch_ & ~bits);
    }
store:
    uint32_t plane_mask = expand_planes(map_mask);
    uint32_t old;
    std::memcpy(&old, vram_ + offset * 4, 4);
    uint32_t merged = (old & ~plane_mask) | (data & plane_mask);
    std::memcpy(vram_ + offset * 4, &merged, 4);
    mark_dirty(offset * 4);
}

// --- Bochs VBE --------------------------------------------------------------------

bool VgaCore::vbe_enabled() const { return vbe_[kVbeEnable] & kVbeEnabled; }

uint16_t VgaCore::vbe_read() {
    if (vbe_index_ >= kVbeCount) return 0;
    if (vbe_[kVbeEnable] & kVbeGetCaps) {
        // With GETCAPS set, the mode registers read back the maxima.
        switch (vbe_index_) {
        case kVbeXres: return kVbeMaxXres;
        case kVbeYres: return kVbeMaxYres;
        case kVbeBpp: return kVbeMaxBpp;
        default: break;
        }
    }
    return vbe_[vbe_index_];
}

void VgaCore::vbe_write(uint16_t value) {
    switch (vbe_index_) {
    case kVbeId:
        if (value >= kVbeId0 && value <= kVbeId5) vbe_[kVbeId] = value;
        break;
    case kVbeXres:
    case kVbeYres:
    case kVbeBpp:
        // Mode changes only while VBE is off, as on Bochs.
        if (vbe_enabled()) break;
        if (vbe_index_ == kVbeXres && (value > kVbeMaxXres || (value & 7))) break;
        if (vbe_index_ == kVbeYres && value > kVbeMaxYres) break;
        if (vbe_index_ == kVbeBpp) {
            if (value == 0) value = 8;
            if (value != 4 && value != 8 && value != 15 && value != 16 && value != 24 && value != 32) break;
        }
        vbe_[vbe_index_] = value;
        break;
    case kVbeBank: {
        uint32_t banks = vram_size_ >> 16;
        vbe_[kVbeBank] = static_cast<uint16_t>(value < banks ? value : banks - 1);
        break;
    }
    case kVbeEnable: {
        bool was_enabled = vbe_enabled();
        vbe_[kVbeEnable] = value & (kVbeEnabled | kVbeGetCaps | kVbeLfbEnabled | kVbeNoClear);
        if ((value & kVbeEnabled) && !was_enabled) vbe_apply_mode();
        if (!(value & kVbeEnabled)) vbe_line_offset_ = 0;
        break;
    }
    case kVbeVirtWidth: {
        if (!value) break;
        uint32_t bpp = vbe_[kVbeBpp] == 15 ? 16 : vbe_[kVbeBpp];
        uint32_t line = vbe_[kVbeBpp] == 4 ? value / 2 : value * ((bpp + 7) / 8);
        if (!line || line * static_cast<uint64_t>(vbe_[kVbeYres]) > vram_size_) break;
        vbe_[kVbeVirtWidth] = value;
        vbe_[kVbeVirtHeight] = static_cast<uint16_t>(std::min<uint32_t>(vram_size_ / line, 0xffff));
        vbe_line_offset_ = line;
        vbe_update_start();
        break;
    }
    case kVbeXOffset:
    case kVbeYOffset:
        vbe_[vbe_index_] = value;
        vbe_update_start();
        break;
    default:
        break;
    }
}

void VgaCore::vbe_apply_mode() {
    uint32_t bpp = vbe_[kVbeBpp] == 15 ? 16 : vbe_[kVbeBpp];
    uint32_t xres = vbe_[kVbeXres], yres = vbe_[kVbeYres];
    uint32_t line = vbe_[kVbeBpp] == 4 ? xres / 2 : xres * ((bpp + 7) / 8);
    if (!line || static_cast<uint64_t>(line) * yres > vram_size_) {
        // A mode that does not fit leaves VBE off.
        MIMIC_LOG(log::kGuestErrors, "vga: VBE mode {}x{}x{} does not fit in video memory\n", xres, yres, bpp);
        vbe_[kVbeEnable] &= ~kVbeEnabled;
        return;
    }
    vbe_line_offset_ = line;
    vbe_[kVbeVirtWidth] = static_cast<uint16_t>(xres);
    vbe_[kVbeVirtHeight] = static_cast<uint16_t>(std::min<uint32_t>(vram_size_ / line, 0xffff));
    vbe_[kVbeXOffset] = vbe_[kVbeYOffset] = 0;
    vbe_start_ = 0;
    if (!(vbe_[kVbeEnable] & kVbeNoClear)) std::memset(vram_, 0, std::min<uint64_t>(vram_size_, uint64_t{line} * yres));
    // The VGA side follows into a graphics mode with chain-4 so banked
    // access through 0xA0000 reaches the framebuffer linearly.
    gc_[kGcMisc] = (gc_[kGcMisc] & ~0x0c) | 0x05;  // graphics, A0000 64 KiB
    seq_[kSeqMemoryMode] |= kSeqChain4;
    seq_[kSeqMapMask] |= 0x0f;  // all planes writable, as after a VGA BIOS mode set
    seq_[1] &= ~0x20;  // screen on
}

void VgaCore::vbe_update_start() {
    uint32_t bpp = vbe_[kVbeBpp] == 15 ? 16 : vbe_[kVbeBpp];
    uint32_t x = vbe_[kVbeXOffset];
    uint32_t start = vbe_[kVbeBpp] == 4 ? x / 2 : x * ((bpp + 7) / 8);
    vbe_start_ = start + vbe_[kVbeYOffset] * vbe_line_offset_;
}

}  // namespace mimic::hw
