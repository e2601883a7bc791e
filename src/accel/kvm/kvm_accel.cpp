#include "kvm_accel.h"

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "kvm_cpuid.h"
#include "kvm_irqchip.h"
#include "kvm_memory_slots.h"
#include "kvm_userspace_irq.h"
#include "kvm_vcpu.h"
#include "kvm_vm.h"
#include "mimic/cli/command_line.h"
#include "mimic/cli/vm_config.h"
#include "mimic/hw/apic.h"
#include "mimic/hw/machine.h"
#include "mimic/main_loop/bottom_half.h"
#include "mimic/main_loop/bql.h"
#include "mimic/memory/address_space.h"
#include "mimic/system/runstate.h"
#include "mimic/util/error.h"
#include "mimic/x86/cpu_dump.h"

namespace mimic::accel {
namespace {

using kvm::KvmVcpu;

// The signal that knocks a vCPU thread out of KVM_RUN (QEMU's SIG_IPI).
constexpr int kKickSignal = SIGUSR1;

void install_kick_handler() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction action{};
        action.sa_handler = [](int) {};
        sigemptyset(&action.sa_mask);
        sigaction(kKickSignal, &action, nullptr);   // no SA_RESTART: KVM_RUN returns EINTR
    });
}

enum class IrqchipMode { kOn, kOff, kSplit };

IrqchipMode parse_irqchip(const std::string& value) {
    if (value == "on" || value == "yes" || value == "true") return IrqchipMode::kOn;
    if (value == "off" || value == "no" || value == "false") return IrqchipMode::kOff;
    if (value == "split") return IrqchipMode::kSplit;
    throw Error("Parameter 'kernel-irqchip' does not accept value '{}'", value);
}

// QEMU's warn_report(), with the option it comes from.
void warn(const std::string& location, const std::string& text) {
    std::fprintf(stderr, "%s: %s%swarning: %s\n", cli::kProgramName, location.c_str(), location.empty() ? "" : ": ",
                 text.c_str());
}

class KvmAccel final : public Accelerator {
public:
    KvmAccel(const cli::Opts& options, const cli::VmConfig& config, const std::string& location) {
        for (const cli::KeyValue& entry : options.entries()) {
            if (entry.key == "accel") continue;
            if (entry.key == "kernel-irqchip") {
                irqchip_mode_ = parse_irqchip(entry.value);
            } else if (entry.key == "dirty-ring-size" || entry.key == "kvm-shadow-mem" ||
                       entry.key == "notify-vmexit" || entry.key == "notify-window") {
                throw Error("Property 'kvm-accel.{}' is not supported yet", entry.key);
            } else {
                throw Error("Property 'kvm-accel.{}' not found", entry.key);
            }
        }
        // -machine kernel-irqchip= is the same property, on the machine.
        if (auto value = config.machine.opts.get("kernel-irqchip")) irqchip_mode_ = parse_irqchip(*value);
        if (irqchip_mode_ == IrqchipMode::kSplit) throw Error("kernel-irqchip=split is not supported yet");
        if (irqchip_mode_ == IrqchipMode::kOff) {
            // QEMU 7.2's words for it.
            warn("", "Userspace local APIC is deprecated for KVM.");
            warn("", "Do not use kernel-irqchip except for the -M isapc machine type.");
        }

        vm_ = std::make_unique<kvm::KvmVm>();
        // QEMU's limits: KVM's recommended count warns, its maximum refuses.
        int soft = vm_->check_extension(KVM_CAP_NR_VCPUS);
        int hard = vm_->check_extension(KVM_CAP_MAX_VCPUS);
        if (soft <= 0) soft = 4;
        if (hard <= 0) hard = soft;
        const std::pair<const char*, unsigned> counts[] = {{"SMP", config.smp.cpus},
                                                           {"hotpluggable", config.smp.max_cpus}};
        for (const auto& [what, count] : counts) {
            if (count <= static_cast<unsigned>(soft)) continue;
            warn(location, fmt::format("Number of {} cpus requested ({}) exceeds the recommended cpus supported by KVM ({})",
                             what, count, soft));
            if (count > static_cast<unsigned>(hard)) {
                std::fprintf(stderr, "Number of %s cpus requested (%u) exceeds the maximum cpus supported by KVM (%d)\n",
                             what, count, hard);
                throw ReportedError();
            }
        }
        if (config.overcommit_cpu_pm) {
            // HLT, MWAIT, PAUSE and C-states stay in the guest, as far as KVM allows.
            int disable = vm_->check_extension(KVM_CAP_X86_DISABLE_EXITS);
            disable &= KVM_X86_DISABLE_EXITS_MWAIT | KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE |
                       KVM_X86_DISABLE_EXITS_CSTATE;
            kvm_enable_cap cap{};
            cap.cap = KVM_CAP_X86_DISABLE_EXITS;
            cap.args[0] = static_cast<uint64_t>(disable);
            if (int r = vm_->vm_ioctl(KVM_ENABLE_CAP, &cap); r < 0)
                std::fprintf(stderr, "%s: kvm: guest stopping CPU not supported: %s\n", cli::kProgramName,
                             errno_string(-r).c_str());
        }
        cpuid_ = std::make_unique<kvm::KvmCpuid>(*vm_);
    }

