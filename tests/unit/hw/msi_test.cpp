// The MSI capability (mimic/hw/msi.h) on a PCI function of a small host
// whose bus-master space is 64 KiB of RAM: the register layout of each
// variant (32/64-bit, with and without per-vector masking) as PCI 3.0 and
// QEMU's msi.c define it, what the guest may write, and message delivery.
#include "mimic/hw/msi.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "mimic/hw/pci.h"
#include "mimic/main_loop/bql.h"
#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/standard_buses.h"
#include "mimic/qom/type.h"

namespace mimic::hw {
namespace {

class MsiTestHost : public qom::Device, public PciHost {
  public:
    MsiTestHost() {
        add_bus(qom::kTypePciBus, "pci.0");
        root_.init_container("system", UINT64_MAX);
        ram_.init_ram("ram", 0x10000);
        root_.add_subregion(0, ram_);
        space_ = std::make_unique<memory::AddressSpace>(root_, "memory");
        pci_memory_.init_container("pci", UINT64_MAX);
        io_.init_container("io", 0x10000);
    }
    memory::MemoryRegion& pci_memory() override { return pci_memory_; }
    memory::MemoryRegion& pci_io() override { return io_; }
    memory::AddressSpace& dma_space() override { return *space_; }
    qom::PciBus& bus() override { return static_cast<qom::PciBus&>(*child_bus("pci.0")); }

    uint32_t ram_long(uint64_t addr) { return static_cast<uint32_t>(space_->load(addr, 4)); }

  private:
    memory::MemoryRegion root_, ram_, pci_memory_, io_;
    std::unique_ptr<memory::AddressSpace> space_;
};

// A function whose only feature is the capability under test.
class MsiTestDevice : public PciDevice {
  public:
    static inline Msi::Options options;
    static inline uint8_t offset = 0;
    Msi msi;

  protected:
    void pci_realize() override { msi.init(*this, options, offset); }
    void pci_reset() override { msi.reset(); }
    void config_written(uint8_t at, uint32_t, unsigned size) override {
        msi.config_written(at, size);
    }
};

MIMIC_REGISTER_TYPE({
    .name = "msi-test-host",
    .parent = qom::kTypeDevice,
    .factory = qom::factory_of<MsiTestHost>(),
});

MIMIC_REGISTER_TYPE({
    .name = "msi-test-device",
    .parent = kTypePciDevice,
    .factory = qom::factory_of<MsiTestDevice>(),
});

constexpr uint64_t kTarget = 0x1000;

class MsiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!bql_locked()) bql_lock();
        host_ = qom::new_object<MsiTestHost>("msi-test-host");
        host_->realize();
    }
    void TearDown() override {
        if (device_) device_->unrealize();
        device_.reset();
        host_.reset();
    }

    MsiTestDevice& make(Msi::Options options, uint8_t offset = 0) {
        MsiTestDevice::options = options;
        MsiTestDevice::offset = offset;
        device_ = qom::new_object<MsiTestDevice>("msi-test-device");
        device_->set_parent_bus(host_->bus());
        device_->realize();
        return *device_;
    }
    // A guest's config cycle: the generic write path, wmask and all.
    void write(uint8_t offset, uint32_t value, unsigned size) {
        device_->config_write(offset, value, size);
    }
    uint32_t read(uint8_t offset, unsigned size) { return device_->config_read(offset, size); }

    std::unique_ptr<MsiTestHost> host_;
    std::unique_ptr<MsiTestDevice> device_;
};

TEST_F(MsiTest, Layout32BitOneVector) {
    MsiTestDevice& dev = make({.vectors = 1, .address64 = false, .per_vector_mask = false});
    EXPECT_EQ(dev.msi.offset(), 0x40);
    EXPECT_EQ(dev.msi.size(), 0x0a);
    EXPECT_EQ(read(0x34, 1), 0x40u);      // capabilities pointer
    EXPECT_TRUE(read(0x06, 2) & 0x0010);  // STATUS.capabilities list
    EXPECT_EQ(read(0x40, 1), 0x05u);      // capability ID
    EXPECT_EQ(read(0x41, 1), 0x00u);      // end of the list
    EXPECT_EQ(read(0x42, 2), 0x0000u);    // 1 vector, 32-bit, no masking
    // Address at 4 (dword-aligned), 16-bit data at 8.
    write(0x44, 0xffffffff, 4);
    write(0x48, 0xffff, 2);
    EXPECT_EQ(read(0x44, 4), 0xfffffffcu);
    EXPECT_EQ(read(0x48, 2), 0xffffu);
    EXPECT_EQ(dev.msi.data(), 0xffffu);
    // Enable and multiple message enable are the writable control bits; MME
    // above what is capable (one vector) is clamped once enabled.
    write(0x42, 0xffff, 2);
    EXPECT_EQ(read(0x42, 2), 0x0001u);
    EXPECT_TRUE(dev.msi.enabled());
    EXPECT_EQ(dev.msi.enabled_vectors(), 1u);
}

