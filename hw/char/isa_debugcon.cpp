// isa-debugcon: Bochs' port 0xE9 console. Every byte the guest writes goes to
// a chardev; reads return a fixed value so firmware can detect the port.
#include <nlohmann/json.hpp>

#include "mimic/chardev/chardev.h"
#include "mimic/hw/isa.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"

namespace mimic::hw {
namespace {

class IsaDebugcon : public IsaDevice {
public:
    uint32_t iobase_ = 0xe9;
    uint32_t readback_ = 0xe9;
    qom::BackendLink chardev_;

protected:
    void do_realize() override {
        if (iobase_ > 0xffff) throw Error("iobase {:#x} is not an I/O port", iobase_);
        memory::MmioOps ops;
        ops.read = [this](uint64_t, unsigned) -> uint64_t { return readback_; };
        ops.write = [this](uint64_t, uint64_t value, unsigned) {
            if (auto* chardev = chardev_.get<chardev::Chardev>()) {
                // A blocking write: like the hardware port, the guest waits.
                uint8_t byte = static_cast<uint8_t>(value);
                chardev->write_all(std::span(&byte, 1));
            }
        };
        ops.valid = {1, 1, false};
        ops.impl = {1, 1, false};
        region_.init_io("isa-debugcon", 1, std::move(ops));
        register_ioport(region_, static_cast<uint16_t>(iobase_));
    }

private:
    memory::MemoryRegion region_;
};

MIMIC_REGISTER_TYPE({
    .name = "isa-debugcon",
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<IsaDebugcon>(),
    .description = "ISA debug console (Bochs port 0xe9)",
    .properties = {
        qom::prop::uint32("iobase", &IsaDebugcon::iobase_, 0xe9),
        qom::prop::chardev("chardev", &IsaDebugcon::chardev_),
        qom::prop::uint32("readback", &IsaDebugcon::readback_, 0xe9),
    },
    .categories = {qom::DeviceCategory::kMisc},
});

}  // namespace
}  // namespace mimic::hw
