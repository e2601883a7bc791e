// Runs the bare-metal programs of tests/guest/ the way `-bios` does: the
// 64 KiB image as ROM at 0xFFFF0000 with an alias at 0xF0000, reset, run
// until the program writes the debug-exit port. Both tcg back ends.
#include <fstream>
#include <iterator>

#include "cpu_harness.h"

#ifndef MIMIC_GUEST_DIR
#error "MIMIC_GUEST_DIR must name the directory of the assembled guest tests"
#endif

namespace mimic::x86::test {
namespace {

struct GuestCase {
    const char* name;
    TcgBackend backend;
};

class Guest : public CpuFixture {
protected:
    void run_image(const std::string& name) {
        std::ifstream f(std::string(MIMIC_GUEST_DIR) + "/" + name + ".bin", std::ios::binary);
        ASSERT_TRUE(f) << "missing image " << name;
        std::vector<uint8_t> image((std::istreambuf_iterator<char>(f)), {});
        ASSERT_EQ(image.size(), 0x10000u);
        rom_ = memory::MemoryRegion::make_rom("bios", image.size());
        std::copy(image.begin(), image.end(), rom_->host());
        alias_ = std::make_unique<memory::MemoryRegion>();
        alias_->init_alias("bios-low", *rom_, 0, image.size());
        system_->add_subregion(0xffff0000, *rom_);
        system_->add_subregion(0xf0000, *alias_, 1);
        cpu_->reset();
        for (int i = 0; i < 100000 && exit_code_ < 0; ++i) {
            ExitReason r = cpu_->run();
            if (r == ExitReason::kShutdown) break;
            if (r == ExitReason::kHalted && exit_code_ < 0) {
                ADD_FAILURE() << "halted without reporting; output so far:\n" << out_;
                break;
            }
        }
        EXPECT_EQ(exit_code_, 0) << "output:\n" << out_ << "\nstate:\n" << cpu_->dump_state() << std::hex << rd32(0x808) << " " << rd32(0x80c);
        EXPECT_NE(out_.find("PASS"), std::string::npos) << out_;
    }
    void TearDown() override {
        if (rom_) {
            system_->del_subregion(*alias_);
            system_->del_subregion(*rom_);
        }
    }
    std::unique_ptr<memory::MemoryRegion> rom_, alias_;
};

TEST_P(Guest, PmSwitch) { run_image("pm_switch"); }
TEST_P(Guest, Paging) { run_image("paging"); }
TEST_P(Guest, Privilege) { run_image("privilege"); }
TEST_P(Guest, SelfModifyingCode) { run_image("smc"); }
TEST_P(Guest, StoresBesideRunningCodeAndPatchesToIt) { run_image("smc_data"); }
TEST_P(Guest, StringsAcrossPages) { run_image("strings"); }
TEST_P(Guest, TaskSwitch) { run_image("task"); }
TEST_P(Guest, LongModePaging) { run_image("long_paging"); }
TEST_P(Guest, LongModeSystem) { run_image("long_sys"); }
TEST_P(Guest, Virtual8086) { run_image("v86"); }
TEST_P(Guest, FpuAndSse) { run_image("fpu"); }
TEST_P(Guest, FaultingStoresRestartCleanly) { run_image("restart"); }
TEST_P(Guest, InstructionBreakpoints) { run_image("debugreg"); }
TEST_P(Guest, CodeSegmentLimitIsPartOfTheBlockKey) { run_image("cslimit"); }
TEST_P(Guest, AlignmentCheck) { run_image("align_check"); }
TEST_P(Guest, BootMsrsReadAsQemuAnswersThem) { run_image("boot_msrs"); }
TEST_P(Guest, MachineCheckBanksAsQemuGivesThem) { run_image("mce_banks"); }
TEST_P(Guest, LarAndLslAcceptWhatTheyMayRead) { run_image("lar_lsl"); }
TEST_P(Guest, CollidingTlbEntriesAndTheirVictims) { run_image("tlb_victim"); }
TEST_P(Guest, ReturnsGoWhereTheStackSays) { run_image("return_stack"); }

INSTANTIATE_TEST_SUITE_P(Backends, Guest, kBackends, backend_name);

}  // namespace
}  // namespace mimic::x86::test