TEST_F(MsiTest, Layout64BitFourVectors) {
    MsiTestDevice& dev = make({.vectors = 4, .address64 = true, .per_vector_mask = false});
    EXPECT_EQ(dev.msi.size(), 0x0e);
    EXPECT_EQ(read(0x40, 1), 0x05u);
    EXPECT_EQ(read(0x42, 2), 0x0084u);  // 64-bit, multiple message capable = log2(4)
    write(0x44, 0xffffffff, 4);
    write(0x48, 0xffffffff, 4);
    write(0x4c, 0xffff, 2);
    EXPECT_EQ(read(0x44, 4), 0xfffffffcu);
    EXPECT_EQ(read(0x48, 4), 0xffffffffu);  // address high
    EXPECT_EQ(read(0x4c, 2), 0xffffu);      // data
    EXPECT_EQ(dev.msi.address(), 0xfffffffffffffffcull);
    // Four enabled vectors are fine; eight get clamped to four.
    write(0x42, 0x0021, 2);
    EXPECT_EQ(read(0x42, 2), 0x00a5u);
    EXPECT_EQ(dev.msi.enabled_vectors(), 4u);
    write(0x42, 0x0031, 2);
    EXPECT_EQ(read(0x42, 2), 0x00a5u);
}

TEST_F(MsiTest, Layout32BitWithMasking) {
    MsiTestDevice& dev = make({.vectors = 8, .address64 = false, .per_vector_mask = true});
    EXPECT_EQ(dev.msi.size(), 0x14);
    EXPECT_EQ(read(0x42, 2), 0x0106u);  // per-vector masking, capable = log2(8)
    write(0x48, 0xffffffff, 4);
    EXPECT_EQ(read(0x48, 4), 0x0000ffffu);  // data, then two reserved bytes
    write(0x4c, 0xffffffff, 4);
    EXPECT_EQ(read(0x4c, 4), 0x000000ffu);  // mask bits of the eight vectors
    write(0x50, 0xffffffff, 4);
    EXPECT_EQ(read(0x50, 4), 0u);  // pending bits: read-only
}

TEST_F(MsiTest, Layout64BitWithMasking) {
    MsiTestDevice& dev = make({.vectors = 32, .address64 = true, .per_vector_mask = true});
    EXPECT_EQ(dev.msi.size(), 0x18);
    EXPECT_EQ(read(0x42, 2), 0x018au);
    write(0x4c, 0xffffffff, 4);
    EXPECT_EQ(read(0x4c, 4), 0x0000ffffu);
    write(0x50, 0xffffffff, 4);
    EXPECT_EQ(read(0x50, 4), 0xffffffffu);
    write(0x54, 0xffffffff, 4);
    EXPECT_EQ(read(0x54, 4), 0u);
}

TEST_F(MsiTest, GivenOffsetAndChaining) {
    MsiTestDevice& dev = make({.vectors = 2, .address64 = false, .per_vector_mask = false}, 0x60);
    EXPECT_EQ(dev.msi.offset(), 0x60);
    EXPECT_EQ(read(0x34, 1), 0x60u);
    EXPECT_EQ(read(0x60, 2), 0x0005u);
    EXPECT_EQ(read(0x62, 2), 0x0002u);
}

TEST_F(MsiTest, VectorCountMustBeAPowerOfTwoUpTo32) {
    for (unsigned bad : {0u, 3u, 12u, 64u}) {
        MsiTestDevice::options = {.vectors = bad};
        auto dev = qom::new_object<MsiTestDevice>("msi-test-device");
        dev->set_parent_bus(host_->bus());
        EXPECT_THROW(dev->realize(), std::logic_error) << bad;
    }
}