    ~KvmAccel() override {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
            run_ = false;
            for (auto& vcpu : vcpus_) vcpu->run_area().immediate_exit = 1;
        }
        wake_.notify_all();
        kick_all();
        // A vCPU may be waiting for the BQL inside an exit.
        {
            BqlUnlockGuard unlocked;
            for (std::thread& thread : threads_) thread.join();
        }
        // The APICs outlive us: they must not reach into what goes now.
        if (apic_bus_) {
            for (size_t i = 0; i < userspace_irqs_.size(); ++i) {
                hw::ApicCpuPort idle;
                idle.intr = [](bool) {};
                idle.nmi = [] {};
                idle.init = [] {};
                idle.sipi = [](uint8_t) {};
                apic_bus_->connect_cpu(static_cast<int>(i), std::move(idle));
            }
        }
    }

    std::string_view name() const override { return "kvm"; }

    x86::CpuModel parse_cpu_model(std::string_view spec, std::vector<std::string>& warnings) const override {
        if (spec == "host" || spec.starts_with("host,")) {
            if (spec != "host") throw Error("-cpu host takes no feature settings yet");
            return host_model();
        }
        return x86::parse_cpu_model_for_host(spec, cpuid_->available_features(), warnings);
    }

    void configure_machine(hw::Machine& machine) override {
        machine.add_e820_reservation({kvm::KvmVm::kReservedAddress, kvm::KvmVm::kReservedLength});
        machine.set_kernel_irqchip(irqchip_mode_ == IrqchipMode::kOn);
    }

    void attach(const AttachContext& context) override {
        machine_ = &context.machine;
        run_control_ = &context.run_control;
        const bool in_kernel = irqchip_mode_ == IrqchipMode::kOn;
        hw::ApicBus* apics = hw::apic_bus(*machine_);
        if (in_kernel) {
            irqchip_ = std::make_unique<kvm::KvmIrqchip>(*vm_);
        } else if (!apics || apics->cpu_count() < static_cast<int>(context.config.smp.cpus)) {
            throw Error("kernel-irqchip=off needs a local APIC per vCPU");
        }
        slots_ = std::make_unique<kvm::KvmMemorySlots>(*vm_, machine_->memory_space());
        const unsigned count = context.config.smp.cpus;
        const x86::CpuModel* model = context.cpu_model.name == "host" ? nullptr : &context.cpu_model;
        uint32_t version = context.cpu_model.version;
        for (unsigned i = 0; i < count; ++i) {
            auto vcpu = std::make_unique<KvmVcpu>(*vm_, i);
            vcpu->set_cpuid(cpuid_->guest_entries(model, i, count, in_kernel));
            vcpu->save_reset_state(version, i == 0, in_kernel);
            if (!in_kernel) {
                auto irq = std::make_unique<kvm::KvmUserspaceIrq>(*vcpu, apics->cpu_apic(static_cast<int>(i)), i == 0,
                                                                  [this, i] { kick(i); });
                apics->connect_cpu(static_cast<int>(i), irq->port());
                apic_bus_ = apics;
                userspace_irqs_.push_back(std::move(irq));
            }
            vcpus_.push_back(std::move(vcpu));
        }
        if (irqchip_) irqchip_->connect(*machine_);
        install_kick_handler();
        thread_ids_ = std::vector<std::atomic<int64_t>>(count);
        for (unsigned i = 0; i < count; ++i) threads_.emplace_back([this, i] { vcpu_loop(i); });
        // query-cpus-fast may ask for the thread ids at once.
        for (auto& id : thread_ids_) id.wait(0);
    }

    unsigned cpu_count() const override { return static_cast<unsigned>(vcpus_.size()); }

    void resume() override {
        std::lock_guard lock(mutex_);
        run_ = true;
        wake_.notify_all();
    }

    void pause() override {
        {
            std::lock_guard lock(mutex_);
            run_ = false;
            for (auto& vcpu : vcpus_) vcpu->run_area().immediate_exit = 1;
        }
        wake_.notify_all();
        kick_all();
        // The vCPUs may need the BQL to finish an exit and park.
        BqlUnlockGuard unlocked;
        std::unique_lock lock(mutex_);
        parked_changed_.wait(lock, [this] { return parked_ == vcpus_.size(); });
    }

    void reset() override {
        if (irqchip_) irqchip_->reset();
        for (auto& vcpu : vcpus_) vcpu->reset();
        for (auto& irq : userspace_irqs_) irq->reset();
    }

    const x86::CpuState& synchronize_state(unsigned cpu) override { return vcpus_.at(cpu)->synchronize(); }
    uint32_t cpu_eflags(unsigned cpu) override { return vcpus_.at(cpu)->eflags(); }
    int64_t cpu_thread_id(unsigned cpu) const override { return thread_ids_.at(cpu).load(); }

