#include "tcg_accel.h"

#include "../translated_cpu_model.h"

#include <condition_variable>
#include <mutex>
#include <atomic>
#include <thread>
#include <vector>

#include <unistd.h>

#include "mimic/cli/vm_config.h"
#include "mimic/hw/apic.h"
#include "mimic/hw/board_signals.h"
#include "mimic/hw/machine.h"
#include "mimic/main_loop/bql.h"
#include "mimic/system/runstate.h"
#include "mimic/util/error.h"
#include "mimic/x86/cpu.h"
#include "mimic/x86/mce.h"

namespace mimic::accel {
namespace {

class TcgAccel final : public Accelerator {
public:
    explicit TcgAccel(const cli::Opts& accel) {
        static const cli::OptDesc kTcgDescs[] = {
            {"accel", cli::OptType::kString, "accelerator"},
            {"backend", cli::OptType::kString, "jit or interp"},
            {"thread", cli::OptType::kString, "single or multi"},
            {"one-insn-per-tb", cli::OptType::kBool, "translate one instruction per block"},
        };
        for (const cli::KeyValue& entry : accel.entries()) {
            bool known = false;
            for (const cli::OptDesc& desc : kTcgDescs) known |= entry.key == desc.name;
            if (!known) throw Error("Property 'tcg-accel.{}' not found", entry.key);
        }
        std::string backend = accel.get_or("backend", "jit");
        if (backend == "interp") {
            config_.backend = x86::TcgBackend::kInterp;
        } else if (backend != "jit") {
            throw Error("Parameter 'backend' does not accept value '{}' (jit or interp)", backend);
        }
        std::string thread = accel.get_or("thread", "single");
        if (thread != "single" && thread != "multi")
            throw Error("Invalid 'thread' setting {}", thread);
        config_.single_step_blocks = accel.get_bool("one-insn-per-tb").value_or(false);
    }

    std::string_view name() const override { return "tcg"; }

    x86::CpuModel parse_cpu_model(std::string_view spec, std::vector<std::string>& warnings) const override {
        return parse_translated_cpu_model(spec, warnings);
    }

    void attach(const AttachContext& context) override {
        hw::Machine& machine = context.machine;
        system::RunControl* run_control = &context.run_control;
        x86::CpuConfig config = config_;
        config.model = context.cpu_model;
        const cli::SmpConfig& smp = context.config.smp;
        const unsigned cpus = smp.cpus;
        x86::CpuHooks hooks;
        hooks.reset_request = [run_control] { run_control->request_reset(system::ShutdownCause::kGuestReset); };
        hooks.lock_bql = [] { bql_lock(); };
        hooks.unlock_bql = [] { bql_unlock(); };
        hw::ApicBus* apics = hw::apic_bus(machine);
        for (unsigned i = 0; i < cpus; ++i) {
            config.apic_id = i;
            config.bsp = i == 0;
            config.cpu_count = cpus;
            config.threads_per_core = smp.threads;
            config.cores_per_die = smp.cores;
            config.dies_per_package = smp.dies;
            cpus_.push_back(x86::create_cpu(config, machine.memory_space(), machine.io_space(), hooks,
                                            cpus_.empty() ? nullptr : cpus_.front().get()));
            idle_.push_back(false);
            if (!apics || static_cast<int>(i) >= apics->cpu_count()) continue;
            x86::X86Cpu* cpu = cpus_.back().get();
            cpu->set_local_apic(&apics->cpu_apic(static_cast<int>(i)));
            hw::ApicCpuPort port;
            port.intr = [this, cpu](bool level) {
                cpu->set_irq_line(level);
                if (level) kick();
            };
            port.nmi = [this, cpu] {
                cpu->raise_nmi();
                kick();
            };
            port.init = [this, cpu] {
                cpu->send_init();
                kick();
            };
            port.sipi = [this, cpu](uint8_t vector) {
                cpu->send_sipi(vector);
                kick();
            };
            apics->connect_cpu(static_cast<int>(i), std::move(port));
        }
        hw::BoardSignals& signals = hw::board_signals(machine);
        if (!apics) {
            // No local APICs: the board's PIC drives CPU 0's INTR directly.
            if (signals.interrupt_controller) cpus_.front()->set_interrupt_controller(signals.interrupt_controller);
            signals.cpu_intr = [this](bool level) { set_irq_line(level); };
        }
        signals.set_a20 = [this](bool enabled) {
            for (auto& cpu : cpus_) cpu->set_a20(enabled);
        };
        thread_ = std::thread([this] { vcpu_loop(); });
        // query-cpus-fast may ask for the thread id at once.
        thread_id_.wait(0);
        if (cpus_.size() > 1) kicker_ = std::thread([this] { kick_loop(); });
    }

    ~TcgAccel() override {
        if (!thread_.joinable()) return;
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
            run_ = false;
        }
        for (auto& cpu : cpus_) cpu->request_exit();
        wake_.notify_all();
        // The vCPU may be waiting for the BQL inside a device access.
        BqlUnlockGuard unlocked;
        thread_.join();
        if (kicker_.joinable()) kicker_.join();
    }

