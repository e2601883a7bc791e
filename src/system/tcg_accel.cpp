#include "mimic/system/tcg_accel.h"

#include <condition_variable>
#include <mutex>
#include <atomic>
#include <thread>

#include <unistd.h>

#include "mimic/main_loop/bql.h"
#include "mimic/util/error.h"

namespace mimic::system {

class TcgAccel::Impl {
public:
    Impl(hw::Machine& machine, RunControl& run_control, const cli::Opts& accel, const x86::CpuModel& model)
        : run_control_(run_control) {
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
        x86::CpuConfig config;
        config.model = model;
        std::string backend = accel.get_or("backend", "jit");
        if (backend == "interp") {
            config.backend = x86::TcgBackend::kInterp;
        } else if (backend != "jit") {
            throw Error("Parameter 'backend' does not accept value '{}' (jit or interp)", backend);
        }
        std::string thread = accel.get_or("thread", "single");
        if (thread != "single" && thread != "multi")
            throw Error("Invalid 'thread' setting {}", thread);
        config.single_step_blocks = accel.get_bool("one-insn-per-tb").value_or(false);

        x86::CpuHooks hooks;
        hooks.reset_request = [this] { run_control_.request_reset(ShutdownCause::kGuestReset); };
        hooks.lock_bql = [] { bql_lock(); };
        hooks.unlock_bql = [] { bql_unlock(); };
        cpu_ = x86::create_cpu(config, machine.memory_space(), machine.io_space(), std::move(hooks));
        thread_ = std::thread([this] { vcpu_loop(); });
    }

    ~Impl() {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
            run_ = false;
        }
        cpu_->request_exit();
        wake_.notify_all();
        // The vCPU may be waiting for the BQL inside a device access.
        BqlUnlockGuard unlocked;
        thread_.join();
    }

    x86::X86Cpu& cpu() { return *cpu_; }

    void resume() {
        std::lock_guard lock(mutex_);
        run_ = true;
        wake_.notify_all();
    }

    void pause() {
        {
            std::lock_guard lock(mutex_);
            run_ = false;
        }
        cpu_->request_exit();
        wake_.notify_all();
        // Wait for the vCPU to park; it may need the BQL to get there.
        BqlUnlockGuard unlocked;
        std::unique_lock lock(mutex_);
        parked_changed_.wait(lock, [this] { return parked_ || quit_; });
    }

    void reset() { cpu_->reset(); }

    void set_irq_line(bool level) {
        cpu_->set_irq_line(level);
        std::lock_guard lock(mutex_);
        irq_ = level;
        wake_.notify_all();
    }

private:
    void vcpu_loop() {
        thread_id_ = static_cast<int64_t>(::gettid());
        std::unique_lock lock(mutex_);
        for (;;) {
            if (!run_) {
                parked_ = true;
                parked_changed_.notify_all();
                wake_.wait(lock, [this] { return run_ || quit_; });
                parked_ = false;
            }
            if (quit_) break;
            lock.unlock();
            x86::ExitReason reason = cpu_->run();
            lock.lock();
            if (reason == x86::ExitReason::kHalted) {
                // HLT: sleep until an interrupt arrives or we are paused. A
                // line that is already high but masked (IF=0) is re-checked
                // now and then rather than spun on.
                auto stop = [this] { return !run_ || quit_; };
                if (irq_) {
                    wake_.wait_for(lock, std::chrono::milliseconds(1), stop);
                } else {
                    wake_.wait(lock, [this] { return irq_ || !run_ || quit_; });
                }
            } else if (reason == x86::ExitReason::kShutdown) {
                // Triple fault: the reset request is posted; park until the
                // main loop has reset the machine and resumes us.
                wake_.wait(lock, [this] { return !run_ || quit_; });
            }
        }
        parked_ = true;
        parked_changed_.notify_all();
    }

    RunControl& run_control_;
    std::unique_ptr<x86::X86Cpu> cpu_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_, parked_changed_;
    bool run_ = false;
    bool quit_ = false;
    bool parked_ = false;
    bool irq_ = false;

public:
    std::atomic<int64_t> thread_id_{0};
};

TcgAccel::TcgAccel(hw::Machine& machine, RunControl& run_control, const cli::Opts& accel,
                   const x86::CpuModel& model)
    : impl_(std::make_unique<Impl>(machine, run_control, accel, model)) {}
TcgAccel::~TcgAccel() = default;
x86::X86Cpu& TcgAccel::cpu() { return impl_->cpu(); }
void TcgAccel::resume() { impl_->resume(); }
void TcgAccel::pause() { impl_->pause(); }
int64_t TcgAccel::thread_id() const { return impl_->thread_id_.load(); }
void TcgAccel::reset() { impl_->reset(); }
void TcgAccel::set_irq_line(bool level) { impl_->set_irq_line(level); }

}  // namespace mimic::system
