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
#include "runner.h"

#include <sys/mman.h>
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
constexpr uint32_t kFpuIn = kBufBase + 0x1400;     // FXSAVE images (16-byte aligned)
constexpr uint32_t kFpuOut = kBufBase + 0x1600;
constexpr unsigned kFpuPrologue = 7, kFpuEpilogue = 7;   // fxrstor/fxsave [disp32]
constexpr uint16_t kUser32Cs = 0x23, kUserDs = 0x2b, kUserCs = 0x33;

struct Emitter {
    uint8_t* p;
    void b(std::initializer_list<uint8_t> bytes) { for (uint8_t v : bytes) *p++ = v; }
    void d32(uint32_t v) { std::memcpy(p, &v, 4); p += 4; }
    void d16(uint16_t v) { std::memcpy(p, &v, 2); p += 2; }
};

void write_host_code(uint8_t* base, const Sequence& seq) {
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
    std::memcpy(e.p, seq.code.data(), seq.code.size());
    e.p += seq.code.size();
    e.b({0x0f, 0xae, 0x05}); e.d32(kFpuOut);                              // fxsave [fpu_out]
    for (int r = 0; r < 8; ++r) { e.b({0x89, kModrm[r]}); e.d32(kStateOut + 4 * r); }  // mov [out], reg
    e.b({0xbc}); e.d32(kStackTop);
    e.b({0x9c, 0x8f, 0x05}); e.d32(kStateOut + 32);                       // pushfd; pop [out]
    e.b({0xea}); e.d32(kBack64); e.d16(kUserCs);                          // ljmp $0x33, back64

    uint8_t* fp = base + (kFarPtr - kCodeBase);
    uint32_t off = kCompat;
    std::memcpy(fp, &off, 4);
    std::memcpy(fp + 4, &kUser32Cs, 2);
}

// 64-bit sequences: a 64-bit stub loads all sixteen registers and RFLAGS
// and jumps to the sequence at kSeqBase (where Mimic runs it too, so
// RIP-relative LEA agrees); the epilogue right after it stores them.
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
    uint8_t* jmp_end = e.p + 5;
    e.b({0xe9}); e.d32(static_cast<uint32_t>(kSeqBase - (kCodeBase + (jmp_end - base))));   // jmp seq
    e = at(kSeqBase);
    std::memcpy(e.p, seq.code.data(), seq.code.size());
    e.p += seq.code.size();
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
void random_fpu_state(std::mt19937_64& rng, uint8_t* img) {
    std::memset(img, 0, 512);
    auto put16 = [&](unsigned at, uint16_t v) { std::memcpy(img + at, &v, 2); };
    put16(0, static_cast<uint16_t>(0x7f | ((rng() % 4) << 8) | ((rng() % 4) << 10)));   // FCW
    put16(2, static_cast<uint16_t>((rng() % 8) << 11));                                  // FSW: TOP
    img[4] = rng() % 3 ? 0xff : static_cast<uint8_t>(rng());                            // abridged tags
    uint32_t mxcsr = 0x1f80 | static_cast<uint32_t>((rng() % 4) << 13);
    if (rng() % 4 == 0) mxcsr |= 0x40;     // DAZ
    if (rng() % 4 == 0) mxcsr |= 0x8000;   // FTZ
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

}  // namespace