// Address, data and enable as a driver programs them (64-bit layout).
void program(MsiTestDevice& dev, uint64_t address, uint16_t data, uint16_t control) {
    dev.config_write(0x44, static_cast<uint32_t>(address), 4);
    dev.config_write(0x48, static_cast<uint32_t>(address >> 32), 4);
    dev.config_write(0x4c, data, 2);
    dev.config_write(0x42, control, 2);
}

TEST_F(MsiTest, NotifyWritesDataToAddressAsABusMaster) {
    MsiTestDevice& dev = make({.vectors = 1, .address64 = true, .per_vector_mask = false});
    program(dev, kTarget, 0x4321, 0x0000);
    dev.msi.notify(0);  // disabled: nothing
    EXPECT_EQ(host_->ram_long(kTarget), 0u);
    write(0x42, 0x0001, 2);
    dev.msi.notify(0);  // bus mastering off: nothing
    EXPECT_EQ(host_->ram_long(kTarget), 0u);
    write(0x04, 0x0004, 2);
    host_->dma_space().stl(kTarget + 4, 0x5a5a5a5a);
    dev.msi.notify(0);
    EXPECT_EQ(host_->ram_long(kTarget), 0x4321u);  // a 4-byte write: the high half zero
    EXPECT_EQ(host_->ram_long(kTarget + 4), 0x5a5a5a5au);
    // A message nobody decodes is a master abort, recorded in STATUS.
    program(dev, 0x100000000ull, 0x1, 0x0001);
    dev.msi.notify(0);
    EXPECT_TRUE(read(0x06, 2) & 0x2000);
}

TEST_F(MsiTest, MultipleMessagePutsTheVectorInTheLowDataBits) {
    MsiTestDevice& dev = make({.vectors = 8, .address64 = true, .per_vector_mask = false});
    write(0x04, 0x0004, 2);
    program(dev, kTarget, 0x40f0, 0x0021);  // four of eight vectors enabled
    dev.msi.notify(3);
    EXPECT_EQ(host_->ram_long(kTarget), 0x40f3u);
    dev.msi.notify(1);
    EXPECT_EQ(host_->ram_long(kTarget), 0x40f1u);
    host_->dma_space().stl(kTarget, 0);
    dev.msi.notify(4);  // beyond the enabled vectors
    EXPECT_EQ(host_->ram_long(kTarget), 0u);
}

TEST_F(MsiTest, MaskedVectorIsPendingUntilUnmasked) {
    MsiTestDevice& dev = make({.vectors = 2, .address64 = true, .per_vector_mask = true});
    write(0x04, 0x0004, 2);
    program(dev, kTarget, 0x0070, 0x0011);  // both vectors
    write(0x50, 0x2, 4);                    // mask vector 1
    dev.msi.notify(1);
    EXPECT_EQ(host_->ram_long(kTarget), 0u);
    EXPECT_EQ(read(0x54, 4), 0x2u);
    dev.msi.notify(0);  // unmasked vectors still go out
    EXPECT_EQ(host_->ram_long(kTarget), 0x0070u);
    write(0x50, 0x0, 4);  // unmask: the pending message goes out
    EXPECT_EQ(host_->ram_long(kTarget), 0x0071u);
    EXPECT_EQ(read(0x54, 4), 0u);
}

TEST_F(MsiTest, EnablingMsiDropsIntx) {
    MsiTestDevice& dev = make({.vectors = 1, .address64 = true, .per_vector_mask = false});
    dev.set_irq(true);
    EXPECT_TRUE(dev.irq_level());
    write(0x42, 0x0001, 2);
    EXPECT_FALSE(dev.irq_level());
}

TEST_F(MsiTest, ResetDisablesAndClears) {
    MsiTestDevice& dev = make({.vectors = 4, .address64 = true, .per_vector_mask = true});
    write(0x04, 0x0004, 2);
    program(dev, kTarget, 0x1234, 0x0021);
    write(0x50, 0x1, 4);
    dev.msi.notify(0);
    EXPECT_EQ(read(0x54, 4), 0x1u);
    dev.reset();
    EXPECT_FALSE(dev.msi.enabled());
    EXPECT_EQ(read(0x42, 2), 0x0184u);  // capabilities stay, enable and MME go
    EXPECT_EQ(read(0x44, 4), 0u);
    EXPECT_EQ(read(0x48, 4), 0u);
    EXPECT_EQ(read(0x4c, 2), 0u);
    EXPECT_EQ(read(0x50, 4), 0u);
    EXPECT_EQ(read(0x54, 4), 0u);
}

}  // namespace
}  // namespace mimic::hw
