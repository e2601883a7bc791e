// intel-iommu (VT-d) on the q35 machine through the real binary, with
// QEMU's edu device as the bus master: the registers QEMU 7.2 shows for
// each option set, DMA remapping through tables built in guest RAM (read
// and write permissions, faults and their recording and event interrupt,
// address width, context faults, fault processing disable, pass-through),
// queued invalidation, and interrupt remapping of MSIs and of the IOAPIC's
// remappable entries, with source-id checks.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr uint64_t kIommu = 0xfed90000;
constexpr uint64_t kCap = kIommu + 0x08, kEcap = kIommu + 0x10, kGcmd = kIommu + 0x18, kGsts = kIommu + 0x1c,
                   kRtaddr = kIommu + 0x20, kFsts = kIommu + 0x34, kFectl = kIommu + 0x38,
                   kFedata = kIommu + 0x3c, kFeaddr = kIommu + 0x40, kIqh = kIommu + 0x80, kIqt = kIommu + 0x88,
                   kIqa = kIommu + 0x90, kIcs = kIommu + 0x9c, kIrta = kIommu + 0xb8, kFrcd = kIommu + 0x220;
constexpr uint32_t kTe = 1u << 31, kSrtp = 1u << 30, kQie = 1u << 26, kIre = 1u << 25, kSirtp = 1u << 24,
                   kCfi = 1u << 23;

constexpr int kEduSlot = 2;
constexpr uint16_t kEduSid = kEduSlot << 3;
constexpr uint64_t kEdu = 0xfea00000;
constexpr uint64_t kBuffer = 0x40000;
constexpr int64_t kMs = 1'000'000;

// Guest RAM: the tables and the pages they map.
constexpr uint64_t kRootTable = 0x10000, kContextTable = 0x11000, kLevel3 = 0x12000, kLevel2 = 0x13000,
                   kLevel1 = 0x14000, kQueue = 0x15000, kIrTable = 0x16000;
constexpr uint64_t kPageRw = 0x200000, kPageRo = 0x201000, kStatusWord = 0x300000;

std::vector<std::string> args(const std::string& iommu = "intel-iommu") {
    return {"-M", "q35", "-nodefaults", "-m", "512", "-device", iommu,
            "-device", "edu,addr=" + std::to_string(kEduSlot)};
}

void edu_config(QtestClient& vm, uint8_t offset, uint32_t value, unsigned size = 4) {
    vm.outl(0xcf8, 0x80000000u | (kEduSlot << 11) | (offset & ~3u));
    uint16_t port = static_cast<uint16_t>(0xcfc + (offset & 3));
    if (size == 4) vm.outl(port, value);
    if (size == 2) vm.outw(port, static_cast<uint16_t>(value));
}

void enable_edu(QtestClient& vm) {
    edu_config(vm, 0x10, static_cast<uint32_t>(kEdu));
    edu_config(vm, 0x04, 0x0006);
    vm.writel(0xfee000f0, 0x1ff);  // the APIC, software-enabled
}

// An edu DMA: runs 100 ms of virtual time after it starts.
void edu_dma(QtestClient& vm, uint64_t src, uint64_t dst, uint64_t count, bool to_ram) {
    vm.writeq(kEdu + 0x80, src);
    vm.writeq(kEdu + 0x88, dst);
    vm.writeq(kEdu + 0x90, count);
    vm.writeq(kEdu + 0x98, to_ram ? 3 : 1);
    vm.clock_step(200 * kMs);
}

