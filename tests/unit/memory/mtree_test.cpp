// `info mtree` text, compared byte for byte with QEMU's layout.
#include "mimic/memory/mtree.h"

#include <gtest/gtest.h>

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"

namespace mimic::memory {
namespace {

// A cut-down PC: RAM below 4G through an alias, the BIOS at the top of 4G
// with its last 128 KiB aliased at 0xe0000, VGA and option ROM windows, a
// disabled PAM alias, and one I/O port device.
class MtreeTest : public testing::Test {
  protected:
    MtreeTest() {
        system_.init_container("system", UINT64_MAX);
        pci_.init_container("pci", UINT64_MAX);
        ram_.init_ram("pc.ram", 0x8000000);
        below_4g_.init_alias("ram-below-4g", ram_, 0, 0x8000000);
        bios_.init_rom("pc.bios", 0x40000);
        isa_bios_.init_alias("isa-bios", bios_, 0x20000, 0x20000);
        option_rom_.init_rom("pc.rom", 0x20000);
        vga_.init_io("vga-lowmem", 0x20000, {});
        hpet_.init_io("hpet", 0x400, {});
        pam_.init_alias("pam-ram", ram_, 0xc0000, 0x4000);
        io_.init_container("io", 0x10000);
        kbd_.init_io("i8042", 1, {});

        system_.add_subregion(0, below_4g_);
        system_.add_subregion(0, pci_, -1);
        pci_.add_subregion(0xfffc0000, bios_);
        system_.add_subregion(0xa0000, vga_, 1);
        system_.add_subregion(0xc0000, option_rom_, 1);
        system_.add_subregion(0xc0000, pam_, 1);
        pam_.set_enabled(false);
        system_.add_subregion(0xe0000, isa_bios_, 1);
        system_.add_subregion(0xfed00000, hpet_);
        io_.add_subregion(0x60, kbd_);
    }

    MemoryRegion system_, pci_, ram_, below_4g_, bios_, isa_bios_, option_rom_, vga_, hpet_, pam_,
        io_, kbd_;
    AddressSpace memory_{system_, "memory"};
    AddressSpace io_space_{io_, "I/O"};
};

TEST_F(MtreeTest, TreeLayoutMatchesQemu) {
    EXPECT_EQ(mtree_text({&memory_, &io_space_}),
              "address-space: memory\n"
              "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
              "    0000000000000000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram "
              "0000000000000000-0000000007ffffff\n"
              "    0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
              "      00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
              "    00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\n"
              "    00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n"
              "    00000000000e0000-00000000000fffff (prio 1, rom): alias isa-bios @pc.bios "
              "0000000000020000-000000000003ffff\n"
              "    00000000fed00000-00000000fed003ff (prio 0, i/o): hpet\n"
              "\n"
              "address-space: I/O\n"
              "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
              "    0000000000000060-0000000000000060 (prio 0, i/o): i8042\n"
              "\n"
              "memory-region: pc.ram\n"
              "  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n"
              "\n"
              "memory-region: pc.bios\n"
              "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
              "\n");
}

TEST_F(MtreeTest, DisabledRegionsOnRequest) {
    std::string text = mtree_text({&memory_}, {.flat = false, .show_disabled = true});
    // Same address and priority as pc.rom but added later, so listed first.
    EXPECT_NE(
        text.find("    00000000000c0000-00000000000c3fff (prio 1, ram): alias pam-ram @pc.ram "
                  "00000000000c0000-00000000000c3fff [disabled]\n"
                  "    00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n"),
        std::string::npos)
        << text;
}

TEST_F(MtreeTest, ChildrenOfAHiddenRegionAreStillListed) {
    MemoryRegion smram, low;
    smram.init_container("smram", 0x20000);
    low.init_alias("smram-low", ram_, 0xa0000, 0x20000);
    smram.add_subregion(0, low);
    system_.add_subregion(0xa0000, smram, 2);
    smram.set_enabled(false);
    std::string text = mtree_text({&memory_});
    EXPECT_EQ(text.find("): smram\n"), std::string::npos) << text;
    EXPECT_NE(
        text.find(
            "\n      00000000000a0000-00000000000bffff (prio 0, ram): alias smram-low @pc.ram "
            "00000000000a0000-00000000000bffff\n"),
        std::string::npos)
        << text;
    system_.del_subregion(smram);
}

TEST_F(MtreeTest, FlatViewLayoutMatchesQemu) {
    EXPECT_EQ(mtree_text({&memory_, &io_space_}, {.flat = true}),
              "FlatView #0\n"
              " AS \"memory\", root: system\n"
              " Root memory region: system\n"
              "  0000000000000000-000000000009ffff (prio 0, ram): pc.ram\n"
              "  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\n"
              "  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n"
              "  00000000000e0000-00000000000fffff (prio 0, rom): pc.bios @0000000000020000\n"
              "  0000000000100000-0000000007ffffff (prio 0, ram): pc.ram @0000000000100000\n"
              "  00000000fed00000-00000000fed003ff (prio 0, i/o): hpet\n"
              "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
              "\n"
              "FlatView #1\n"
              " AS \"I/O\", root: io\n"
              " Root memory region: io\n"
              "  0000000000000060-0000000000000060 (prio 0, i/o): i8042\n"
              "\n");
}

TEST_F(MtreeTest, AddressSpacesSharingARootArePrintedOnce) {
    AddressSpace cpu_memory(system_, "cpu-memory-0");
    // A PCI device's bus-master space renders the same as system memory.
    MemoryRegion bus_master;
    bus_master.init_alias("bus master container", system_, 0, UINT64_MAX);
    AddressSpace dma(bus_master, "e1000");
    std::string text = mtree_text({&memory_, &cpu_memory, &dma}, {.flat = true});
    EXPECT_EQ(text.rfind("FlatView #0\n"
                         " AS \"memory\", root: system\n"
                         " AS \"cpu-memory-0\", root: system\n"
                         " AS \"e1000\", root: bus master container, alias system\n"
                         " Root memory region: system\n",
                         0),
              0u)
        << text;
    EXPECT_EQ(text.find("FlatView #1"), std::string::npos);
    // Bus mastering off: nothing rendered for the device.
    bus_master.set_enabled(false);
    text = mtree_text({&dma}, {.flat = true});
    EXPECT_EQ(text,
              "FlatView #0\n"
              " AS \"e1000\", root: bus master container, alias system\n"
              " Root memory region: (none)\n"
              "  No rendered FlatView\n\n");
    text = mtree_text({&memory_, &cpu_memory});
    EXPECT_EQ(text.rfind("address-space: cpu-memory-0\naddress-space: memory\n  "
                         "0000000000000000-ffffffffffffffff",
                         0),
              0u)
        << text;
}

TEST_F(MtreeTest, EmptyFlatView) {
    MemoryRegion nothing;
    nothing.init_container("nothing", 0x1000);
    AddressSpace empty(nothing, "empty");
    EXPECT_EQ(mtree_text({&empty}, {.flat = true}),
              "FlatView #0\n"
              " AS \"empty\", root: nothing\n"
              " Root memory region: (none)\n"
              "  No rendered FlatView\n\n");
}

}  // namespace
}  // namespace mimic::memory
