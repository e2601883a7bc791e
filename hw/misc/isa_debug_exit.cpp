// isa-debug-exit: a write of V ends the emulator with exit status (V << 1) | 1.
// Test programs use it to report a result without a full PC platform; the
// odd status keeps it distinct from the emulator's own 0 and 1.
#include <unistd.h>

#include <cstdio>

#include "mimic/hw/isa.h"
#include "mimic/main_loop/cleanup.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

class IsaDebugExit : public IsaDevice {
public:
    uint32_t iobase_ = 0x501;
    uint32_t iosize_ = 0x02;

protected:
    void do_realize() override {
        if (iosize_ != 1 && iosize_ != 2 && iosize_ != 4)
            throw Error("iosize {} must be 1, 2 or 4", iosize_);
        if (iobase_ + iosize_ > 0x10000) throw Error("iobase {:#x} is not an I/O port", iobase_);
        memory::MmioOps ops;
        ops.read = [](uint64_t, unsigned) -> uint64_t { return 0; };
        ops.write = [](uint64_t, uint64_t value, unsigned) {
            // As QEMU: exit at once from whichever thread wrote (usually the
            // vCPU's). The cleanups restore the terminal and remove the pid
            // file; _exit then skips static destructors that other threads
            // may still be using.
            run_cleanups();
            std::fflush(nullptr);
            _exit(static_cast<int>((value << 1) | 1));
        };
        ops.valid = {1, 4, false};
        ops.impl = {1, 4, false};
        region_.init_io("isa-debug-exit", iosize_, std::move(ops));
        register_ioport(region_, static_cast<uint16_t>(iobase_));
    }

private:
    memory::MemoryRegion region_;
};

MIMIC_REGISTER_TYPE({
    .name = "isa-debug-exit",
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<IsaDebugExit>(),
    .description = "exits the emulator with status (value << 1) | 1",
    .properties = {
        qom::prop::uint32("iobase", &IsaDebugExit::iobase_, 0x501),
        qom::prop::uint32("iosize", &IsaDebugExit::iosize_, 0x02),
    },
    .categories = {qom::DeviceCategory::kMisc},
});

}  // namespace
}  // namespace mimic::hw
