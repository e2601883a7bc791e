// The block translation loop: fetch and decode guest instructions, hand
// each to its category's translator, and end the block where the
// architecture (branches, mode changes, interrupt shadows) or the softmmu
// (page boundaries, self-modifying code) requires.
#include "translator.h"

#include <capstone/capstone.h>

#include "mimic/util/log.h"
#include "mimic/x86/decode/decoder.h"

namespace mimic::x86 {

using tcg::Cond;
using tcg::I32;
using tcg::I64;

namespace {

bool dispatch(Dc& dc) {
    switch (dc.insn->category) {
    case Category::kAlu: return translate_alu(dc) || translate_mov(dc) || translate_fpu(dc);   // BSWAP, CRC32
    case Category::kShift: return translate_shift(dc);
    case Category::kMulDiv: return translate_muldiv(dc);
    case Category::kBit: return translate_bit(dc) || translate_fpu(dc);   // POPCNT
    case Category::kMov:
    case Category::kConv: return translate_mov(dc);
    case Category::kStack: return translate_stack(dc);
    case Category::kBranch: return translate_branch(dc);
    case Category::kString: return translate_string(dc);
    case Category::kIo: return translate_io(dc);
    case Category::kFlags: return translate_flags(dc);
    case Category::kBcd: return translate_bcd(dc);
    case Category::kSeg: return translate_seg(dc);
    case Category::kSync: return translate_alu(dc) || translate_system(dc) || translate_fpu(dc);   // fences
    case Category::kSystem: return translate_system(dc) || translate_fpu(dc);   // XSAVE, XGETBV
    case Category::kCache: return translate_system(dc) || translate_fpu(dc);   // CLFLUSH
    case Category::kX87:
    case Category::kMmx:
    case Category::kSse: return translate_fpu(dc);
    case Category::kNop: return dc.insn->mnemonic != Mnemonic::kPause || translate_system(dc);
    default: return false;
    }
}

void log_in_asm(const uint8_t* code, size_t len, uint64_t pc, CpuMode mode) {
    csh h;
    cs_mode cm = mode == CpuMode::k64 ? CS_MODE_64 : mode == CpuMode::k32 ? CS_MODE_32 : CS_MODE_16;
    if (cs_open(CS_ARCH_X86, cm, &h) != CS_ERR_OK) return;
    cs_insn* insn;
    size_t n = cs_disasm(h, code, len, pc, 1, &insn);
    if (n) {
        log::write(fmt::format("0x{:08x}:  {} {}\n", pc, insn[0].mnemonic, insn[0].op_str));
        cs_free(insn, n);
    } else {
        log::write(fmt::format("0x{:08x}:  (bad)\n", pc));
    }
    cs_close(&h);
}

}  // namespace

void Translator::translate(CpuState* env, tcg::TranslationBlock& tb, tcg::Builder& b) {
    Dc dc(env, b, tb, g_);
    dc.flags = tb.flags;
    dc.inline_sse = jit_;
    dc.cs_base = tb.cs_base;
    dc.cpl = tb.flags & kHfCplMask;
    dc.iopl = (tb.flags & kHfIoplMask) >> kHfIoplShift;
    dc.pe = tb.flags & kHfPe;
    dc.vm = tb.flags & kHfVm;
    dc.code32 = tb.flags & kHfCs32;
    dc.ss32 = tb.flags & kHfSs32;
    dc.addseg = tb.flags & kHfAddSeg;
    dc.code64 = tb.flags & kHfCs64;
    dc.mmu_idx = mmu_index_of_hflags(tb.flags);
    if (dc.pe && !dc.vm && !dc.code64 && tb.cs_limit != 0xffffffff) dc.cs_limit = tb.cs_limit;
    const CpuMode mode = dc.code64 ? CpuMode::k64 : dc.code32 ? CpuMode::k32 : CpuMode::k16;
    // Linear addresses of code: 64-bit mode has no CS base and no 32-bit wrap.
    const uint64_t lin_mask = dc.code64 ? ~0ull : 0xffffffffull;
    const uint64_t start_eip = tb.pc - tb.cs_base;
    // RF suppresses breakpoints for exactly one instruction, and a data
    // breakpoint replays one: give it a block of its own.
    const unsigned max_insns = (tb.flags & (kHfTf | kHfSingleInsn | kHfInhibitIrq | kHfRf | kHfDbArmed)) ? 1 : kMaxInsns;

    const bool log_in_asm_here = log::enabled_at(log::kInAsm, tb.pc);
    if (log_in_asm_here) log::write(fmt::format("IN:\n"));

    // Single-stepped, interrupt-shadow and breakpoint-resume blocks change
    // the state they were translated for (or must return to the loop).
    dc.start_eip = start_eip;
    dc.can_loop = !(tb.flags & (kHfTf | kHfSingleInsn | kHfInhibitIrq | kHfRf | kHfDbArmed));
    if (dc.can_loop) {
        dc.loop_head = b.new_label();
        b.set_label(dc.loop_head);
    }
    // Requests from other threads (interrupts, stop) are seen at block
    // entry, also when blocks are chained, and on every turn of a loop.
    tcg::Label exit_label = b.new_label();
    {
        I32 req = b.temp_i32();
        b.ld(req, ENV_OFF(exit_request), tcg::kMo32);
        b.brcond(Cond::Ne, req, 0u, exit_label);
    }
    // Which block runs (self-modifying code detection in the store slow
    // path); the JIT's is found from the slow path's return address.
    if (!jit_) b.st(b.const_i64(reinterpret_cast<uint64_t>(&tb)), ENV_OFF(current_tb), tcg::kMo64);
    if (tb.flags & kHfInhibitIrq) {
        // The shadow covers exactly this instruction; it may set a new one.
        I32 h = b.temp_i32();
        b.ld(h, ENV_OFF(hflags), tcg::kMo32);
        b.and_(h, h, ~static_cast<uint32_t>(kHfInhibitIrq));
        b.st(h, ENV_OFF(hflags), tcg::kMo32);
    }

    uint64_t eip = start_eip;
    uint64_t page_end = (tb.pc & tcg::kPageMask) + tcg::kPageSize;
    unsigned n = 0;
    uint32_t size = 0;
    while (true) {
        // Fetch up to the end of the page; an instruction crossing it needs
        // the next page (which may fault: only as the block's first one).
        uint64_t lin = (dc.cs_base + eip) & lin_mask;
        uint8_t bytes[kMaxInsnLength];
        unsigned avail = static_cast<unsigned>(std::min<uint64_t>(kMaxInsnLength, page_end - lin));
        if (lin >= page_end) break;
        if (uint32_t hits = insn_breakpoint_hits(env, lin); hits && !(n == 0 && (tb.flags & kHfRf))) {
            // A fault before the fetch: higher priority than anything the
            // instruction itself could raise.
            dc.pc = eip;
            b.insn_start(eip, dc.cc_op);
            ++n;
            size += 1;
            dc.sync_eip(eip);
            b.call(MIMIC_HELPER(helper_insn_breakpoint), {b.env(), b.const_i32(hits)});
            dc.end = BlockEnd::kJumped;
            break;
        }
        code_fetch(env, lin, bytes, avail);
        DecodedInsn insn;
        DecodeStatus st = decode(std::span<const uint8_t>(bytes, avail), mode, insn);
        if (st == DecodeStatus::kNeedMoreBytes) {
            if (n > 0) break;   // let it start a block of its own
            uintptr_t host;
            uint64_t phys2 = get_code_phys(env, page_end, &host, 0);
            tb.phys_page2 = phys2 & tcg::kPageMask;
            for (unsigned i = avail; i < kMaxInsnLength; ++i) bytes[i] = code_ldub(env, lin + i);
            avail = kMaxInsnLength;
            st = decode(std::span<const uint8_t>(bytes, avail), mode, insn);
        }
        if (log_in_asm_here) log_in_asm(bytes, avail, lin, mode);

        dc.insn = &insn;
        dc.seg_prefix = kNoSeg;
        for (unsigned i = 0; i < insn.length; ++i) {
            uint8_t p = bytes[i];
            if (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e) dc.seg_prefix = static_cast<uint8_t>((p >> 3) & 3);
            else if (p == 0x64 || p == 0x65) dc.seg_prefix = static_cast<uint8_t>(p - 0x60);
            else if (p != 0x66 && p != 0x67 && p != 0xf0 && p != 0xf2 && p != 0xf3) break;
            // A REX prefix ends the legacy prefixes (it must come last).
        }
        dc.pc = eip;
        dc.next_pc = (eip + insn.length) & dc.eip_mask();
        b.insn_start(eip, dc.cc_op);
        dc.discard_unused_cc();
        ++n;
        size += insn.length;
        // RF let this instruction past its breakpoint; it is cleared as the
        // instruction begins (an IRET or POPF in it may set it again).
        if (tb.flags & kHfRf) b.call(MIMIC_HELPER(helper_clear_rf), {b.env()});

        if (dc.cs_limit && eip + (insn.length ? insn.length : 1) - 1 > dc.cs_limit) {
            dc.raise(kExcGP, 0);   // fetch beyond the code segment limit
        } else if (st == DecodeStatus::kTooLong) {
            dc.raise(kExcGP, 0);
        } else if (st != DecodeStatus::kOk) {
            dc.raise(kExcUD);
        } else if (!dispatch(dc)) {
            MIMIC_LOG(log::kUnimp, "x86: unimplemented {} at {:04x}:{:08x}\n", mnemonic_name(insn.mnemonic),
                      env->seg[kCS].selector, eip);
            dc.raise(kExcUD);
        }
        eip = dc.next_pc;
        if (dc.end != BlockEnd::kNone) break;
        if (n >= max_insns) break;
        if (((dc.cs_base + eip) & lin_mask) >= page_end) break;
    }

    if (dc.end != BlockEnd::kJumped) {
        dc.discard_unused_cc();
        b.movi(g_.eip, eip);
        if (dc.end == BlockEnd::kStop || (tb.flags & (kHfInhibitIrq | kHfTf))) {
            // Mode or interrupt-state changes: back to the loop, which
            // re-reads them (after the single-step trap, outside a MOV SS shadow).
            dc.exit_to_loop(!dc.defers_single_step);
        } else {
            dc.end = BlockEnd::kNone;
            dc.jump_to(eip, 0);
        }
    }
    b.set_label(exit_label);
    b.movi(g_.eip, start_eip);
    b.exit_tb(tcg::kExitRequested);

    tb.size = size;
    tb.icount = n;
}

}  // namespace mimic::x86
