// Host and Mimic runners for the differential test (see runner.h).
//
// The host side: a forked child maps code and data at the fixed low
// addresses the sequence uses, then calls a small 64-bit stub that saves the
// callee-saved registers and far-jumps through a memory pointer to the
// 32-bit compatibility-mode code segment Linux provides for 32-bit
// processes (__USER32_CS = 0x23). There the 32-bit code loads DS/ES with
// the flat 32-bit data selector (0x2b), the registers and EFLAGS from the
// input block, runs the sequence, stores the registers and EFLAGS to the
// output block and far-jumps back to 64-bit code (__USER_CS = 0x33). So the
// host executes exactly the bytes Mimic executes, in real 32-bit mode.
//
// Exceptions: the child catches SIGFPE and reports the state in its
// ucontext (the faulting RIP, the registers, the x87/SSE state the kernel
// saved); Mimic gets an IDT whose handlers save the x87/SSE state and halt,
// and the state at the fault is read back from the exception frame.
#include "runner.h"

#include <asm/prctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"

namespace mimic::x86::diff {
namespace {

constexpr uint32_t kStub64 = kCodeBase;            // 64-bit entry
constexpr uint32_t kBack64 = kCodeBase + 0x80;     // 64-bit return
constexpr uint32_t kCompat = kCodeBase + 0x100;    // 32-bit prologue
constexpr uint32_t kStateIn = kBufBase + 0x1000;
constexpr uint32_t kStateOut = kBufBase + 0x1100;
constexpr uint32_t kSaveRsp = kBufBase + 0x1200;
constexpr uint32_t kFarPtr = kBufBase + 0x1210;
constexpr uint32_t kSaneMxcsr = kBufBase + 0x1220;   // 0x1f80, for the way back to C++
constexpr uint32_t kFpuIn = kBufBase + 0x1400;     // FXSAVE images (16-byte aligned)
constexpr uint32_t kFpuOut = kBufBase + 0x1600;
constexpr unsigned kFpuPrologue = 7, kFpuEpilogue = 7;   // fxrstor/fxsave [disp32]
constexpr unsigned kFpuPrologue64 = 9, kFpuEpilogue64 = 9;   // fxrstor64/fxsave64 [abs32]
constexpr uint16_t kUser32Cs = 0x23, kUserDs = 0x2b, kUserCs = 0x33;
// Mimic: an IDT for the 32 exception vectors, each handler at
// kHandlers + 32 * vector: fxsave [fpu_out]; hlt.
constexpr uint32_t kIdt = 0x4000;
constexpr uint32_t kHandlers = 0x5000;
constexpr unsigned kVectors = 32;

// fxsave/fxrstor with an absolute address: 0F AE /0 and /1 with disp32
// (32-bit), or REX.W and a SIB without base or index (64-bit).
void fx_abs(uint8_t* p, bool restore, bool mode64, uint32_t addr) {
    const uint8_t reg = restore ? 1 : 0;
    if (mode64) {
        const uint8_t code[5] = {0x48, 0x0f, 0xae, static_cast<uint8_t>(0x04 | reg << 3), 0x25};
        std::memcpy(p, code, 5);
        std::memcpy(p + 5, &addr, 4);
    } else {
        const uint8_t code[3] = {0x0f, 0xae, static_cast<uint8_t>(0x05 | reg << 3)};
        std::memcpy(p, code, 3);
        std::memcpy(p + 3, &addr, 4);
    }
}

struct Emitter {
    uint8_t* p;
    void b(std::initializer_list<uint8_t> bytes) { for (uint8_t v : bytes) *p++ = v; }
    void d32(uint32_t v) { std::memcpy(p, &v, 4); p += 4; }
    void d16(uint16_t v) { std::memcpy(p, &v, 2); p += 2; }
};

// Returns where the sequence starts.
uint32_t write_host_code(uint8_t* base, const Sequence& seq) {
    auto at = [&](uint32_t addr) { return Emitter{base + (addr - kCodeBase)}; };
    Emitter e = at(kStub64);
    e.b({0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57});   // push rbx rbp r12-r15
    e.b({0x48, 0x89, 0x24, 0x25}); e.d32(kSaveRsp);                       // mov [save], rsp
    e.b({0xff, 0x2c, 0x25}); e.d32(kFarPtr);                              // ljmp *[farptr]

    e = at(kBack64);
    e.b({0x48, 0x8b, 0x24, 0x25}); e.d32(kSaveRsp);                       // mov rsp, [save]
    e.b({0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3});

    e = at(kCompat);
    e.b({0x66, 0xb8}); e.d16(kUserDs);                                    // mov $ds, %ax
    e.b({0x8e, 0xd8, 0x8e, 0xc0});                                        // mov %ax, %ds; mov %ax, %es
    e.b({0xbc}); e.d32(kStackTop);                                        // mov $stack, %esp
    e.b({0xff, 0x35}); e.d32(kStateIn + 32);                              // push eflags_in
    e.b({0x9d});                                                          // popfd
    static const uint8_t kModrm[8] = {0x05, 0x0d, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d};
    for (int r = 0; r < 8; ++r) { e.b({0x8b, kModrm[r]}); e.d32(kStateIn + 4 * r); }   // mov reg, [in]
    e.b({0x0f, 0xae, 0x0d}); e.d32(kFpuIn);                               // fxrstor [fpu_in]
    const auto seq_at = static_cast<uint32_t>(kCodeBase + (e.p - base));
    std::memcpy(e.p, seq.code.data(), seq.code.size());
    e.p += seq.code.size();
    e.b({0x0f, 0xae, 0x05}); e.d32(kFpuOut);                              // fxsave [fpu_out]
    // Back in C++ no exception may be unmasked.
    e.b({0xdb, 0xe3, 0x0f, 0xae, 0x15}); e.d32(kSaneMxcsr);               // fninit; ldmxcsr [sane]
    for (int r = 0; r < 8; ++r) { e.b({0x89, kModrm[r]}); e.d32(kStateOut + 4 * r); }  // mov [out], reg
    e.b({0xbc}); e.d32(kStackTop);
    e.b({0x9c, 0x8f, 0x05}); e.d32(kStateOut + 32);                       // pushfd; pop [out]
    e.b({0xea}); e.d32(kBack64); e.d16(kUserCs);                          // ljmp $0x33, back64

    uint8_t* fp = base + (kFarPtr - kCodeBase);
    uint32_t off = kCompat;
    std::memcpy(fp, &off, 4);
    std::memcpy(fp + 4, &kUser32Cs, 2);
    return seq_at;
}

// 64-bit sequences: a 64-bit stub loads all sixteen registers and RFLAGS
// (and for FPU sequences the x87/SSE state) and jumps to the sequence at
// kSeqBase (where Mimic runs it too, so RIP-relative LEA agrees); the
// epilogue right after it stores them.
void mov_abs(Emitter& e, bool store, int r, uint32_t addr) {
    e.b({static_cast<uint8_t>(0x48 | (r >= 8 ? 4 : 0)), static_cast<uint8_t>(store ? 0x89 : 0x8b),
         static_cast<uint8_t>(0x04 | ((r & 7) << 3)), 0x25});
    e.d32(addr);
}

void write_host_code64(uint8_t* base, const Sequence& seq) {
    auto at = [&](uint32_t addr) { return Emitter{base + (addr - kCodeBase)}; };
    Emitter e = at(kStub64);
    e.b({0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57});   // push rbx rbp r12-r15
    e.b({0x48, 0x89, 0x24, 0x25}); e.d32(kSaveRsp);                       // mov [save], rsp
    e.b({0x48, 0xc7, 0xc4}); e.d32(kStackTop);                            // mov $stack, %rsp
    e.b({0xff, 0x34, 0x25}); e.d32(kStateIn + 128);                       // push rflags_in
    e.b({0x9d});                                                          // popfq
    for (int r = 0; r < 16; ++r)
        if (r != 4) mov_abs(e, false, r, kStateIn + 8 * r);
    if (seq.fpu) { fx_abs(e.p, true, true, kFpuIn); e.p += kFpuPrologue64; }
    uint8_t* jmp_end = e.p + 5;
    e.b({0xe9}); e.d32(static_cast<uint32_t>(kSeqBase - (kCodeBase + (jmp_end - base))));   // jmp seq
    e = at(kSeqBase);
    std::memcpy(e.p, seq.code.data(), seq.code.size());
    e.p += seq.code.size();
    if (seq.fpu) {
        fx_abs(e.p, false, true, kFpuOut);
        e.p += kFpuEpilogue64;
        e.b({0xdb, 0xe3, 0x0f, 0xae, 0x14, 0x25}); e.d32(kSaneMxcsr);    // fninit; ldmxcsr [sane]
    }
    for (int r = 0; r < 16; ++r) mov_abs(e, true, r, kStateOut + 8 * r);
    e.b({0x9c, 0x8f, 0x04, 0x25}); e.d32(kStateOut + 128);                // pushfq; pop [out]
    e.b({0x48, 0x8b, 0x24, 0x25}); e.d32(kSaveRsp);                       // mov rsp, [save]
    e.b({0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3});
}

struct Machine {
    std::unique_ptr<memory::MemoryRegion> system, ram, io_root;
    std::unique_ptr<memory::AddressSpace> mem, io;
    std::unique_ptr<X86Cpu> cpu;
};

Machine& machine(TcgBackend backend) {
    static std::map<TcgBackend, std::unique_ptr<Machine>> machines;
    auto& m = machines[backend];
    if (!m) {
        m = std::make_unique<Machine>();
        m->system = memory::MemoryRegion::make_container("system", UINT64_MAX);
        m->ram = memory::MemoryRegion::make_ram("ram", 16u << 20);
        m->system->add_subregion(0, *m->ram);
        m->io_root = memory::MemoryRegion::make_container("io", 0x10000);
        m->mem = std::make_unique<memory::AddressSpace>(*m->system, "memory");
        m->io = std::make_unique<memory::AddressSpace>(*m->io_root, "I/O");
        CpuConfig cfg;
        cfg.backend = backend;
        cfg.model = *find_cpu_model("max");   // every instruction the generator may emit
        m->cpu = create_cpu(cfg, *m->mem, *m->io, CpuHooks{});
    }
    return *m;
}

// A random but host-safe x87/SSE state: every exception masked (the host
// would take SIGFPE otherwise), random precision and rounding control,
// random TOP and tags, register values mixing ordinary numbers with zeros,
// infinities, NaNs and denormals.
// The control part of an FXSAVE image, cleared first: x87 exceptions
// masked, random precision, rounding, TOP and tags; returns an MXCSR with
// every exception masked and random rounding and DAZ/FTZ (not yet stored).
uint32_t random_fpu_controls(std::mt19937_64& rng, uint8_t* img) {
    std::memset(img, 0, 512);
    auto put16 = [&](unsigned at, uint16_t v) { std::memcpy(img + at, &v, 2); };
    put16(0, static_cast<uint16_t>(0x7f | ((rng() % 4) << 8) | ((rng() % 4) << 10)));   // FCW
    put16(2, static_cast<uint16_t>((rng() % 8) << 11));                                  // FSW: TOP
    img[4] = rng() % 3 ? 0xff : static_cast<uint8_t>(rng());                            // abridged tags
    uint32_t mxcsr = 0x1f80 | static_cast<uint32_t>((rng() % 4) << 13);
    if (rng() % 4 == 0) mxcsr |= 0x40;     // DAZ
    if (rng() % 4 == 0) mxcsr |= 0x8000;   // FTZ
    return mxcsr;
}

void random_fpu_state(std::mt19937_64& rng, uint8_t* img) {
    const uint32_t mxcsr = random_fpu_controls(rng, img);
    std::memcpy(img + 24, &mxcsr, 4);
    for (int i = 0; i < 8; ++i) {
        uint8_t* r = img + 32 + 16 * i;
        uint64_t mant = rng() | (1ull << 63);
        uint16_t se = static_cast<uint16_t>(0x3fff - 40 + rng() % 80) | static_cast<uint16_t>((rng() % 2) << 15);
        switch (rng() % 10) {
        case 0: mant = 0; se &= 0x8000; break;                          // zero
        case 1: mant = 1ull << 63; se |= 0x7fff; break;                 // infinity
        case 2: se |= 0x7fff; break;                                    // NaN
        case 3: mant >>= 1 + rng() % 60; se &= 0x8000; break;          // denormal
        case 4: mant = (rng() % 100000) << 46; se = static_cast<uint16_t>(0x3fff + 17); break;   // integer-ish
        default: break;
        }
        std::memcpy(r, &mant, 8);
        std::memcpy(r + 8, &se, 2);
    }
    // XMM0-7: floats and doubles of moderate size, and raw bytes.
    for (int i = 0; i < 8; ++i) {
        uint8_t* x = img + 160 + 16 * i;
        switch (rng() % 3) {
        case 0:
            for (int k = 0; k < 4; ++k) {
                float f = static_cast<float>(static_cast<int64_t>(rng() % 2000000) - 1000000) / 1024.0f;
                std::memcpy(x + 4 * k, &f, 4);
            }
            break;
        case 1:
            for (int k = 0; k < 2; ++k) {
                double d = static_cast<double>(static_cast<int64_t>(rng() % 2000000000) - 1000000000) / 65536.0;
                std::memcpy(x + 8 * k, &d, 8);
            }
            break;
        default:
            for (int k = 0; k < 16; ++k) x[k] = static_cast<uint8_t>(rng());
        }
    }
}

// Float32 lane values: ordinary numbers and the ones SSE treats specially
// (signed zeros and infinities, quiet and signalling NaNs, denormals, the
// largest and smallest normals, halves for the rounding modes, values
// around the int32 limits for the conversions).
uint32_t special_f32(std::mt19937_64& rng) {
    const uint32_t sign = static_cast<uint32_t>(rng() & 1) << 31;
    const auto frac = static_cast<uint32_t>(rng() & 0x7fffff);
    switch (rng() % 12) {
    case 0: return sign;                                                  // zero
    case 1: return sign | 0x7f800000;                                     // infinity
    case 2: return sign | 0x7fc00000 | (frac & 0x3fffff);                 // QNaN
    case 3: return sign | 0x7f800000 | (1 + frac % 0x3fffff);             // SNaN
    case 4: return sign | (1 + frac % 0x7fffff);                          // denormal
    case 5: return sign | static_cast<uint32_t>(0xfd + rng() % 2) << 23 | frac;   // huge
    case 6: return sign | static_cast<uint32_t>(1 + rng() % 2) << 23 | frac;      // tiny normal
    case 7: {                                                             // halves
        float f = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 2.0f;
        uint32_t v;
        std::memcpy(&v, &f, 4);
        return v;
    }
    case 8: return sign | (0x4f000000 + static_cast<uint32_t>(rng() % 3) - 1);   // about 2^31
    case 9: return static_cast<uint32_t>(rng());                          // any bits
    default: {                                                            // moderate
        float f = static_cast<float>(static_cast<int64_t>(rng() % 2000000) - 1000000) / 1024.0f;
        uint32_t v;
        std::memcpy(&v, &f, 4);
        return v;
    }
    }
}

// The same for float64 lanes.
uint64_t special_f64(std::mt19937_64& rng) {
    const uint64_t sign = (rng() & 1) << 63;
    const uint64_t frac = rng() & 0xfffffffffffffull;
    switch (rng() % 12) {
    case 0: return sign;
    case 1: return sign | 0x7ff0000000000000ull;
    case 2: return sign | 0x7ff8000000000000ull | (frac & 0x7ffffffffffffull);
    case 3: return sign | 0x7ff0000000000000ull | (1 + frac % 0x7ffffffffffffull);
    case 4: return sign | (1 + frac % 0xfffffffffffffull);
    case 5: return sign | (0x7fd + rng() % 2) << 52 | frac;
    case 6: return sign | (1 + rng() % 2) << 52 | frac;
    case 7: {
        double d = static_cast<double>(static_cast<int>(rng() % 2001) - 1000) / 2.0;
        uint64_t v;
        std::memcpy(&v, &d, 8);
        return v;
    }
    case 8: return sign | (0x41e0000000000000ull + rng() % 5 - 2);       // about 2^31
    case 9: return rng();
    default: {
        double d = static_cast<double>(static_cast<int64_t>(rng() % 2000000000) - 1000000000) / 65536.0;
        uint64_t v;
        std::memcpy(&v, &d, 8);
        return v;
    }
    }
}

// 16 bytes of float32 lanes, float64 lanes or random bytes.
void special_vector(std::mt19937_64& rng, uint8_t* x) {
    switch (rng() % 5) {
    case 0: case 1:
        for (int k = 0; k < 4; ++k) { uint32_t v = special_f32(rng); std::memcpy(x + 4 * k, &v, 4); }
        break;
    case 2: case 3:
        for (int k = 0; k < 2; ++k) { uint64_t v = special_f64(rng); std::memcpy(x + 8 * k, &v, 8); }
        break;
    default:
        for (int k = 0; k < 16; ++k) x[k] = static_cast<uint8_t>(rng());
    }
}

// An 80-bit x87 value: the classes random_fpu_state uses, with quiet and
// signalling NaNs told apart and the exponent extremes and float/double
// values (exact in memory formats) added. No unsupported encodings
// (unnormals, pseudo-NaNs): hosts differ on them.
void special_f80(std::mt19937_64& rng, uint8_t* r) {
    uint64_t mant = rng() | (1ull << 63);
    uint16_t se = static_cast<uint16_t>(0x3fff - 40 + rng() % 80) | static_cast<uint16_t>((rng() % 2) << 15);
    const uint16_t sign = se & 0x8000;
    switch (rng() % 12) {
    case 0: mant = 0; se = sign; break;                                      // zero
    case 1: mant = 1ull << 63; se = sign | 0x7fff; break;                    // infinity
    case 2: mant |= 1ull << 62; se = sign | 0x7fff; break;                   // QNaN
    case 3: mant = (mant & ~(1ull << 62)) | 1; se = sign | 0x7fff; break;    // SNaN
    case 4: mant >>= 1 + rng() % 63; se = sign; break;                      // denormal
    case 5: se = sign | static_cast<uint16_t>(0x7ffe - rng() % 2); break;    // huge
    case 6: se = sign | static_cast<uint16_t>(1 + rng() % 2); break;         // tiny
    case 7: mant = (rng() % 100000) << 46; se = static_cast<uint16_t>(0x3fff + 17); break;   // integer-ish
    case 8: {                                                                // a float32 or float64
        long double v;
        if (rng() % 2) { uint32_t f = special_f32(rng); float x; std::memcpy(&x, &f, 4); v = x; }
        else { uint64_t d = special_f64(rng); double x; std::memcpy(&x, &d, 8); v = x; }
        std::memcpy(&mant, &v, 8);
        std::memcpy(&se, reinterpret_cast<const uint8_t*>(&v) + 8, 2);
        break;
    }
    default: break;
    }
    std::memcpy(r, &mant, 8);
    std::memcpy(r + 8, &se, 2);
}

// The x87/SSE state of FPU sequences: random precision and rounding,
// TOP and tags, some sticky MXCSR flags, and register values mixing
// ordinary numbers with special ones. x87 exceptions stay masked; SIMD
// ones are unmasked at random with `unmask` (at least one of them).
void special_fpu_state(std::mt19937_64& rng, uint8_t* img, bool mode64, bool unmask) {
    uint32_t mxcsr = random_fpu_controls(rng, img);
    if (rng() % 4 == 0) mxcsr |= static_cast<uint32_t>(rng() & 0x3f);   // sticky flags
    if (unmask) {
        uint32_t m = 0;
        while (m == 0)
            for (unsigned i = 7; i <= 12; ++i)
                if (rng() % 4 == 0) m |= 1u << i;
        mxcsr &= ~m;
    }
    std::memcpy(img + 24, &mxcsr, 4);
    for (int i = 0; i < 8; ++i) special_f80(rng, img + 32 + 16 * i);
    for (int i = 0; i < (mode64 ? 16 : 8); ++i) special_vector(rng, img + 160 + 16 * i);
    // Condition codes C0..C3 from the register bits, so the seeds' streams
    // stay as they were: instructions that leave some of them alone must
    // keep them.
    img[3] = static_cast<uint8_t>(img[3] | (img[33] & 0x47));
}

}  // namespace

GuestState initial_state(uint64_t seed, const GenOptions& opt) {
    const bool mode64 = opt.mode64;
    std::mt19937_64 rng(seed ^ 0x5eed5eed5eedull);
    GuestState s{};
    if (mode64) {
        for (uint64_t& r : s.regs) r = rng();
        static const uint64_t kSpecial[] = {0, 1, ~0ull, 1ull << 63, (1ull << 63) - 1, 0xffffffff, 0x80000000, 0x7f};
        for (int r : {0, 1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
            if (rng() % 4 == 0) s.regs[r] = kSpecial[rng() % 8];
    } else {
        for (int r = 0; r < 8; ++r) s.regs[r] = static_cast<uint32_t>(rng());
        random_fpu_state(rng, s.fpu);
        // Interesting values now and then: 0, -1, sign boundaries.
        static const uint32_t kSpecial[] = {0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0x8000, 0x7f, 0xff};
        for (int r : {0, 1, 2, 6, 7})
            if (rng() % 4 == 0) s.regs[r] = kSpecial[rng() % 8];
    }
    s.gs_base = kGsBase;
    s.regs[3] = kBufBase;
    s.regs[4] = kStackTop;
    s.regs[5] = 16;
    s.eflags = (static_cast<uint32_t>(rng()) & kFlagsMask) | 0x202;
    for (auto& v : s.buf) v = static_cast<uint8_t>(rng());
    if (opt.fpu) {
        // A separate stream, so the integer state of a seed stays as it was.
        std::mt19937_64 frng(seed ^ 0xf1f1f1f1f1f1ull);
        special_fpu_state(frng, s.fpu, mode64, opt.simd_unmask);
        // Half of the buffer's 16-byte blocks hold float lanes for memory operands.
        for (uint32_t at = 0; at < kBufSize; at += 16)
            if (frng() % 2) special_vector(frng, s.buf + at);
    }
    return s;
}

namespace {

// Pins the calling process to the highest CPU it may run on (not CPU 0,
// whose TSC_AUX of 0 would hide an RDPID that reads nothing) and returns
// that CPU's IA32_TSC_AUX as RDPID reads it.
uint64_t pin_and_read_tsc_aux() {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
        for (int cpu = CPU_SETSIZE - 1; cpu >= 0; --cpu) {
            if (!CPU_ISSET(cpu, &allowed)) continue;
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            sched_setaffinity(0, sizeof one, &one);
            break;
        }
    }
    uint64_t aux;
    asm volatile("rdpid %0" : "=r"(aux));
    return aux;
}

// What the child's SIGFPE handler needs (one run per forked child).
struct HostRun {
    GuestState* out;
    uint8_t* base;
    uint64_t seq_at;
    bool mode64, fpu;
} g_host;

// The state at the fault, as the kernel saved it. The x87/SSE image is the
// FXSAVE part of the XSAVE area in the signal frame; a component XSAVE left
// out (in its init state, XSTATE_BV bit clear) is filled in here.
void on_host_sigfpe(int, siginfo_t*, void* context) {
    const auto* uc = static_cast<const ucontext_t*>(context);
    const greg_t* g = uc->uc_mcontext.gregs;
    static const int kGreg[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                  REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
    GuestState* o = g_host.out;
    for (int r = 0; r < 16; ++r) {
        const auto v = static_cast<uint64_t>(g[kGreg[r]]);
        o->regs[r] = g_host.mode64 ? v : r < 8 ? static_cast<uint32_t>(v) : 0;
    }
    o->eflags = static_cast<uint32_t>(g[REG_EFL]);
    if (!g_host.mode64 || g_host.fpu) {
        const auto* fx = reinterpret_cast<const uint8_t*>(uc->uc_mcontext.fpregs);
        std::memcpy(o->fpu, fx, 512);
        uint32_t magic;
        std::memcpy(&magic, fx + 464, 4);
        if (magic == 0x46505853) {   // FP_XSTATE_MAGIC1: an XSAVE header follows
            uint64_t xstate_bv;
            std::memcpy(&xstate_bv, fx + 512, 8);
            if (!(xstate_bv & 1)) {   // x87 in its init state
                std::memset(o->fpu, 0, 24);
                const uint16_t fcw = 0x37f;
                std::memcpy(o->fpu, &fcw, 2);
                std::memset(o->fpu + 32, 0, 128);
            }
            if (!(xstate_bv & 2)) std::memset(o->fpu + 160, 0, 256);   // XMM registers all zero
        }
    }
    std::memcpy(o->buf, g_host.base + (kBufBase - kCodeBase), kBufSize);
    o->fault_vector = static_cast<int>(g[REG_TRAPNO]);
    o->fault_offset = static_cast<uint32_t>(static_cast<uint64_t>(g[REG_RIP]) - g_host.seq_at);
    _exit(0);
}

}  // namespace

bool run_on_host(const Sequence& seq, const GuestState& in, GuestState& out, std::string& error) {
    void* shared = mmap(nullptr, sizeof(GuestState) + 8, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) { error = "mmap shared"; return false; }
    pid_t pid = fork();
    if (pid == 0) {
        void* want = reinterpret_cast<void*>(uintptr_t{kCodeBase});
        void* p = mmap(want, 0x200000, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p != want) _exit(3);
        auto* base = static_cast<uint8_t*>(p);
        auto* o = static_cast<GuestState*>(shared);
        o->fault_vector = -1;
        std::memcpy(base + (kBufBase - kCodeBase), in.buf, kBufSize);
        std::memcpy(base + (kFpuIn - kCodeBase), in.fpu, 512);
        const uint32_t sane_mxcsr = 0x1f80;
        std::memcpy(base + (kSaneMxcsr - kCodeBase), &sane_mxcsr, 4);
        // SIGFPE on its own stack: the guest's may be anything.
        const size_t alt_size = 1 << 20;
        void* alt = mmap(nullptr, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (alt == MAP_FAILED) _exit(4);
        stack_t ss{};
        ss.ss_sp = alt;
        ss.ss_size = alt_size;
        struct sigaction sa{};
        sa.sa_sigaction = on_host_sigfpe;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (sigaltstack(&ss, nullptr) != 0 || sigaction(SIGFPE, &sa, nullptr) != 0) _exit(4);
        g_host = HostRun{o, base, 0, seq.mode64, seq.fpu};
        if (seq.extensions) o->tsc_aux = pin_and_read_tsc_aux();
        if (seq.mode64) {
            write_host_code64(base, seq);
            g_host.seq_at = kSeqBase;
            std::memcpy(base + (kStateIn - kCodeBase), in.regs, 128);
            uint64_t fl = in.eflags;
            std::memcpy(base + (kStateIn + 128 - kCodeBase), &fl, 8);
            // 64-bit Linux processes leave GS alone: the sequence may have it.
            if (seq.extensions && syscall(SYS_arch_prctl, ARCH_SET_GS, in.gs_base) != 0) _exit(5);
            reinterpret_cast<void (*)()>(p)();
            if (seq.extensions && syscall(SYS_arch_prctl, ARCH_GET_GS, &o->gs_base) != 0) _exit(5);
            std::memcpy(o->regs, base + (kStateOut - kCodeBase), 128);
            std::memcpy(&o->eflags, base + (kStateOut + 128 - kCodeBase), 4);
            if (seq.fpu) std::memcpy(o->fpu, base + (kFpuOut - kCodeBase), 512);
        } else {
            g_host.seq_at = write_host_code(base, seq);
            for (int r = 0; r < 8; ++r) {
                uint32_t v = static_cast<uint32_t>(in.regs[r]);
                std::memcpy(base + (kStateIn + 4 * r - kCodeBase), &v, 4);
            }
            std::memcpy(base + (kStateIn + 32 - kCodeBase), &in.eflags, 4);
            reinterpret_cast<void (*)()>(p)();
            for (int r = 0; r < 8; ++r) {
                uint32_t v;
                std::memcpy(&v, base + (kStateOut + 4 * r - kCodeBase), 4);
                o->regs[r] = v;
            }
            std::memcpy(&o->eflags, base + (kStateOut + 32 - kCodeBase), 4);
            std::memcpy(o->fpu, base + (kFpuOut - kCodeBase), 512);
        }
        std::memcpy(o->buf, base + (kBufBase - kCodeBase), kBufSize);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok) std::memcpy(&out, shared, sizeof(GuestState));
    else if (WIFEXITED(status)) error = "host child exited with " + std::to_string(WEXITSTATUS(status));
    else error = "host child killed by signal " + std::to_string(WTERMSIG(status));
    munmap(shared, sizeof(GuestState) + 8);
    return ok;
}

bool run_in_mimic(const Sequence& seq, const GuestState& in, GuestState& out, TcgBackend backend,
                  std::string& error) {
    Machine& m = machine(backend);
    X86Cpu& cpu = *m.cpu;
    uint8_t* ram = m.ram->host();
    cpu.reset();
    cpu.flush_translations();   // the code below is written behind the memory API's back
    // 32-bit: fxrstor [fpu_in]; the sequence; fxsave [fpu_out]; hlt.
    // 64-bit: the sequence at kSeqBase itself, as on the host, then hlt;
    // FPU sequences with fxrstor64 right before it and fxsave64 after it.
    const bool fx = !seq.mode64 || seq.fpu;
    const unsigned prologue = !fx ? 0 : seq.mode64 ? kFpuPrologue64 : kFpuPrologue;
    const unsigned epilogue = !fx ? 0 : seq.mode64 ? kFpuEpilogue64 : kFpuEpilogue;
    const uint32_t start = seq.mode64 ? kSeqBase - prologue : kSeqBase;
    const uint32_t seq_at = start + prologue;
    if (fx) fx_abs(ram + start, true, seq.mode64, kFpuIn);
    std::memcpy(ram + seq_at, seq.code.data(), seq.code.size());
    uint8_t* end = ram + seq_at + seq.code.size();
    if (fx) fx_abs(end, false, seq.mode64, kFpuOut);
    end[epilogue] = 0xf4;
    std::memcpy(ram + kFpuIn, in.fpu, 512);
    std::memcpy(ram + kBufBase, in.buf, kBufSize);
    // Exception handlers: fxsave [fpu_out]; hlt, one per vector, through
    // interrupt gates (8 bytes each, 16 in long mode).
    const unsigned gate_size = seq.mode64 ? 16 : 8;
    const unsigned handler_len = (seq.mode64 ? kFpuEpilogue64 : kFpuEpilogue) + 1;
    std::memset(ram + kIdt, 0, kVectors * gate_size);
    for (unsigned v = 0; v < kVectors; ++v) {
        const uint32_t h = kHandlers + 32 * v;
        fx_abs(ram + h, false, seq.mode64, kFpuOut);
        ram[h + handler_len - 1] = 0xf4;
        const uint32_t gate[2] = {(h & 0xffff) | 0x08u << 16, (h & 0xffff0000) | 0x8e00};
        std::memcpy(ram + kIdt + gate_size * v, gate, 8);
    }
    // Flat 32-bit protected mode, CPL 0 (in long mode the code segment is a
    // 64-bit one, for the gates).
    uint32_t gdt[6] = {0, 0, 0x0000ffff, seq.mode64 ? 0x00af9b00u : 0x00cf9b00u, 0x0000ffff, 0x00cf9300};
    std::memcpy(ram + 0x500, gdt, sizeof gdt);
    CpuState& st = cpu.state();
    st.gdtr = TableRegister{0x500, 0x17};
    st.idtr = TableRegister{kIdt, kVectors * gate_size - 1};
    st.cr[0] |= 1 | kCr0NE | kCr0MP;
    st.cr[4] |= kCr4OSFXSR | kCr4OSXMMEXCPT;
    st.seg[kCS] = SegmentCache{0x08, 0, 0xffffffff, 0x00cf9b00};
    for (int s : {kDS, kES, kSS, kFS, kGS}) st.seg[s] = SegmentCache{0x10, 0, 0xffffffff, 0x00cf9300};
    for (int r = 0; r < 8; ++r) st.regs[r] = in.regs[r];
    if (seq.mode64) {
        // Long mode: PML4 at 0x1000, PDPT at 0x2000, a page directory of
        // 2 MiB identity pages at 0x3000 covering the 16 MiB of RAM.
        std::memset(ram + 0x1000, 0, 0x3000);
        uint64_t e = 0x2000 | 3;
        std::memcpy(ram + 0x1000, &e, 8);
        e = 0x3000 | 3;
        std::memcpy(ram + 0x2000, &e, 8);
        for (uint64_t i = 0; i < 8; ++i) {
            e = (i << 21) | 0x83;
            std::memcpy(ram + 0x3000 + 8 * i, &e, 8);
        }
        st.cr[4] |= kCr4PAE;
        st.cr[3] = 0x1000;
        st.cr[0] |= kCr0PG;
        st.efer = kEferLME | kEferLMA;
        st.seg[kCS] = SegmentCache{0x08, 0, 0xffffffff, 0x00af9b00};   // L = 1
        for (int r = 0; r < 16; ++r) st.regs[r] = in.regs[r];
    }
    if (seq.extensions) {
        st.msr.tsc_aux = in.tsc_aux;
        if (seq.mode64) {
            st.seg[kGS].base = in.gs_base;
            st.cr[4] |= kCr4FSGSBASE;   // as Linux sets it for its processes
        }
    }
    st.eip = start;
    cpu.state_changed();
    cpu.set_eflags(in.eflags);
    ExitReason why = cpu.run();
    const uint64_t done = seq_at + seq.code.size() + epilogue + 1;
    const bool in_handler = st.eip > kHandlers && st.eip <= kHandlers + 32 * kVectors &&
                            (st.eip - kHandlers) % 32 == handler_len;
    if (why != ExitReason::kHalted || (st.eip != done && !in_handler)) {
        error = "mimic stopped at eip " + std::to_string(st.eip) + " (exception?)";
        return false;
    }
    for (int r = 0; r < 16; ++r) out.regs[r] = seq.mode64 ? st.regs[r] : r < 8 ? static_cast<uint32_t>(st.regs[r]) : 0;
    out.gs_base = seq.extensions && seq.mode64 ? st.seg[kGS].base : 0;
    out.eflags = cpu.eflags();
    out.fault_vector = -1;
    out.fault_offset = 0;
    if (in_handler) {
        // The frame: [error code,] EIP, CS, EFLAGS (32-bit, no stack switch at
        // CPL 0), or RIP, CS, RFLAGS, RSP, SS (64-bit).
        const auto vector = static_cast<unsigned>((st.eip - kHandlers) / 32);
        const bool error_code = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
        const unsigned w = seq.mode64 ? 8 : 4;
        const uint64_t frame = (seq.mode64 ? st.regs[4] : static_cast<uint32_t>(st.regs[4])) + (error_code ? w : 0);
        auto slot = [&](unsigned i) {
            uint64_t v = 0;
            std::memcpy(&v, ram + frame + w * i, w);
            return v;
        };
        out.fault_vector = static_cast<int>(vector);
        out.fault_offset = static_cast<uint32_t>(slot(0) - seq_at);
        out.eflags = static_cast<uint32_t>(slot(2));
        out.regs[4] = seq.mode64 ? slot(3) : static_cast<uint32_t>(frame + 3 * w);
    }
    std::memcpy(out.buf, ram + kBufBase, kBufSize);
    if (fx) std::memcpy(out.fpu, ram + kFpuOut, 512);
    return true;
}

namespace {

// The instruction group holding `offset` (seq.ends.size() past the end).
size_t group_at(const Sequence& seq, uint32_t offset) {
    size_t k = 0;
    while (k < seq.ends.size() && seq.ends[k] <= offset) ++k;
    return k;
}

}  // namespace

uint32_t defined_flags(const Sequence& seq, const GuestState& state) {
    if (state.fault_vector < 0) return kFlagsMask & ~seq.undefined_flags;
    // Within a group the flags may be undefined before the fault or only
    // after it: compare what is defined at both ends.
    const size_t k = group_at(seq, state.fault_offset);
    const uint32_t before = k ? seq.undefined_at[k - 1] : 0;
    const uint32_t after = k < seq.undefined_at.size() ? seq.undefined_at[k] : seq.undefined_flags;
    return kFlagsMask & ~(before | after);
}

std::string describe_stop(const Sequence& seq, const GuestState& state) {
    if (state.fault_vector < 0) return "the end";
    static const char* const kNames[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                           "#DF", "", "#TS", "#NP", "#SS", "#GP", "#PF", "",
                                           "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};
    const auto v = static_cast<unsigned>(state.fault_vector);
    const size_t k = group_at(seq, state.fault_offset);
    char line[96];
    std::snprintf(line, sizeof line, "%s (vector %u) at +%#x, in instruction %zu", v < 32 ? kNames[v] : "?", v,
                  state.fault_offset, k + 1);
    std::string r = line;
    if (k < seq.listing.size()) r += " (" + seq.listing[k] + ")";
    return r;
}

std::string compare(const Sequence& seq, const GuestState& host, const GuestState& mimic) {
    static const char* const kNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    const bool mode64 = seq.mode64;
    std::string d;
    char line[128];
    // Where both stopped: the end, or the same exception at the same
    // instruction (an unmasked SIMD exception: SIGFPE on the host, #XM in
    // Mimic). The state below is then the state at the fault.
    const bool same_stop = host.fault_vector == mimic.fault_vector &&
                           (host.fault_vector < 0 || host.fault_offset == mimic.fault_offset);
    if (!same_stop) d += "  stopped: host at " + describe_stop(seq, host) + ", mimic at " + describe_stop(seq, mimic) + "\n";
    const uint32_t flag_mask = defined_flags(seq, host) & defined_flags(seq, mimic);
    for (int r = 0; r < (mode64 ? 16 : 8); ++r) {
        if (host.regs[r] != mimic.regs[r]) {
            std::snprintf(line, sizeof line, "  %s: host %016llx mimic %016llx\n", kNames[r],
                          static_cast<unsigned long long>(host.regs[r]), static_cast<unsigned long long>(mimic.regs[r]));
            d += line;
        }
    }
    if (host.gs_base != mimic.gs_base) {
        std::snprintf(line, sizeof line, "  gs base: host %016llx mimic %016llx\n",
                      static_cast<unsigned long long>(host.gs_base), static_cast<unsigned long long>(mimic.gs_base));
        d += line;
    }
    if ((host.eflags ^ mimic.eflags) & flag_mask) {
        std::snprintf(line, sizeof line, "  eflags (mask %03x): host %08x mimic %08x\n", flag_mask, host.eflags,
                      mimic.eflags);
        d += line;
    }
    // FCW FSW FTW, MXCSR, ST0-7 (80 bits each), XMM0-7 (XMM0-15 in 64-bit
    // mode). FOP/FIP/FDP are not compared: the host's point into its own
    // copy of the code.
    auto field = [&](const char* name, unsigned at, unsigned len) {
        if (std::memcmp(host.fpu + at, mimic.fpu + at, len) == 0) return;
        d += std::string("  ") + name + ": host";
        for (unsigned i = len; i-- > 0;) { std::snprintf(line, sizeof line, "%02x", host.fpu[at + i]); d += line; }
        d += " mimic ";
        for (unsigned i = len; i-- > 0;) { std::snprintf(line, sizeof line, "%02x", mimic.fpu[at + i]); d += line; }
        d += "\n";
    };
    field("fcw", 0, 2);
    field("fsw", 2, 2);
    field("ftw", 4, 1);
    field("mxcsr", 24, 4);
    static const char* const kSt[8] = {"st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"};
    static const char* const kXmm[16] = {"xmm0", "xmm1", "xmm2",  "xmm3",  "xmm4",  "xmm5",  "xmm6",  "xmm7",
                                         "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"};
    for (int i = 0; i < 8; ++i) field(kSt[i], 32 + 16 * i, 10);
    for (int i = 0; i < (mode64 ? 16 : 8); ++i) field(kXmm[i], 160 + 16 * i, 16);
    for (uint32_t i = 0; i < kBufSize; ++i) {
        if (host.buf[i] != mimic.buf[i]) {
            std::snprintf(line, sizeof line, "  mem[buf+%#x]: host %02x mimic %02x\n", i, host.buf[i], mimic.buf[i]);
            d += line;
            break;
        }
    }
    return d;
}

}  // namespace mimic::x86::diff