private:
    // -cpu host as the machine describes it (QOM properties, ACPI): what
    // KVM's CPUID says of the host.
    x86::CpuModel host_model() const {
        x86::CpuModel host;
        host.name = "host";
        host.description = "processor with all supported host features";
        host.features = cpuid_->available_features();
        uint32_t brand[12] = {};
        uint32_t vendor[3] = {};
        for (const kvm_cpuid_entry2& e : cpuid_->guest_entries(nullptr, 0, 1)) {
            if (e.function == 0) {
                host.level = e.eax;
                vendor[0] = e.ebx;
                vendor[1] = e.edx;
                vendor[2] = e.ecx;
            } else if (e.function == 1) {
                host.version = e.eax;
            } else if (e.function == 0x80000000) {
                host.xlevel = e.eax;
            } else if (e.function >= 0x80000002 && e.function <= 0x80000004) {
                uint32_t* at = brand + (e.function - 0x80000002) * 4;
                at[0] = e.eax;
                at[1] = e.ebx;
                at[2] = e.ecx;
                at[3] = e.edx;
            }
        }
        host_vendor_.assign(reinterpret_cast<const char*>(vendor), sizeof(vendor));
        host_brand_.assign(reinterpret_cast<const char*>(brand), strnlen(reinterpret_cast<const char*>(brand), sizeof(brand)));
        host.vendor = host_vendor_;
        host.brand = host_brand_;
        return host;
    }

    // Something for vCPU `index` to look at (the userspace APIC; any thread).
    void kick(unsigned index) {
        {
            std::lock_guard lock(mutex_);
            if (index >= threads_.size()) return;   // not started: it looks anyway
            vcpus_[index]->run_area().immediate_exit = 1;
        }
        wake_.notify_all();
        pthread_kill(threads_[index].native_handle(), kKickSignal);
    }

    void kick_all() {
        for (std::thread& thread : threads_) pthread_kill(thread.native_handle(), kKickSignal);
    }

    // One vCPU's thread: KVM_RUN until paused; exits that need userspace
    // are handled here, under the BQL where they touch devices.
    void vcpu_loop(unsigned index) {
        sigset_t kick;
        sigemptyset(&kick);
        sigaddset(&kick, kKickSignal);
        pthread_sigmask(SIG_UNBLOCK, &kick, nullptr);
        thread_ids_[index] = static_cast<int64_t>(::gettid());
        thread_ids_[index].notify_all();
        hw::set_current_cpu(static_cast<int>(index));
        KvmVcpu& vcpu = *vcpus_[index];
        kvm::KvmUserspaceIrq* irq = userspace_irqs_.empty() ? nullptr : userspace_irqs_[index].get();
        bool completion_pending = false;
        std::unique_lock lock(mutex_);
        for (;;) {
            if ((!run_ || quit_) && completion_pending) {
                // KVM finishes an I/O or MMIO read (the register it loads,
                // RIP past the instruction) only at the next KVM_RUN: enter
                // once with immediate_exit set, so that a parked vCPU's
                // state is whole for readers and for reset.
                lock.unlock();
                vcpu.run_area().immediate_exit = 1;
                vcpu.run();
                lock.lock();
                completion_pending = false;
            }
            if (!run_ || quit_) {
                ++parked_;
                parked_changed_.notify_all();
                wake_.wait(lock, [this] { return run_ || quit_; });
                --parked_;
                if (quit_) break;
            }
            vcpu.run_area().immediate_exit = 0;
            lock.unlock();
            if (irq && !irq->pre_run()) {
                // Halted, or an AP waiting for its SIPI: until a kick (or,
                // as a safety net, a moment) passes.
                lock.lock();
                if (run_ && !quit_ && !vcpu.run_area().immediate_exit)
                    wake_.wait_for(lock, std::chrono::milliseconds(10));
                continue;
            }
            bool stop_here = false;
            completion_pending = false;
            int r = vcpu.run();
            if (r < 0) {
                if (r != -EINTR && r != -EAGAIN) {
                    std::fprintf(stderr, "error: kvm run failed %s\n", errno_string(-r).c_str());
                    stop_here = internal_error(vcpu);
                }
            } else {
                if (irq) irq->post_run();
                if (irq && vcpu.run_area().exit_reason == KVM_EXIT_HLT) irq->halt();
                stop_here = handle_exit(vcpu);
                completion_pending = vcpu.run_area().exit_reason == KVM_EXIT_IO ||
                                     vcpu.run_area().exit_reason == KVM_EXIT_MMIO;
            }
            lock.lock();
            // A reset or a stop is on its way: wait for the main loop to park us.
            if (stop_here) wake_.wait(lock, [this] { return !run_ || quit_; });
        }
        ++parked_;
        parked_changed_.notify_all();
    }

    // Returns true when the vCPU must not run again until the main loop has
    // dealt with what it asked for (reset, shutdown, an internal error).
    bool handle_exit(KvmVcpu& vcpu) {
        kvm_run& run = vcpu.run_area();
        switch (run.exit_reason) {
        case KVM_EXIT_IO: {
            auto* data = reinterpret_cast<uint8_t*>(&run) + run.io.data_offset;
            const unsigned size = run.io.size;
            BqlGuard locked;
            memory::AddressSpace& io = machine_->io_space();
            for (uint32_t i = 0; i < run.io.count; ++i, data += size) {
                if (run.io.direction == KVM_EXIT_IO_OUT) {
                    uint64_t value = 0;
                    std::memcpy(&value, data, size);
                    io.store(run.io.port, value, size);
                } else {
                    uint64_t value = io.load(run.io.port, size);
                    std::memcpy(data, &value, size);
                }
            }
            return false;
        }
        case KVM_EXIT_MMIO: {
            const unsigned len = run.mmio.len;
            BqlGuard locked;
            memory::AddressSpace& memory = machine_->memory_space();
            const bool natural = len == 1 || len == 2 || len == 4 || len == 8;
            if (run.mmio.is_write) {
                if (natural) {
                    uint64_t value = 0;
                    std::memcpy(&value, run.mmio.data, len);
                    memory.store(run.mmio.phys_addr, value, len);
                } else {
                    memory.write(run.mmio.phys_addr, run.mmio.data, std::min<unsigned>(len, 8));
                }
            } else if (natural) {
                uint64_t value = memory.load(run.mmio.phys_addr, len);
                std::memcpy(run.mmio.data, &value, len);
            } else {
                memory.read(run.mmio.phys_addr, run.mmio.data, std::min<unsigned>(len, 8));
            }
            return false;
        }
        case KVM_EXIT_SHUTDOWN:
            // A triple fault, as QEMU: a guest reset.
            run_control_->request_reset(system::ShutdownCause::kGuestReset);
            return true;
        case KVM_EXIT_SYSTEM_EVENT:
            switch (run.system_event.type) {
            case KVM_SYSTEM_EVENT_SHUTDOWN:
                run_control_->request_shutdown(system::ShutdownCause::kGuestShutdown);
                return true;
            case KVM_SYSTEM_EVENT_RESET:
                run_control_->request_reset(system::ShutdownCause::kGuestReset);
                return true;
            default:
                std::fprintf(stderr, "KVM: unhandled system event %u\n", run.system_event.type);
                return internal_error(vcpu);
            }
        case KVM_EXIT_INTR:
        case KVM_EXIT_HLT:   // the userspace APIC's vCPUs: pre_run() waits
        case KVM_EXIT_IRQ_WINDOW_OPEN:
        case KVM_EXIT_DEBUG:
            return false;
        case KVM_EXIT_FAIL_ENTRY:
            std::fprintf(stderr, "KVM: entry failed, hardware error 0x%llx\n",
                         static_cast<unsigned long long>(run.fail_entry.hardware_entry_failure_reason));
            return internal_error(vcpu);
        case KVM_EXIT_INTERNAL_ERROR:
            std::fprintf(stderr, "KVM internal error. Suberror: %u\n", run.internal.suberror);
            for (uint32_t i = 0; i < run.internal.ndata && i < 16; ++i) {
                std::fprintf(stderr, "extra data[%u]: 0x%016llx\n", i,
                             static_cast<unsigned long long>(run.internal.data[i]));
            }
            if (run.internal.suberror == KVM_INTERNAL_ERROR_EMULATION) std::fprintf(stderr, "emulation failure\n");
            return internal_error(vcpu);
        default:
            std::fprintf(stderr, "KVM: unknown exit reason %u\n", run.exit_reason);
            return internal_error(vcpu);
        }
    }

    // As QEMU: the registers on stderr, and the VM stops in internal-error.
    bool internal_error(KvmVcpu& vcpu) {
        const x86::CpuState& state = vcpu.synchronize();
        std::fputs(x86::format_registers(state, vcpu.eflags()).c_str(), stderr);
        system::RunControl* run_control = run_control_;
        schedule_oneshot([run_control] { run_control->stop(system::RunState::kInternalError); });
        return true;
    }

    IrqchipMode irqchip_mode_ = IrqchipMode::kOn;
    // What -cpu host's model points at.
    mutable std::string host_vendor_, host_brand_;
    std::unique_ptr<kvm::KvmVm> vm_;
    std::unique_ptr<kvm::KvmCpuid> cpuid_;
    std::unique_ptr<kvm::KvmIrqchip> irqchip_;
    std::unique_ptr<kvm::KvmMemorySlots> slots_;
    std::vector<std::unique_ptr<KvmVcpu>> vcpus_;
    std::vector<std::unique_ptr<kvm::KvmUserspaceIrq>> userspace_irqs_;   // kernel-irqchip=off
    std::vector<std::thread> threads_;
    std::vector<std::atomic<int64_t>> thread_ids_;
    hw::Machine* machine_ = nullptr;
    hw::ApicBus* apic_bus_ = nullptr;   // kernel-irqchip=off
    system::RunControl* run_control_ = nullptr;

    std::mutex mutex_;
    std::condition_variable wake_, parked_changed_;
    bool run_ = false;
    bool quit_ = false;
    size_t parked_ = 0;
};

}  // namespace

std::unique_ptr<Accelerator> create_kvm_accel(const AccelOptions& options) {
    return std::make_unique<KvmAccel>(options.options, options.config, options.location);
}

}  // namespace mimic::accel
