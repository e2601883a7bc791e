// The base of Mimic's PC machines: guest RAM, the two address spaces (memory
// and I/O ports) and the ISA interrupt lines every board device plugs into.
//
// A concrete machine (hw/i386/pc.cpp) lays out RAM and firmware and creates
// its board devices in init(); the runtime then adds -device devices and
// starts the accelerator. Devices find their machine through the object
// tree (Machine::of), never through globals.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mimic/cli/vm_config.h"
#include "mimic/hw/irq.h"
#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/machine.h"
#include "mimic/system/firmware.h"
#include "mimic/x86/cpu_models.h"

namespace mimic::system {
class RunControl;
class DriveSet;
}

namespace mimic::hw {

inline constexpr const char* kTypeX86Machine = "x86-machine";
inline constexpr int kIsaIrqCount = 16;

class Machine : public qom::Machine {
public:
    Machine();
    ~Machine() override;

    // Builds the board from the configuration. Throws mimic::Error with a
    // message for the user (bad firmware, impossible memory size).
    virtual void init(const cli::VmConfig& config, const system::FirmwarePath& firmware) = 0;

    // -kernel (with -initrd, -append): prepares a direct kernel boot. Runs
    // after init(); throws mimic::Error for a kernel that cannot be loaded.
    // A machine without direct kernel boot refuses.
    virtual void load_kernel(const cli::VmConfig& config);

    // -drive if=ide (-hda, -cdrom): how index= numbers them (units per bus)
    // and where they go once opened (the PIIX IDE channels by default).
    virtual int ide_units_per_bus() const { return 2; }
    virtual void attach_ide_drives(system::DriveSet& drives);

    memory::MemoryRegion& system_memory() { return *system_memory_; }
    memory::MemoryRegion& io() { return *io_; }
    memory::AddressSpace& memory_space() { return *memory_space_; }
    memory::AddressSpace& io_space() { return *io_space_; }
    uint64_t ram_size() const { return ram_size_; }

    // The bus ISA devices (-device isa-debug-exit, serial ports) plug into.
    qom::Bus* isa_bus() const { return isa_bus_; }

    // The 16 ISA interrupt lines. Until an interrupt controller connects
    // them, levels go nowhere (a board without a PIC).
    IrqLine isa_irq(int irq) const;
    // Global system interrupt `gsi`: the ISA lines, then on boards that
    // wire more IOAPIC inputs (Q35's PIRQs at 16-23) those.
    IrqLine gsi(int gsi) const;
    void connect_isa_irqs(std::shared_ptr<IrqInputs> controller) { isa_irqs_ = std::move(controller); }
    const std::shared_ptr<IrqInputs>& isa_irq_inputs() const { return isa_irqs_; }

    static Machine* of(const qom::Object& object);

    // Firmware images the board mapped at fixed addresses (the BIOS), for
    // `info roms`.
    struct RomImage {
        std::string name;  // the file's base name
        uint64_t address = 0;
        uint64_t size = 0;
    };
    void add_rom_image(RomImage image) { rom_images_.push_back(std::move(image)); }
    // Guest-physical ranges the firmware must treat as reserved (e820 type
    // 2), added before init() (the KVM accelerator's real-mode pages).
    struct Reservation {
        uint64_t address = 0, length = 0;
    };
    void add_e820_reservation(Reservation range) { e820_reservations_.push_back(range); }
    const std::vector<Reservation>& e820_reservations() const { return e820_reservations_; }
    const std::vector<RomImage>& rom_images() const { return rom_images_; }

    // Where devices post reset/shutdown requests (0xCF9, ACPI S5); set by
    // the VM builder before init(). nullptr in unit tests without a VM.
    system::RunControl* run_control() const { return run_control_; }
    void set_run_control(system::RunControl* control) { run_control_ = control; }

    // The local APICs and IOAPIC run in the host kernel (KVM's in-kernel
    // irqchip), out of reach of what devices hook into them (interrupt
    // remapping); set by the accelerator before devices are created.
    bool kernel_irqchip() const { return kernel_irqchip_; }
    void set_kernel_irqchip(bool in_kernel) { kernel_irqchip_ = in_kernel; }

    // The -cpu model the vCPUs run; set by the VM builder before init().
    const x86::CpuModel& cpu_model() const { return cpu_model_; }
    void set_cpu_model(const x86::CpuModel& model) { cpu_model_ = model; }

protected:
    // Allocates guest RAM as the region "pc.ram" (untouched until used).
    memory::MemoryRegion& allocate_ram(uint64_t size);
    void set_isa_bus(qom::Bus* bus) { isa_bus_ = bus; }

private:
    std::unique_ptr<memory::MemoryRegion> system_memory_;
    std::unique_ptr<memory::MemoryRegion> io_;
    std::unique_ptr<memory::AddressSpace> memory_space_;
    std::unique_ptr<memory::AddressSpace> io_space_;
    std::unique_ptr<memory::MemoryRegion> ram_;
    uint64_t ram_size_ = 0;
    qom::Bus* isa_bus_ = nullptr;
    std::shared_ptr<IrqInputs> isa_irqs_;
    system::RunControl* run_control_ = nullptr;
    bool kernel_irqchip_ = false;
    x86::CpuModel cpu_model_ = x86::default_cpu_model();
    std::vector<RomImage> rom_images_;
    std::vector<Reservation> e820_reservations_;
};

}  // namespace mimic::hw
