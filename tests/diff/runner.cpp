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
    std::memcpy(e.p, seq.code.data(), seq.code.size());
    e.p += seq.code.size();
    for (int r = 0; r < 8; ++r) { e.b({0x89, kModrm[r]}); e.d32(kStateOut + 4 * r); }  // mov [out], reg
    e.b({0xbc}); e.d32(kStackTop);
    e.b({0x9c, 0x8f, 0x05}); e.d32(kStateOut + 32);                       // pushfd; pop [out]
    e.b({0xea}); e.d32(kBack64); e.d16(kUserCs);                          // ljmp $0x33, back64

    uint8_t* fp = base + (kFarPtr - kCodeBase);
    uint32_t off = kCompat;
    std::memcpy(fp, &off, 4);
    std::memcpy(fp + 4, &kUser32Cs, 2);
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
        m->cpu = create_cpu(cfg, *m->mem, *m->io, CpuHooks{});
    }
    return *m;
}

}  // namespace

GuestState initial_state(uint64_t seed) {
    std::mt19937_64 rng(seed ^ 0x5eed5eed5eedull);
    GuestState s{};
    for (uint32_t& r : s.regs) r = static_cast<uint32_t>(rng());
    // Interesting values now and then: 0, -1, sign boundaries.
    static const uint32_t kSpecial[] = {0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0x8000, 0x7f, 0xff};
    for (int r : {0, 1, 2, 6, 7})
        if (rng() % 4 == 0) s.regs[r] = kSpecial[rng() % 8];
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
        write_host_code(base, seq);
        std::memcpy(base + (kBufBase - kCodeBase), in.buf, kBufSize);
        std::memcpy(base + (kStateIn - kCodeBase), in.regs, 32);
        std::memcpy(base + (kStateIn + 32 - kCodeBase), &in.eflags, 4);
        reinterpret_cast<void (*)()>(p)();
        auto* o = static_cast<GuestState*>(shared);
        std::memcpy(o->regs, base + (kStateOut - kCodeBase), 32);
        std::memcpy(&o->eflags, base + (kStateOut + 32 - kCodeBase), 4);
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
    std::memcpy(ram + kSeqBase, seq.code.data(), seq.code.size());
    ram[kSeqBase + seq.code.size()] = 0xf4;   // hlt
    std::memcpy(ram + kBufBase, in.buf, kBufSize);
    // Flat 32-bit protected mode, CPL 0.
    uint32_t gdt[6] = {0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300};
    std::memcpy(ram + 0x500, gdt, sizeof gdt);
    CpuState& st = cpu.state();
    st.gdtr = TableRegister{0x500, 0x17};
    st.cr[0] |= 1;
    st.seg[kCS] = SegmentCache{0x08, 0, 0xffffffff, 0x00cf9b00};
    for (int s : {kDS, kES, kSS, kFS, kGS}) st.seg[s] = SegmentCache{0x10, 0, 0xffffffff, 0x00cf9300};
    for (int r = 0; r < 8; ++r) st.regs[r] = in.regs[r];
    st.eip = kSeqBase;
    cpu.state_changed();
    cpu.set_eflags(in.eflags);
    ExitReason why = cpu.run();
    if (why != ExitReason::kHalted || st.eip != kSeqBase + seq.code.size() + 1) {
        error = "mimic stopped at eip " + std::to_string(st.eip) + " (exception?)";
        return false;
    }
    for (int r = 0; r < 8; ++r) out.regs[r] = static_cast<uint32_t>(st.regs[r]);
    out.eflags = cpu.eflags();
    std::memcpy(out.buf, ram + kBufBase, kBufSize);
    return true;
}

std::string compare(const GuestState& host, const GuestState& mimic, uint32_t flag_mask) {
    static const char* const kNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    std::string d;
    char line[128];
    for (int r = 0; r < 8; ++r) {
        if (host.regs[r] != mimic.regs[r]) {
            std::snprintf(line, sizeof line, "  %s: host %08x mimic %08x\n", kNames[r], host.regs[r], mimic.regs[r]);
            d += line;
        }
    }
    if ((host.eflags ^ mimic.eflags) & flag_mask) {
        std::snprintf(line, sizeof line, "  eflags (mask %03x): host %08x mimic %08x\n", flag_mask, host.eflags,
                      mimic.eflags);
        d += line;
    }
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