GuestState initial_state(uint64_t seed, bool mode64) {
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
    s.regs[3] = kBufBase;
    s.regs[4] = kStackTop;
    s.regs[5] = 16;
    s.eflags = (static_cast<uint32_t>(rng()) & kFlagsMask) | 0x202;
    for (auto& v : s.buf) v = static_cast<uint8_t>(rng());
    return s;
}

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
        std::memcpy(base + (kBufBase - kCodeBase), in.buf, kBufSize);
        if (seq.mode64) {
            write_host_code64(base, seq);
            std::memcpy(base + (kStateIn - kCodeBase), in.regs, 128);
            uint64_t fl = in.eflags;
            std::memcpy(base + (kStateIn + 128 - kCodeBase), &fl, 8);
            reinterpret_cast<void (*)()>(p)();
            std::memcpy(o->regs, base + (kStateOut - kCodeBase), 128);
            std::memcpy(&o->eflags, base + (kStateOut + 128 - kCodeBase), 4);
        } else {
            write_host_code(base, seq);
            for (int r = 0; r < 8; ++r) {
                uint32_t v = static_cast<uint32_t>(in.regs[r]);
                std::memcpy(base + (kStateIn + 4 * r - kCodeBase), &v, 4);
            }
            std::memcpy(base + (kStateIn + 32 - kCodeBase), &in.eflags, 4);
            std::memcpy(base + (kFpuIn - kCodeBase), in.fpu, 512);
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
    // fxrstor [fpu_in]; the sequence; fxsave [fpu_out]; hlt. 64-bit
    // sequences start at kSeqBase itself, as on the host, and end with hlt.
    uint8_t* code = ram + kSeqBase;
    const uint8_t rstor[3] = {0x0f, 0xae, 0x0d}, save[3] = {0x0f, 0xae, 0x05};
    const unsigned prologue = seq.mode64 ? 0 : kFpuPrologue, epilogue = seq.mode64 ? 0 : kFpuEpilogue;
    std::memcpy(code, rstor, 3);
    std::memcpy(code + 3, &kFpuIn, 4);
    std::memcpy(code + prologue, seq.code.data(), seq.code.size());
    uint8_t* end = code + prologue + seq.code.size();
    std::memcpy(end, save, 3);
    std::memcpy(end + 3, &kFpuOut, 4);
    end[epilogue] = 0xf4;
    std::memcpy(ram + kFpuIn, in.fpu, 512);
    std::memcpy(ram + kBufBase, in.buf, kBufSize);
    // Flat 32-bit protected mode, CPL 0.
    uint32_t gdt[6] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
    std::memcpy(ram + 0x500, gdt, sizeof gdt);
    CpuState& st = cpu.state();
    st.gdtr = TableRegister{0x500, 0x17};
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
    st.eip = kSeqBase;
    cpu.state_changed();
    cpu.set_eflags(in.eflags);
    ExitReason why = cpu.run();
    if (why != ExitReason::kHalted || st.eip != kSeqBase + prologue + seq.code.size() + epilogue + 1) {
        error = "mimic stopped at eip " + std::to_string(st.eip) + " (exception?)";
        return false;
    }
    for (int r = 0; r < 16; ++r) out.regs[r] = seq.mode64 ? st.regs[r] : r < 8 ? static_cast<uint32_t>(st.regs[r]) : 0;
    out.eflags = cpu.eflags();
    std::memcpy(out.buf, ram + kBufBase, kBufSize);
    if (!seq.mode64) std::memcpy(out.fpu, ram + kFpuOut, 512);
    return true;
}

std::string compare(const GuestState& host, const GuestState& mimic, uint32_t flag_mask, bool mode64) {
    static const char* const kNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    std::string d;
    char line[128];
    for (int r = 0; r < (mode64 ? 16 : 8); ++r) {
        if (host.regs[r] != mimic.regs[r]) {
            std::snprintf(line, sizeof line, "  %s: host %016llx mimic %016llx\n", kNames[r],
                          static_cast<unsigned long long>(host.regs[r]), static_cast<unsigned long long>(mimic.regs[r]));
            d += line;
        }
    }
    if ((host.eflags ^ mimic.eflags) & flag_mask) {
        std::snprintf(line, sizeof line, "  eflags (mask %03x): host %08x mimic %08x\n", flag_mask, host.eflags,
                      mimic.eflags);
        d += line;
    }
    // FCW FSW FTW, MXCSR, ST0-7 (80 bits each), XMM0-7. FOP/FIP/FDP are not
    // compared: the host's point into its own copy of the code.
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
    static const char* const kXmm[8] = {"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"};
    for (int i = 0; i < 8; ++i) field(kSt[i], 32 + 16 * i, 10);
    for (int i = 0; i < 8; ++i) field(kXmm[i], 160 + 16 * i, 16);
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
