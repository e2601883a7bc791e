// The PC chipset tricks the memory API exists for, written the way the
// machine code will use them: PAM shadowing, a PCI BAR being programmed,
// and the VGA legacy window switching banks.
#include <gtest/gtest.h>

#include <cstring>

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/memory/transaction.h"
#include "test_support.h"

namespace mimic::memory {
namespace {

class PcScenariosTest : public testing::Test {
  protected:
    PcScenariosTest() {
        system_.init_container("system", UINT64_MAX);
        pci_.init_container("pci", UINT64_MAX);
        ram_.init_ram("pc.ram", 0x200000);
        below_4g_.init_alias("ram-below-4g", ram_, 0, 0x200000);
        bios_.init_rom("pc.bios", 0x20000);
        std::memset(bios_.host(), 0xb1, 0x20000);
        isa_bios_.init_alias("isa-bios", bios_, 0, 0x20000);
        system_.add_subregion(0, below_4g_);
        system_.add_subregion(0, pci_, -1);
        pci_.add_subregion(0xe0000, isa_bios_, 1);
    }

    MemoryRegion system_, pci_, ram_, below_4g_, bios_, isa_bios_;
    AddressSpace memory_{system_, "memory"};
};

// One PAM segment (0xe0000-0xeffff) as the i440FX does it: four aliases
// over the RAM hole, exactly one enabled per mode.
TEST_F(PcScenariosTest, PamShadowing) {
    constexpr uint64_t kStart = 0xe0000, kSize = 0x10000;
    MemoryRegion pam_pci, pam_ram, pam_rom;
    pam_pci.init_alias("pam-pci", pci_, kStart, kSize);
    pam_ram.init_alias("pam-ram", ram_, kStart, kSize);
    pam_rom.init_alias("pam-rom", ram_, kStart, kSize);
    pam_rom.set_readonly(true);
    {
        Transaction transaction;
        for (MemoryRegion* alias : {&pam_pci, &pam_ram, &pam_rom}) {
            alias->set_enabled(false);
            system_.add_subregion(kStart, *alias, 1);
        }
    }
    auto set_mode = [&](MemoryRegion& on) {
        Transaction transaction;  // the guest never sees two or zero aliases
        for (MemoryRegion* alias : {&pam_pci, &pam_ram, &pam_rom}) alias->set_enabled(alias == &on);
    };

    // Power-on: reads go to the PCI side, where the BIOS is.
    set_mode(pam_pci);
    EXPECT_EQ(memory_.ldub(kStart), 0xb1);
    // SeaBIOS copies itself into RAM with writes enabled...
    std::vector<uint8_t> image(kSize);
    memory_.read(kStart, image.data(), kSize);
    set_mode(pam_ram);
    memory_.write(kStart, image.data(), kSize);
    memory_.stb(kStart + 1, 0xc2);
    EXPECT_EQ(memory_.ldub(kStart + 1), 0xc2);
    // ...then write-protects the shadow.
    set_mode(pam_rom);
    EXPECT_EQ(memory_.store(kStart + 1, 0x00, 1), AccessResult::kRejected);
    EXPECT_EQ(memory_.ldub(kStart), 0xb1);
    EXPECT_EQ(memory_.ldub(kStart + 1), 0xc2);
    EXPECT_FALSE(memory_.translate(kStart).writable);
    EXPECT_EQ(memory_.translate(kStart).host, ram_.host() + kStart);

    {
        Transaction transaction;
        for (MemoryRegion* alias : {&pam_pci, &pam_ram, &pam_rom}) system_.del_subregion(*alias);
    }
}

// A BAR: mapped disabled at reset, placed and enabled by the guest, moved.
TEST_F(PcScenariosTest, PciBarProgramming) {
    test::FakeDevice nic(0x20);
    MemoryRegion bar;
    bar.init_io("e1000-mmio", 0x20, nic.ops());
    bar.set_enabled(false);
    pci_.add_subregion(0, bar, 1);
    int flushes = 0;
    uint64_t id = memory_.add_listener([&](const AddressSpace&, const FlatView&) { ++flushes; });

    EXPECT_EQ(memory_.ldl(0xfebc0000), 0xffffffffu);
    {
        Transaction transaction;
        bar.set_address(0xfebc0000);
        bar.set_enabled(true);
    }
    EXPECT_EQ(flushes, 1);
    EXPECT_EQ(memory_.ldl(0xfebc0000), 0x13121110u);
    bar.set_address(0xfeb00000);
    EXPECT_EQ(memory_.ldl(0xfebc0000), 0xffffffffu);
    EXPECT_EQ(memory_.ldl(0xfeb00004), 0x17161514u);
    // A BAR placed over RAM below 4G loses to it: the PCI hole is lower priority.
    bar.set_address(0x1000);
    EXPECT_EQ(memory_.translate(0x1000).region, &ram_);
    memory_.remove_listener(id);
    pci_.del_subregion(bar);
}

// The 0xa0000 window of a VGA card showing one 64 KiB bank of its VRAM.
TEST_F(PcScenariosTest, VgaBankWindow) {
    MemoryRegion vram, window;
    vram.init_ram("vga.vram", 0x40000);
    for (int bank = 0; bank < 4; ++bank)
        std::memset(vram.host() + bank * 0x10000, 0x40 + bank, 0x10000);
    window.init_alias("vga.bank", vram, 0, 0x10000);
    system_.add_subregion(0xa0000, window, 1);
    vram.set_dirty_logging(true);

    EXPECT_EQ(memory_.ldub(0xa0000), 0x40);
    window.set_alias_offset(0x30000);
    EXPECT_EQ(memory_.ldub(0xaffff), 0x43);
    memory_.stb(0xa0010, 0x99);
    EXPECT_EQ(vram.host()[0x30010], 0x99);
    EXPECT_TRUE(vram.test_and_clear_dirty(0x30000, 0x10000));
    EXPECT_FALSE(vram.test_and_clear_dirty(0, 0x30000));
    system_.del_subregion(window);
}

}  // namespace
}  // namespace mimic::memory
