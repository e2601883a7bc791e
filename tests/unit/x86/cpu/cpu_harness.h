// A tiny machine for CPU unit tests: RAM at 0, an I/O space with a debug
// port (0xE9, collected into a string) and an exit port (0xF4), guest code
// assembled from GNU as source at test time, and a loop that runs until HLT.
// Every test runs once per tcg back end (TEST_P over kBackends).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/util/log.h"
#include "mimic/x86/cpu.h"

namespace mimic::x86::test {

// Assembles `source` (AT&T syntax; prefix with ".code16" for 16-bit code)
// for address `org` with GNU as + ld and returns the flat binary.
inline std::vector<uint8_t> assemble(const std::string& source, uint32_t org) {
    char dir[] = "/tmp/mimic_cpu_test_XXXXXX";
    if (!mkdtemp(dir)) return {};
    std::string d = dir;
    {
        std::ofstream f(d + "/t.s");
        f << source << "\n";
    }
    char ldflags[64];
    std::snprintf(ldflags, sizeof ldflags, "-Ttext=0x%x", org);
    std::string cmd = "cd " + d + " && as --32 -o t.o t.s 2> err.txt && ld -m elf_i386 " + ldflags +
                      " -o t.elf t.o 2>> err.txt && objcopy -O binary -j .text t.elf t.bin 2>> err.txt";
    int rc = std::system(cmd.c_str());
    std::vector<uint8_t> bin;
    if (rc == 0) {
        std::ifstream f(d + "/t.bin", std::ios::binary);
        bin.assign(std::istreambuf_iterator<char>(f), {});
    } else {
        std::ifstream f(d + "/err.txt");
        std::string err((std::istreambuf_iterator<char>(f)), {});
        ADD_FAILURE() << "assembly failed:\n" << err;
    }
    if (std::system(("rm -rf " + d).c_str()) != 0) {}
    return bin;
}

class CpuFixture : public ::testing::TestWithParam<TcgBackend> {
protected:
    static constexpr uint64_t kRamSize = 16u << 20;

    void SetUp() override {
        // MIMIC_TEST_LOG=int,in_asm,cpu turns on Mimic's -d items while debugging a test.
        if (const char* items = std::getenv("MIMIC_TEST_LOG")) log::set_mask(log::parse_items(items));
        system_ = memory::MemoryRegion::make_container("system", UINT64_MAX);
        ram_ = memory::MemoryRegion::make_ram("ram", kRamSize);
        system_->add_subregion(0, *ram_);
        io_root_ = memory::MemoryRegion::make_container("io", 0x10000);
        memory::MmioOps con;
        con.write = [this](uint64_t, uint64_t v, unsigned) { out_ += static_cast<char>(v); };
        con.read = [](uint64_t, unsigned) -> uint64_t { return 0xe9; };
        con.valid = {1, 4, false};
        memory::MmioOps exit = con;
        exit.write = [this](uint64_t, uint64_t v, unsigned) {
            exit_code_ = static_cast<int>(v);
            cpu_->request_exit();   // like isa-debug-exit: the machine stops right here
        };
        debug_port_ = memory::MemoryRegion::make_io("debugcon", 1, con);
        exit_port_ = memory::MemoryRegion::make_io("debug-exit", 4, exit);
        io_root_->add_subregion(0xe9, *debug_port_);
        io_root_->add_subregion(0xf4, *exit_port_);
        mem_ = std::make_unique<memory::AddressSpace>(*system_, "memory");
        io_ = std::make_unique<memory::AddressSpace>(*io_root_, "I/O");
        CpuConfig cfg;
        cfg.backend = GetParam();
        CpuHooks hooks;
        hooks.reset_request = [this] { ++resets_; };
        cpu_ = create_cpu(cfg, *mem_, *io_, hooks);
    }

    CpuState& st() { return cpu_->state(); }
    uint8_t* ram() { return ram_->host(); }
    void load(uint32_t addr, const std::vector<uint8_t>& bytes) { std::copy(bytes.begin(), bytes.end(), ram() + addr); }
    uint32_t rd32(uint32_t addr) { uint32_t v; std::memcpy(&v, ram() + addr, 4); return v; }
    void wr32(uint32_t addr, uint32_t v) { std::memcpy(ram() + addr, &v, 4); }

    // Real mode at 0000:org with the code assembled from `source`.
    void real_mode(const std::string& source, uint16_t org = 0x1000) {
        load(org, assemble(".code16\n" + source, org));
        st().seg[kCS] = SegmentCache{0, 0, 0xffff, 0x9b00};
        st().eip = org;
        st().regs[kRSP] = 0x8000;
        update();
    }

    // 32-bit flat protected mode, CPL 0, paging off, code at `org`. The GDT
    // lives at 0x500: 0x08 code, 0x10 data (both flat).
    void protected_mode(const std::string& source, uint32_t org = 0x10000) {
        load(org, assemble(".code32\n" + source, org));
        wr32(0x500, 0); wr32(0x504, 0);
        wr32(0x508, 0x0000ffff); wr32(0x50c, 0x00cf9b00);
        wr32(0x510, 0x0000ffff); wr32(0x514, 0x00cf9300);
        st().gdtr = TableRegister{0x500, 0x17};
        st().cr[0] |= 1;
        st().seg[kCS] = SegmentCache{0x08, 0, 0xffffffff, 0x00cf9b00};
        for (int s : {kDS, kES, kSS, kFS, kGS}) st().seg[s] = SegmentCache{0x10, 0, 0xffffffff, 0x00cf9300};
        st().eip = org;
        st().regs[kRSP] = 0x80000;
        update();
    }

    void update() { cpu_->state_changed(); }

    // Runs until HLT (or a shutdown); returns false if it did not halt.
    bool run(int max_runs = 1000) {
        for (int i = 0; i < max_runs; ++i) {
            ExitReason r = cpu_->run();
            if (r == ExitReason::kHalted) return true;
            if (r == ExitReason::kShutdown) return false;
        }
        return false;
    }

    uint32_t reg(int r) { return static_cast<uint32_t>(st().regs[r]); }
    uint32_t eflags() { return cpu_->eflags(); }

    std::unique_ptr<memory::MemoryRegion> system_, ram_, io_root_, debug_port_, exit_port_;
    std::unique_ptr<memory::AddressSpace> mem_, io_;
    std::unique_ptr<X86Cpu> cpu_;
    std::string out_;
    int exit_code_ = -1;
    int resets_ = 0;
};

inline const auto kBackends = ::testing::Values(TcgBackend::kJit, TcgBackend::kInterp);
inline std::string backend_name(const ::testing::TestParamInfo<TcgBackend>& info) {
    return info.param == TcgBackend::kJit ? "jit" : "interp";
}

}  // namespace mimic::x86::test
