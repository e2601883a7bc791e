// The string instruction engine (see translate/string.cpp for why the
// whole REP loop lives here).
#include <algorithm>
#include <cstring>

#include "cpu_impl.h"
#include "helper_decls.h"
#include "helpers.h"
#include "mimic/x86/decode/decoded_insn.h"

namespace mimic::x86 {
namespace {

// Iterations per call before returning to the loop to look for interrupts.
constexpr unsigned kMaxBurst = 4096;

uint64_t seg_linear(CpuState* env, int seg, uint64_t off, unsigned size, bool write, uintptr_t ra) {
    if (env->hflags & kHfCs64) return (seg == kFS || seg == kGS) ? env->seg[seg].base + off : off;
    if ((env->hflags >> kHfSegCheckShift) & (1u << seg)) return seg_check(env, seg, off, size, write, ra);
    return (env->seg[seg].base + off) & 0xffffffffull;
}

// The host address of linear address lin if the TLB lets reads through
// directly (RAM, no watchpoint).
const uint8_t* tlb_load_host(CpuState* env, uint64_t lin, unsigned mmu) {
    const unsigned i = env->tlb.index(mmu, lin);
    if (env->tlb.addr_read[mmu][i] != (lin & tcg::kPageMask)) return nullptr;
    return reinterpret_cast<const uint8_t*>(lin + env->tlb.addend[mmu][i]);
}

// How many elements of `size` bytes, starting at lin and moving by step,
// lie within lin's page (0 if the first one crosses its end).
uint64_t elements_in_page(uint64_t lin, unsigned size, int64_t step) {
    const uint64_t off = lin & (tcg::kPageSize - 1);
    if (off + size > tcg::kPageSize) return 0;
    return step > 0 ? (tcg::kPageSize - off) / size : off / size + 1;
}

// REP MOVS/STOS over RAM a page at a time instead of an element at a time
// (a Linux boot copies and clears megabytes this way). Handles up to `left`
// elements of the current page(s); returns how many it did, 0 when the
// general loop must take this element (segment checks, TLB misses, device
// pages, watchpoints, page-crossing elements). Stores beside the code of a
// code page go in bulk too, after one check of the whole range.
uint64_t string_bulk(CpuState* env, unsigned op, int seg, unsigned size, int64_t step, uint64_t si, uint64_t di,
                     uint64_t left, unsigned mmu, uintptr_t ra) {
    const bool flat = env->hflags & kHfCs64;
    auto checked = [&](int s) { return !flat && ((env->hflags >> kHfSegCheckShift) & (1u << s)); };
    if (checked(kES) || (op == 0 && checked(seg))) return 0;
    const uint64_t dlin = seg_linear(env, kES, di, size, true, ra);
    uint64_t k = std::min(left, elements_in_page(dlin, size, step));
    uint64_t slin = 0;
    if (op == 0) {
        slin = seg_linear(env, seg, si, size, false, ra);
        k = std::min(k, elements_in_page(slin, size, step));
    }
    if (k == 0) return 0;
    const uint64_t bytes = k * size;
    // The lowest address of the range each side touches.
    auto low = [&](uint64_t lin) { return step > 0 ? lin : lin - (k - 1) * size; };
    // The source first: the destination's check may invalidate code, not
    // worth doing for a copy the general loop then takes anyway.
    const uint8_t* s = op == 2 ? nullptr : tlb_load_host(env, low(slin), mmu);
    if (op != 2 && !s) return 0;
    auto* d = static_cast<uint8_t*>(tlb_store_host(env, low(dlin), bytes, mmu, ra));
    if (!d) return 0;
    if (op == 2) {
        const uint64_t v = env->regs[0];
        if (size == 1) std::memset(d, static_cast<uint8_t>(v), bytes);
        else
            for (uint64_t i = 0; i < bytes; i += size) std::memcpy(d + i, &v, size);
        return k;
    }
    if (d + bytes <= s || s + bytes <= d) {
        std::memmove(d, s, bytes);
    } else {
        // Overlapping: element by element in the instruction's order, as
        // the guest may rely on (a forward copy one byte apart replicates).
        const auto first = static_cast<int64_t>(step > 0 ? 0 : (k - 1) * size);   // from the low end
        for (uint64_t i = 0; i < k; ++i) {
            const int64_t at = first + static_cast<int64_t>(i) * step;
            uint64_t v = 0;
            std::memcpy(&v, s + at, size);
            std::memcpy(d + at, &v, size);
        }
    }
    return k;
}

}  // namespace

void helper_string(CpuState* env, uint32_t desc, uint64_t next_eip) {
    const uintptr_t ra = MIMIC_GETPC();
    const unsigned op = desc & 0xf, size = (desc >> 4) & 0xf, asz = (desc >> 8) & 0xf;
    const auto rep = static_cast<RepKind>((desc >> 12) & 0xf);
    const int seg = static_cast<int>((desc >> 16) & 0xf);
    const uint64_t amask = asz == 2 ? 0xffff : asz == 4 ? 0xffffffffull : ~0ull;
    const int64_t step = static_cast<int32_t>(env->df) * static_cast<int64_t>(size);
    const unsigned mmu = cpu_mmu_index(env);
    const uint64_t vmask = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
    auto reg_get = [&](int r) { return env->regs[r] & amask; };
    auto reg_set = [&](int r, uint64_t v) { env->regs[r] = (env->regs[r] & ~amask) | (v & amask); };
    auto set_acc = [&](uint64_t v) {
        if (size == 4) env->regs[0] = v & 0xffffffffull;
        else env->regs[0] = (env->regs[0] & ~vmask) | (v & vmask);
    };
    CpuImpl& cpu = cpu_of(env);

    for (unsigned n = 0;; ++n) {
        if (rep != RepKind::kNone) {
            if (reg_get(1) == 0) break;
            if (n == kMaxBurst) {
                env->eip = env->eip;   // restart the instruction: eip still points at it
                return;
            }
        }
        uint64_t si = reg_get(6), di = reg_get(7);
        if (rep != RepKind::kNone && (op == 0 || op == 2) && asz != 2) {
            const uint64_t count = reg_get(1);
            const uint64_t k = string_bulk(env, op, seg, size, step, si, di, std::min<uint64_t>(count, kMaxBurst - n),
                                           mmu, ra);
            if (k) {
                if (op == 0) reg_set(6, si + static_cast<uint64_t>(step) * k);
                reg_set(7, di + static_cast<uint64_t>(step) * k);
                reg_set(1, count - k);
                n += static_cast<unsigned>(k - 1);
                if (env->exit_request.load(std::memory_order_relaxed) && reg_get(1) != 0) return;
                continue;
            }
        }
        switch (op) {
        case 0: {   // MOVS
            uint64_t v = cpu_ld(env, seg_linear(env, seg, si, size, false, ra), size, mmu, ra);
            cpu_st(env, seg_linear(env, kES, di, size, true, ra), v, size, mmu, ra);
            reg_set(6, si + step);
            reg_set(7, di + step);
            break;
        }
        case 1:     // CMPS: [si] - [di]
        case 4: {   // SCAS: acc - [di]
            uint64_t a = op == 1 ? cpu_ld(env, seg_linear(env, seg, si, size, false, ra), size, mmu, ra)
                                 : env->regs[0] & vmask;
            uint64_t b = cpu_ld(env, seg_linear(env, kES, di, size, false, ra), size, mmu, ra);
            if (op == 1) reg_set(6, si + step);
            reg_set(7, di + step);
            env->cc_src = b;
            env->cc_dst = (a - b) & vmask;
            env->cc_op = cc_op_sized(kCcOpSubB, size);
            break;
        }
        case 2:     // STOS
            cpu_st(env, seg_linear(env, kES, di, size, true, ra), env->regs[0] & vmask, size, mmu, ra);
            reg_set(7, di + step);
            break;
        case 3:     // LODS
            set_acc(cpu_ld(env, seg_linear(env, seg, si, size, false, ra), size, mmu, ra));
            reg_set(6, si + step);
            break;
        case 5: {   // INS: the port is read only once the destination is known to be writable
            uint64_t lin = seg_linear(env, kES, di, size, true, ra);
            cpu_st(env, lin, cpu_ld(env, lin, size, mmu, ra), size, mmu, ra);
            uint64_t v = helper_in(env, env->regs[2] & 0xffff, size);
            cpu_st(env, lin, v, size, mmu, ra);
            reg_set(7, di + step);
            break;
        }
        case 6: {   // OUTS
            uint64_t v = cpu_ld(env, seg_linear(env, seg, si, size, false, ra), size, mmu, ra);
            helper_out(env, env->regs[2] & 0xffff, size, v);
            reg_set(6, si + step);
            break;
        }
        }
        if (rep == RepKind::kNone) break;
        reg_set(1, reg_get(1) - 1);
        if (op == 1 || op == 4) {
            bool zf = env->cc_dst == 0;
            if (rep == RepKind::kRepe && !zf) break;
            if (rep == RepKind::kRepne && zf) break;
        }
        // An interrupt or a stop request: leave with the instruction restartable.
        if (env->exit_request.load(std::memory_order_relaxed) && reg_get(1) != 0) return;
    }
    (void)cpu;
    env->eip = next_eip;
}

}  // namespace mimic::x86