bool irr(QtestClient& vm, uint8_t vector) {
    return vm.readl(0xfee00200 + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

// Root entry for bus 0, a context entry for edu (39-bit, 3 levels) and
// IOVA 0 -> kPageRw (read/write), 0x1000 -> kPageRo (read only).
void build_tables(QtestClient& vm, uint64_t context_low_flags = 0) {
    vm.writeq(kRootTable, kContextTable | 1);
    vm.writeq(kContextTable + 16 * kEduSid, kLevel3 | 1 | context_low_flags);
    vm.writeq(kContextTable + 16 * kEduSid + 8, 1 | 0x78 | 1 << 8);  // AW 39 bits, software's bits 6:3, domain 1
    vm.writeq(kLevel3, kLevel2 | 3);
    vm.writeq(kLevel2, kLevel1 | 3);
    vm.writeq(kLevel1, kPageRw | 3);
    vm.writeq(kLevel1 + 8, kPageRo | 1);
}

void command(QtestClient& vm, uint32_t bit) { vm.writel(kGcmd, vm.readl(kGsts) | bit); }

void enable_translation(QtestClient& vm) {
    vm.writeq(kRtaddr, kRootTable);
    command(vm, kSrtp);
    command(vm, kTe);
}

uint8_t fault_reason(QtestClient& vm) { return static_cast<uint8_t>(vm.readq(kFrcd + 8) >> 32); }
uint16_t fault_source(QtestClient& vm) { return static_cast<uint16_t>(vm.readq(kFrcd + 8)); }
void clear_fault(QtestClient& vm) {
    vm.writel(kFrcd + 12, 0x80000000u);
    vm.writel(kFsts, 0xff);
}

}  // namespace

TEST(IntelIommu, RegistersAsQemu) {
    struct Case {
        std::string options;
        uint64_t cap, ecap;
    };
    // Read from QEMU 7.2 (-M q35 -device intel-iommu,...; HMP xp).
    for (const Case& c : {Case{"", 0x00d2008c22260206, 0x0000000000f00f4a},
                          Case{",intremap=off", 0x00d2008c22260206, 0x0000000000000f42},
                          Case{",aw-bits=48", 0x00d2008c222f0606, 0x0000000000f00f4a},
                          Case{",caching-mode=on,pt=off,device-iotlb=on,snoop-control=on,dma-drain=off",
                               0x0012008c22260286, 0x0000000000f00f8e}}) {
        QtestClient vm(args("intel-iommu" + c.options));
        EXPECT_EQ(vm.readl(kIommu), 0x10u) << c.options;
        EXPECT_EQ(vm.readq(kCap), c.cap) << c.options;
        EXPECT_EQ(vm.readq(kEcap), c.ecap) << c.options;
        EXPECT_EQ(vm.readl(kGsts), 0u);
        EXPECT_EQ(vm.readl(kFectl), 0x80000000u);
        EXPECT_EQ(vm.readl(kIommu + 0xa0), 0x80000000u);
    }
}

TEST(IntelIommu, OptionsQemuRefuses) {
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    for (const Case& c : {
             Case{{"-M", "q35", "-device", "intel-iommu,eim=on"}, "eim=on requires accel=kvm,kernel-irqchip=split"},
             Case{{"-M", "q35", "-device", "intel-iommu,intremap=off,eim=on"},
                  "eim=on cannot be selected without intremap=on"},
             Case{{"-M", "q35", "-device", "intel-iommu,aw-bits=40"}, "Supported values for aw-bits are: 39, 48"},
             Case{{"-M", "q35", "-device", "intel-iommu", "-device", "intel-iommu"},
                  "QEMU does not support multiple vIOMMUs for x86 yet."},
             Case{{"-M", "pc", "-device", "intel-iommu"},
                  "Parameter 'driver' expects a dynamic sysbus device type for the machine"},
         }) {
        try {
            QtestClient vm(c.args);
            ADD_FAILURE() << "started with " << c.args.back();
        } catch (const std::exception& e) {
            EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
        }
    }
}

TEST(IntelIommu, GlobalCommandsSetTheirStatus) {
    QtestClient vm(args());
    vm.writeq(kRtaddr, kRootTable | 0xfff);
    EXPECT_EQ(vm.readq(kRtaddr), kRootTable | 0xc00);  // bits 9:0 reserved
    command(vm, kSrtp);
    EXPECT_EQ(vm.readl(kGsts), kSrtp);
    command(vm, kQie);
    command(vm, kSirtp);
    command(vm, kIre);
    command(vm, kTe);
    EXPECT_EQ(vm.readl(kGsts), kTe | kSrtp | kQie | kIre | kSirtp);
    EXPECT_EQ(vm.readl(kGcmd), 0u);  // write-only
    vm.writel(kGcmd, vm.readl(kGsts) & ~kTe);
    EXPECT_EQ(vm.readl(kGsts) & kTe, 0u);
}

TEST(IntelIommu, DmaGoesThroughTheTables) {
    QtestClient vm(args());
    enable_edu(vm);
    build_tables(vm);
    vm.writel(kPageRw, 0x11223344);
    vm.writel(kPageRo, 0x55667788);
    // Before translation is enabled, addresses are physical.
    edu_dma(vm, kPageRo, kBuffer, 4, false);
    EXPECT_EQ(vm.readl(kEdu + 0x98) & 1, 0u);
    enable_translation(vm);
    edu_dma(vm, 0x0, kBuffer, 4, false);         // IOVA 0 -> kPageRw
    edu_dma(vm, kBuffer, 0x4, 4, true);          // and back, 4 bytes on
    EXPECT_EQ(vm.readl(kPageRw + 4), 0x11223344u);
    edu_dma(vm, 0x1000, kBuffer, 4, false);      // read-only page: reads fine
    edu_dma(vm, kBuffer, 0x8, 4, true);
    EXPECT_EQ(vm.readl(kPageRw + 8), 0x55667788u);
    EXPECT_EQ(vm.readl(kFsts), 0u);
}

TEST(IntelIommu, FaultsAreRecordedAndSignalled) {
    QtestClient vm(args());
    enable_edu(vm);
    build_tables(vm);
    enable_translation(vm);
    vm.writel(kFedata, 0x0065);
    vm.writel(kFeaddr, 0xfee00000);
    vm.writel(kPageRo, 0x55667788);

    // A write to the read-only page: nothing lands, reason 5, masked event.
    edu_dma(vm, kBuffer, 0x1000, 4, true);
    EXPECT_EQ(vm.readl(kPageRo), 0x55667788u);
    EXPECT_EQ(vm.readl(kFsts) & 2, 2u);  // PPF
    EXPECT_EQ(fault_reason(vm), 5);
    EXPECT_EQ(fault_source(vm), kEduSid);
    EXPECT_EQ(vm.readq(kFrcd), 0x1000u);
    EXPECT_EQ(vm.readq(kFrcd + 8) >> 62 & 1, 0u);  // T: a write
    EXPECT_EQ(vm.readl(kFectl), 0xc0000000u);     // masked, pending
    EXPECT_FALSE(irr(vm, 0x65));
    vm.writel(kFectl, 0);  // unmasking sends the pending event
    EXPECT_TRUE(irr(vm, 0x65));
    EXPECT_EQ(vm.readl(kFectl), 0u);

    // A second fault while the record is full: overflow only.
    edu_dma(vm, 0x5000, kBuffer, 4, false);
    EXPECT_EQ(vm.readl(kFsts) & 1, 1u);
    EXPECT_EQ(fault_reason(vm), 5);
    clear_fault(vm);
    EXPECT_EQ(vm.readl(kFsts), 0u);

    // Unmapped IOVA: a read fault.
    edu_dma(vm, 0x5000, kBuffer, 4, false);
    EXPECT_EQ(fault_reason(vm), 6);
    EXPECT_EQ(vm.readq(kFrcd + 8) >> 62 & 1, 1u);
}

TEST(IntelIommu, AddressWidthAndContextFaults) {
    std::vector<std::string> wide = args();
    wide.back() += ",dma_mask=0xffffffffffff";  // edu's default keeps addresses under 2^28
    QtestClient vm(wide);
    enable_edu(vm);
    build_tables(vm);
    enable_translation(vm);
    edu_dma(vm, uint64_t{1} << 39, kBuffer, 4, false);
    EXPECT_EQ(fault_reason(vm), 4);
    clear_fault(vm);
    // A reserved bit of the context entry.
    vm.writeq(kContextTable + 16 * kEduSid + 8, 1 | 1 << 8 | uint64_t{1} << 40);
    vm.writel(kIommu + 0x2c, 0xa0000000u);
    edu_dma(vm, 0x0, kBuffer, 4, false);
    EXPECT_EQ(fault_reason(vm), 0xb);
    clear_fault(vm);
    // A context entry with an address width the unit does not offer.
    vm.writeq(kContextTable + 16 * kEduSid + 8, 2 | 1 << 8);  // 48 bits on a 39-bit unit
    vm.writel(kIommu + 0x2c, 0xa0000000u);                    // context cache: global invalidation
    edu_dma(vm, 0x0, kBuffer, 4, false);
    EXPECT_EQ(fault_reason(vm), 3);
    clear_fault(vm);
    // No context entry: reason 2.
    vm.writeq(kContextTable + 16 * kEduSid, 0);
    vm.writel(kIommu + 0x2c, 0xa0000000u);
    edu_dma(vm, 0x0, kBuffer, 4, false);
    EXPECT_EQ(fault_reason(vm), 2);
    clear_fault(vm);
    // No root entry: reason 1.
    vm.writeq(kRootTable, 0);
    vm.writel(kIommu + 0x2c, 0xa0000000u);
    edu_dma(vm, 0x0, kBuffer, 4, false);
    EXPECT_EQ(fault_reason(vm), 1);
}

TEST(IntelIommu, FaultProcessingDisableAndPassThrough) {
    QtestClient vm(args());
    enable_edu(vm);
    build_tables(vm, 2);  // FPD
    enable_translation(vm);
    edu_dma(vm, 0x5000, kBuffer, 4, false);
    EXPECT_EQ(vm.readl(kFsts), 0u);
    EXPECT_EQ(vm.readq(kFrcd + 8), 0u);

    // Translation type 2: the requester's addresses are physical.
    vm.writeq(kContextTable + 16 * kEduSid, 1 | 2 << 2);
    vm.writel(kIommu + 0x2c, 0xa0000000u);
    vm.writel(0x7000, 0xabcdef01);
    edu_dma(vm, 0x7000, kBuffer, 4, false);
    edu_dma(vm, kBuffer, 0x7004, 4, true);
    EXPECT_EQ(vm.readl(0x7004), 0xabcdef01u);
}

TEST(IntelIommu, QueuedInvalidation) {
    QtestClient vm(args());
    enable_edu(vm);
    build_tables(vm);
    enable_translation(vm);
    vm.writeq(kIqa, kQueue);  // 256 entries
    command(vm, kQie);
    EXPECT_EQ(vm.readq(kIqh), 0u);
    vm.writel(kPageRw, 0x1234);
    edu_dma(vm, 0x0, kBuffer, 4, false);

    // Remap IOVA 0 to the other page, then invalidate the IOTLB and wait
    // with a status write and the completion flag.
    vm.writeq(kLevel1, kPageRo | 3);
    vm.writel(kPageRo, 0x5678);
    vm.writeq(kQueue, 0x2 | 1 << 4);  // IOTLB, global
    vm.writeq(kQueue + 8, 0);
    vm.writeq(kQueue + 16, 0x5 | 1 << 5 | 1 << 4 | uint64_t{0xfeedf00d} << 32);  // wait: status write, IF
    vm.writeq(kQueue + 24, kStatusWord);
    vm.writeq(kIqt, 2 << 4);
    EXPECT_EQ(vm.readq(kIqh), 2u << 4);
    EXPECT_EQ(vm.readl(kStatusWord), 0xfeedf00du);
    EXPECT_EQ(vm.readl(kIcs), 1u);
    vm.writel(kIcs, 1);
    EXPECT_EQ(vm.readl(kIcs), 0u);
    edu_dma(vm, 0x0, kBuffer, 4, false);
    edu_dma(vm, kBuffer, 0x4, 4, true);
    EXPECT_EQ(vm.readl(kPageRo + 4), 0x5678u);

    // An invalid descriptor stops the queue with IQE.
    vm.writeq(kQueue + 32, 0xf);
    vm.writeq(kQueue + 40, 0);
    vm.writeq(kIqt, 3 << 4);
    EXPECT_EQ(vm.readl(kFsts) & 0x10, 0x10u);
    EXPECT_EQ(vm.readq(kIqh), 2u << 4);
}

// Remappable MSIs name an entry of the remapping table; the entry's
// vector reaches the APIC when the requester's source-id matches.
TEST(IntelIommu, InterruptRemappingOfMsis) {
    QtestClient vm(args());
    enable_edu(vm);
    vm.writeq(kIrta, kIrTable | 7);  // 256 entries
    command(vm, kSirtp);
    command(vm, kIre);
    // Entry 5: vector 0x66, fixed, physical, APIC 0, full source-id check.
    vm.writeq(kIrTable + 16 * 5, 1 | 0x66ull << 16);
    vm.writeq(kIrTable + 16 * 5 + 8, kEduSid | 1ull << 18);
    edu_config(vm, 0x44, 0xfee00000u | 1u << 4 | 5u << 5);
    edu_config(vm, 0x48, 0);
    edu_config(vm, 0x4c, 0, 2);
    edu_config(vm, 0x42, 1, 2);
    vm.writel(kEdu + 0x60, 1);
    EXPECT_TRUE(irr(vm, 0x66));
    EXPECT_EQ(vm.readl(kFsts), 0u);
    vm.writel(kEdu + 0x64, 1);

    // Another requester's source-id: blocked, reason 0x26.
    vm.writeq(kIrTable + 16 * 6, 1 | 0x67ull << 16);
    vm.writeq(kIrTable + 16 * 6 + 8, 0x0008 | 1ull << 18);
    edu_config(vm, 0x44, 0xfee00000u | 1u << 4 | 6u << 5);
    vm.writel(kEdu + 0x60, 1);
    EXPECT_FALSE(irr(vm, 0x67));
    EXPECT_EQ(fault_reason(vm), 0x26);
    EXPECT_EQ(fault_source(vm), kEduSid);
    clear_fault(vm);
    vm.writel(kEdu + 0x64, 1);

    // An index past the table: 0x21.
    edu_config(vm, 0x44, 0xfee00000u | 1u << 4 | 300u << 5);
    vm.writel(kEdu + 0x60, 1);
    EXPECT_EQ(fault_reason(vm), 0x21);
    clear_fault(vm);
    vm.writel(kEdu + 0x64, 1);

    // Compatibility format: blocked until CFI is set.
    edu_config(vm, 0x44, 0xfee00000u);
    edu_config(vm, 0x4c, 0x68, 2);
    vm.writel(kEdu + 0x60, 1);
    EXPECT_FALSE(irr(vm, 0x68));
    EXPECT_EQ(fault_reason(vm), 0x25);
    clear_fault(vm);
    vm.writel(kEdu + 0x64, 1);
    command(vm, kCfi);
    vm.writel(kEdu + 0x60, 1);
    EXPECT_TRUE(irr(vm, 0x68));
}

// The IOAPIC hands a remappable redirection entry over in MSI form.
TEST(IntelIommu, InterruptRemappingOfTheIoapic) {
    QtestClient vm(args());
    enable_edu(vm);
    vm.writeq(kIrta, kIrTable | 7);
    command(vm, kSirtp);
    command(vm, kIre);
    vm.writeq(kIrTable + 16 * 9, 1 | 0x77ull << 16);
    vm.writeq(kIrTable + 16 * 9 + 8, 0x1234 | 1ull << 18);  // the IOAPIC's request carries no source-id
    // edu in slot 2 has INTA on PIRQG: IOAPIC input 22. Remappable format,
    // index 9, edge.
    vm.writel(0xfec00000, 0x10 + 2 * 22);
    vm.writel(0xfec00010, 0x77);
    vm.writel(0xfec00000, 0x10 + 2 * 22 + 1);
    vm.writel(0xfec00010, (1u << 16 | 9u << 17));
    vm.writel(kEdu + 0x60, 1);
    EXPECT_TRUE(irr(vm, 0x77));
    EXPECT_EQ(vm.readl(kFsts), 0u);
}
