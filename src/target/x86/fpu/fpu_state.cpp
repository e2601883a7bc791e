// FXSAVE images and tag words (see fpu_state.h).
#include "fpu_state.h"

#include <cstring>

namespace mimic::x86 {

namespace {

template <typename T>
void put(uint8_t* p, T v) { std::memcpy(p, &v, sizeof v); }
template <typename T>
T get(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

void fpu_to_fxsave(const FpuState& f, uint8_t* image, bool wide) {
    std::memset(image, 0, 512);
    put<uint16_t>(image + 0, f.fcw);
    put<uint16_t>(image + 2, f.fsw);
    image[4] = static_cast<uint8_t>(f.ftw);
    put<uint16_t>(image + 6, f.fop & 0x7ff);
    if (wide) {
        put<uint64_t>(image + 8, f.fip);
        put<uint64_t>(image + 16, f.fdp);
    } else {
        put<uint32_t>(image + 8, static_cast<uint32_t>(f.fip));
        put<uint16_t>(image + 12, f.fcs);
        put<uint32_t>(image + 16, static_cast<uint32_t>(f.fdp));
        put<uint16_t>(image + 20, f.fds);
    }
    put<uint32_t>(image + 24, f.mxcsr);
    put<uint32_t>(image + 28, kMxcsrMask);
    // The image holds the registers in stack order.
    for (unsigned i = 0; i < 8; ++i) std::memcpy(image + 32 + 16 * i, f.st_reg(i), 10);
    std::memcpy(image + 160, f.xmm, 256);
}

void fpu_regs_from_image(FpuState& f, const uint8_t* image) {
    f.fcw = get<uint16_t>(image + 0);
    f.fsw = get<uint16_t>(image + 2);
    f.ftw = image[4];
    f.mxcsr = get<uint32_t>(image + 24);
    for (unsigned i = 0; i < 8; ++i) {   // after FSW: ST(i) follows its TOP
        std::memcpy(f.st_reg(i), image + 32 + 16 * i, 10);
        std::memset(f.st_reg(i) + 10, 0, 6);
    }
    std::memcpy(f.xmm, image + 160, 256);
}

void fpu_from_fxsave(FpuState& f, const uint8_t* image, bool wide) {
    fpu_regs_from_image(f, image);
    f.fop = get<uint16_t>(image + 6) & 0x7ff;
    if (wide) {
        f.fip = get<uint64_t>(image + 8);
        f.fdp = get<uint64_t>(image + 16);
        f.fcs = f.fds = 0;
    } else {
        f.fip = get<uint32_t>(image + 8);
        f.fcs = get<uint16_t>(image + 12);
        f.fdp = get<uint32_t>(image + 16);
        f.fds = get<uint16_t>(image + 20);
    }
}

uint16_t fpu_full_tag_word(const FpuState& f) {
    uint16_t tags = 0;
    for (unsigned phys = 0; phys < 8; ++phys) {
        unsigned tag;
        if (!(f.ftw & (1u << phys))) {
            tag = 3;   // empty
        } else {
            const uint8_t* r = f.st[phys];
            uint64_t mant = get<uint64_t>(r);
            unsigned exp = get<uint16_t>(r + 8) & 0x7fff;
            if (exp == 0x7fff) tag = 2;                           // NaN, infinity
            else if (exp == 0) tag = mant == 0 ? 1 : 2;           // zero, denormal
            else tag = (mant >> 63) ? 0 : 2;                      // valid, unnormal
        }
        tags |= static_cast<uint16_t>(tag << (2 * phys));
    }
    return tags;
}

uint8_t fpu_abridged_tags(uint16_t full) {
    uint8_t t = 0;
    for (unsigned i = 0; i < 8; ++i)
        if (((full >> (2 * i)) & 3) != 3) t |= static_cast<uint8_t>(1u << i);
    return t;
}

void fpu_init_x87(FpuState& f) {
    f.fcw = 0x37f;
    f.fsw = 0;
    f.ftw = 0;
    f.fop = 0;
    f.fip = f.fdp = 0;
    f.fcs = f.fds = 0;
}

}  // namespace mimic::x86
