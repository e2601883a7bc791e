#include "mimic/x86/cpu_dump.h"

#include <fmt/format.h>

#include <cstring>

namespace mimic::x86 {

namespace {

// One segment line: selector, base, limit, attributes, and in protected
// mode what the descriptor is (the part people read when debugging a GDT).
std::string segment_line(const CpuState& s, const char* name, const SegmentCache& seg) {
    const bool long_mode = s.hflags & kHfLma;
    std::string line = long_mode ? fmt::format("{:<3}={:04x} {:016x} {:08x} {:08x}", name, seg.selector, seg.base,
                                               seg.limit, seg.flags & 0x00ffff00)
                                 : fmt::format("{:<3}={:04x} {:08x} {:08x} {:08x}", name, seg.selector,
                                               static_cast<uint32_t>(seg.base), seg.limit, seg.flags & 0x00ffff00);
    if (!(s.hflags & kHfPe) || !(seg.flags & kDescP)) return line + '\n';
    line += fmt::format(" DPL={} ", seg.dpl());
    if (seg.flags & kDescS) {
        if (seg.flags & kDescCode) {
            line += (seg.flags & kDescL) ? "CS64" : (seg.flags & kDescB) ? "CS32" : "CS16";
            line += fmt::format(" [{}{}", (seg.flags & kDescConforming) ? 'C' : '-', (seg.flags & kDescRW) ? 'R' : '-');
        } else {
            line += (seg.flags & kDescB) || long_mode ? "DS  " : "DS16";
            line += fmt::format(" [{}{}", (seg.flags & kDescExpandDown) ? 'E' : '-', (seg.flags & kDescRW) ? 'W' : '-');
        }
        line += (seg.flags & kDescAccessed) ? "A]" : "-]";
    } else {
        static const char* const kSystem32[16] = {
            "Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16", "TaskGate", "IntGate16", "TrapGate16",
            "Reserved", "TSS32-avl", "Reserved", "TSS32-busy", "CallGate32", "Reserved", "IntGate32", "TrapGate32"};
        static const char* const kSystem64[16] = {
            "<hiword>", "Reserved", "LDT", "Reserved", "Reserved", "Reserved", "Reserved", "Reserved",
            "Reserved", "TSS64-avl", "Reserved", "TSS64-busy", "Reserved", "Reserved", "IntGate64", "TrapGate64"};
        unsigned type = (seg.flags >> kDescTypeShift) & 15;
        line += long_mode ? kSystem64[type] : kSystem32[type];
    }
    return line + '\n';
}

char flag_char(uint32_t eflags, uint32_t bit, char c) { return (eflags & bit) ? c : '-'; }

}  // namespace

std::string format_registers(const CpuState& s, uint32_t eflags) {
    // QEMU's register numbering: EAX ECX EDX EBX ESP EBP ESI EDI.
    const uint64_t* r = s.regs;
    const std::string flags = fmt::format(
        "[{}{}{}{}{}{}{}] CPL={} II={} A20={} SMM=0 HLT={}\n", flag_char(eflags, kFlagDF, 'D'),
        flag_char(eflags, kFlagOF, 'O'), flag_char(eflags, kFlagSF, 'S'), flag_char(eflags, kFlagZF, 'Z'),
        flag_char(eflags, kFlagAF, 'A'), flag_char(eflags, kFlagPF, 'P'), flag_char(eflags, kFlagCF, 'C'), s.cpl(),
        (s.hflags & kHfInhibitIrq) ? 1 : 0, (s.a20_mask >> 20) & 1, s.halted ? 1 : 0);
    const bool code64 = s.hflags & kHfCs64;
    const bool long_mode = s.hflags & kHfLma;
    std::string out;
    if (code64) {
        out += fmt::format("RAX={:016x} RBX={:016x} RCX={:016x} RDX={:016x}\n"
                           "RSI={:016x} RDI={:016x} RBP={:016x} RSP={:016x}\n"
                           "R8 ={:016x} R9 ={:016x} R10={:016x} R11={:016x}\n"
                           "R12={:016x} R13={:016x} R14={:016x} R15={:016x}\n",
                           r[0], r[3], r[1], r[2], r[6], r[7], r[5], r[4], r[8], r[9], r[10], r[11], r[12], r[13],
                           r[14], r[15]);
        out += fmt::format("RIP={:016x} RFL={:08x} ", s.eip, eflags) + flags;
    } else {
        auto lo = [](uint64_t v) { return static_cast<uint32_t>(v); };
        out += fmt::format("EAX={:08x} EBX={:08x} ECX={:08x} EDX={:08x}\n"
                           "ESI={:08x} EDI={:08x} EBP={:08x} ESP={:08x}\n",
                           lo(r[0]), lo(r[3]), lo(r[1]), lo(r[2]), lo(r[6]), lo(r[7]), lo(r[5]), lo(r[4]));
        out += fmt::format("EIP={:08x} EFL={:08x} ", lo(s.eip), eflags) + flags;
    }
    static const char* const kSegNames[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    for (int i = 0; i < 6; ++i) out += segment_line(s, kSegNames[i], s.seg[i]);
    out += segment_line(s, "LDT", s.ldtr);
    out += segment_line(s, "TR", s.tr);
    if (long_mode) {
        out += fmt::format("GDT=     {:016x} {:08x}\nIDT=     {:016x} {:08x}\n", s.gdtr.base, s.gdtr.limit,
                           s.idtr.base, s.idtr.limit);
        out += fmt::format("CR0={:08x} CR2={:016x} CR3={:016x} CR4={:08x}\n", static_cast<uint32_t>(s.cr[0]),
                           s.cr[2], s.cr[3], static_cast<uint32_t>(s.cr[4]));
    } else {
        out += fmt::format("GDT=     {:08x} {:08x}\nIDT=     {:08x} {:08x}\n", static_cast<uint32_t>(s.gdtr.base),
                           s.gdtr.limit, static_cast<uint32_t>(s.idtr.base), s.idtr.limit);
        out += fmt::format("CR0={:08x} CR2={:08x} CR3={:08x} CR4={:08x}\n", static_cast<uint32_t>(s.cr[0]),
                           static_cast<uint32_t>(s.cr[2]), static_cast<uint32_t>(s.cr[3]),
                           static_cast<uint32_t>(s.cr[4]));
    }
    // The debug registers are target-long wide in either mode, as in QEMU's x86_64 build.
    for (int i = 0; i < 4; ++i) out += fmt::format("DR{}={:016x} ", i, s.dr[i]);
    out += fmt::format("\nDR6={:016x} DR7={:016x}\n", s.dr[6], s.dr[7]);
    out += fmt::format("EFER={:016x}\n", s.efer);

    const FpuState& f = s.fpu;
    const int top = (f.fsw >> 11) & 7;
    out += fmt::format("FCW={:04x} FSW={:04x} [ST={}] FTW={:02x} MXCSR={:08x}\n", f.fcw, f.fsw, top, f.ftw & 0xff,
                       f.mxcsr);
    // FPRn is physical register n.
    for (int i = 0; i < 8; ++i) {
        const uint8_t* reg = f.st[i];
        uint64_t mantissa;
        uint16_t exponent;
        std::memcpy(&mantissa, reg, 8);
        std::memcpy(&exponent, reg + 8, 2);
        out += fmt::format("FPR{}={:016x} {:04x}{}", i, mantissa, exponent, (i & 1) ? "\n" : " ");
    }
    const int xmm_count = code64 ? 16 : 8;
    for (int i = 0; i < xmm_count; ++i) {
        uint64_t low, high;
        std::memcpy(&low, f.xmm[i], 8);
        std::memcpy(&high, f.xmm[i] + 8, 8);
        out += fmt::format("XMM{:02}={:016x} {:016x}{}", i, high, low, (i & 1) ? "\n" : " ");
    }
    return out;
}

}  // namespace mimic::x86