    unsigned cpu_count() const override { return static_cast<unsigned>(cpus_.size()); }

    const x86::CpuState& synchronize_state(unsigned cpu) override { return cpus_.at(cpu)->state(); }
    uint32_t cpu_eflags(unsigned cpu) override { return cpus_.at(cpu)->eflags(); }
    // All vCPUs take turns on the one thread (as QEMU's single-threaded TCG reports).
    int64_t cpu_thread_id(unsigned) const override { return thread_id_.load(); }

    bool can_inject_mce() const override { return true; }
    x86::MceOutcome inject_mce(unsigned cpu, const x86::MceInjection& injection) override {
        x86::X86Cpu& target = *cpus_.at(cpu);
        x86::MceOutcome outcome = x86::inject_mce(target.state(), injection, static_cast<int>(cpu));
        if (outcome.action == x86::MceAction::kRaise) target.raise_machine_check();
        return outcome;
    }

    void resume() override {
        std::lock_guard lock(mutex_);
        run_ = true;
        wake_.notify_all();
    }

    void pause() override {
        {
            std::lock_guard lock(mutex_);
            run_ = false;
        }
        for (auto& cpu : cpus_) cpu->request_exit();
        wake_.notify_all();
        // Wait for the vCPU to park; it may need the BQL to get there.
        BqlUnlockGuard unlocked;
        std::unique_lock lock(mutex_);
        parked_changed_.wait(lock, [this] { return parked_ || quit_; });
    }

    void reset() override {
        for (auto& cpu : cpus_) cpu->reset();
    }

private:
    // The 8259's INTR straight to CPU 0 (boards without APICs; any thread).
    void set_irq_line(bool level) {
        cpus_.front()->set_irq_line(level);
        std::lock_guard lock(mutex_);
        irq_ = level;
        work_ = true;
        wake_.notify_all();
    }

    // Something for a vCPU to do arrived (an interrupt, INIT, SIPI).
    void kick() {
        std::lock_guard lock(mutex_);
        work_ = true;
        wake_.notify_all();
    }

    // All vCPUs take turns on this one thread. A vCPU runs until it halts or
    // is asked to exit; with several, the kicker ends each turn after a
    // time slice so that spinning on a lock held by another vCPU progresses.
    void vcpu_loop() {
        thread_id_ = static_cast<int64_t>(::gettid());
        thread_id_.notify_all();
        std::unique_lock lock(mutex_);
        size_t next = 0;
        for (;;) {
            if (!run_) {
                parked_ = true;
                parked_changed_.notify_all();
                wake_.wait(lock, [this] { return run_ || quit_; });
                parked_ = false;
            }
            if (quit_) break;
            work_ = false;
            bool all_idle = true;
            bool shutdown = false;
            for (size_t n = 0; n < cpus_.size() && run_ && !quit_; ++n) {
                size_t i = (next + n) % cpus_.size();
                running_ = i;
                lock.unlock();
                hw::set_current_cpu(static_cast<int>(i));
                x86::ExitReason reason = cpus_[i]->run();
                lock.lock();
                idle_[i] = reason == x86::ExitReason::kHalted;
                all_idle &= idle_[i];
                if (reason == x86::ExitReason::kShutdown) {
                    shutdown = true;
                    break;
                }
            }
            next = (next + 1) % cpus_.size();
            if (shutdown) {
                // Triple fault: the reset request is posted; park until the
                // main loop has reset the machine and resumes us.
                wake_.wait(lock, [this] { return !run_ || quit_; });
            } else if (all_idle) {
                // Every vCPU is in HLT: sleep until an interrupt arrives or we
                // are paused. A line that is already high but masked (IF=0)
                // is re-checked now and then rather than spun on.
                auto stop = [this] { return !run_ || quit_ || work_; };
                if (irq_) {
                    wake_.wait_for(lock, std::chrono::milliseconds(1), stop);
                } else {
                    wake_.wait_for(lock, std::chrono::milliseconds(10), stop);
                }
            }
        }
        parked_ = true;
        parked_changed_.notify_all();
    }

    // Ends the running vCPU's time slice every kSlice (more than one vCPU).
    void kick_loop() {
        constexpr auto kSlice = std::chrono::milliseconds(2);
        std::unique_lock lock(mutex_);
        while (!quit_) {
            wake_.wait_for(lock, kSlice, [this] { return quit_; });
            if (quit_) break;
            if (run_ && !parked_) cpus_[running_]->request_exit();
        }
    }

    x86::CpuConfig config_;
    std::vector<std::unique_ptr<x86::X86Cpu>> cpus_;
    std::vector<bool> idle_;
    std::thread thread_, kicker_;
    std::mutex mutex_;
    std::condition_variable wake_, parked_changed_;
    bool run_ = false;
    bool quit_ = false;
    bool parked_ = false;
    bool irq_ = false;
    bool work_ = false;
    size_t running_ = 0;
    std::atomic<int64_t> thread_id_{0};
};

}  // namespace

std::unique_ptr<Accelerator> create_tcg_accel(const AccelOptions& options) {
    return std::make_unique<TcgAccel>(options.options);
}

}  // namespace mimic::accel
