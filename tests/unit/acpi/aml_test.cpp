// The AML encoder's exact bytes. Expected values for whole objects are
// taken from the DSDT QEMU 7.2 builds for pc-i440fx-7.2 (dumped from guest
// memory after SeaBIOS installed it), so the encoder matches the generator
// whose tables guests are known to accept.
#include <gtest/gtest.h>

#include <string>

#include "aml.h"
#include "aml_resources.h"

namespace aml = mimic::hw::aml;
using aml::Aml;

namespace {

std::vector<uint8_t> hex(const std::string& text) {
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i + 1 < text.size(); i += 2) bytes.push_back(static_cast<uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
    return bytes;
}

std::vector<uint8_t> pkg_length(size_t length, bool include_self = true) {
    std::vector<uint8_t> out;
    aml::append_pkg_length(out, length, include_self);
    return out;
}

Aml link_interrupts(const std::vector<uint32_t>& irqs) {
    Aml crs = aml::resource_template();
    crs.append(aml::interrupt(true, aml::IrqTrigger::kLevel, aml::IrqPolarity::kActiveHigh, true, irqs));
    return crs;
}

}  // namespace

TEST(Aml, IntegersUseTheShortestPrefix) {
    EXPECT_EQ(aml::integer(0).encode(), hex("00"));
    EXPECT_EQ(aml::integer(1).encode(), hex("01"));
    EXPECT_EQ(aml::integer(2).encode(), hex("0a02"));
    EXPECT_EQ(aml::integer(0xff).encode(), hex("0aff"));
    EXPECT_EQ(aml::integer(0x100).encode(), hex("0b0001"));
    EXPECT_EQ(aml::integer(0xffff).encode(), hex("0bffff"));
    EXPECT_EQ(aml::integer(0x10000).encode(), hex("0c00000100"));
    EXPECT_EQ(aml::integer(0xfed00000).encode(), hex("0c0000d0fe"));
    EXPECT_EQ(aml::integer(0x100000000ull).encode(), hex("0e0000000001000000"));
}

TEST(Aml, PkgLengthBoundaries) {
    // One byte up to 63 including itself, then 2, 3, 4 bytes.
    EXPECT_EQ(pkg_length(62), hex("3f"));
    EXPECT_EQ(pkg_length(63), hex("4104"));  // 65 = 0x041
    EXPECT_EQ(pkg_length(0x74a), hex("4c74"));
    EXPECT_EQ(pkg_length(4093), hex("4fff"));
    EXPECT_EQ(pkg_length(4094), hex("810001"));  // 4097 = 0x1001
    EXPECT_EQ(pkg_length((1 << 20) - 4), hex("8fffff"));   // 0xfffff
    EXPECT_EQ(pkg_length((1 << 20) - 3), hex("c1000001"));  // 0x100001
    // Field widths in bits do not count the encoding.
    EXPECT_EQ(pkg_length(8, false), hex("08"));
    EXPECT_EQ(pkg_length(64, false), hex("4004"));
}

TEST(Aml, NameStrings) {
    std::vector<uint8_t> out;
    aml::append_name_string(out, "_S5");
    EXPECT_EQ(out, hex("5f53355f"));
    out.clear();
    aml::append_name_string(out, "\\_SB.PCI0");
    EXPECT_EQ(out, hex("5c2e5f53425f50434930"));
    out.clear();
    aml::append_name_string(out, "PCI0.S08.P40C");
    EXPECT_EQ(out, hex("2f03504349305330385f50343043"));
    out.clear();
    aml::append_name_string(out, "^PCI0");
    EXPECT_EQ(out, hex("5e50434930"));
    out.clear();
    aml::append_name_string(out, "\\");
    EXPECT_EQ(out, hex("5c00"));
}

TEST(Aml, DataObjects) {
    EXPECT_EQ(aml::eisa_id("PNP0A03").encode(), hex("0c41d00a03"));
    EXPECT_EQ(aml::eisa_id("PNP0C0F").encode(), hex("0c41d00c0f"));
    EXPECT_EQ(aml::string("QEMU0002").encode(), hex("0d51454d553030303200"));
    EXPECT_EQ(aml::buffer({0, 8, 0, 0, 1, 0, 0, 0}).encode(), hex("110b0a080008000001000000"));
    Aml s5 = aml::package(4);
    for (int i = 0; i < 4; ++i) s5.append(aml::integer(0));
    EXPECT_EQ(aml::name_decl("_S5", s5).encode(), hex("085f53355f12060400000000"));
    Aml s3 = aml::package(4);
    for (int value : {1, 1, 0, 0}) s3.append(aml::integer(static_cast<uint64_t>(value)));
    EXPECT_EQ(aml::name_decl("_S3", s3).encode(), hex("085f53335f12060401010000"));
    // A declared size larger than the elements given: Package (0x80) {}.
    EXPECT_EQ(aml::store(aml::package(128), aml::local(0)).encode(), hex("7012028060"));
}

TEST(Aml, ResourceDescriptors) {
    EXPECT_EQ(aml::io(aml::IoDecode::kDecode16, 0x70, 0x70, 1, 8).encode(), hex("4701700070000108"));
    EXPECT_EQ(aml::irq_no_flags(8).encode(), hex("220001"));
    EXPECT_EQ(aml::irq_no_flags(1).encode(), hex("220200"));
    EXPECT_EQ(aml::memory32_fixed(0xfed00000, 0x400, false).encode(), hex("860900000000d0fe00040000"));
    EXPECT_EQ(link_interrupts({5, 10, 11}).encode(), hex("11160a13890e000903050000000a0000000b0000007900"));

    // QEMU's \_SB.PCI0._CRS for 128 MiB of RAM.
    Aml crs = aml::resource_template();
    crs.append(aml::word_bus_number(0, 0, 0xff, 0, 0x100));
    crs.append(aml::io(aml::IoDecode::kDecode16, 0x0cf8, 0x0cf8, 1, 8));
    crs.append(aml::word_io(0, 0, 0x0cf7, 0, 0x0cf8));
    crs.append(aml::word_io(0, 0x0d00, 0xffff, 0, 0xf300));
    crs.append(aml::dword_memory(aml::Cacheable::kCacheable, 0, 0xa0000, 0xbffff, 0, 0x20000));
    crs.append(aml::dword_memory(aml::Cacheable::kNonCacheable, 0, 0x08000000, 0xfebfffff, 0, 0xf6c00000));
    crs.append(aml::qword_memory(aml::Cacheable::kCacheable, 0, 0x100000000ull, 0x17fffffffull, 0, 0x80000000ull));
    EXPECT_EQ(aml::name_decl("_CRS", crs).encode(),
              hex("085f43525311400a0a9c880d00020c0000000000ff00000000014701f80cf80c0108880d00010c0300000000f70c0000"
                  "f80c880d00010c030000000dffff000000f3871700000c030000000000000a00ffff0b000000000000000200871700000c"
                  "010000000000000008ffffbffe000000000000c0f68a2b00000c03000000000000000000000000010000"
                  "00ffffff7f01000000000000000000000000000080000000007900"));
}

TEST(Aml, LinkDeviceMatchesQemu) {
    Aml device = aml::device("LNKA");
    device.append(aml::name_decl("_HID", aml::eisa_id("PNP0C0F")));
    device.append(aml::name_decl("_UID", aml::integer(0)));
    device.append(aml::name_decl("_PRS", link_interrupts({5, 10, 11})));
    Aml status = aml::method("_STA", 0);
    status.append(aml::return_(aml::call("IQST", {aml::name("PRQ0")})));
    device.append(status);
    Aml disable = aml::method("_DIS", 0);
    disable.append(aml::or_(aml::name("PRQ0"), aml::integer(0x80), aml::name("PRQ0")));
    device.append(disable);
    Aml current = aml::method("_CRS", 0);
    current.append(aml::return_(aml::call("IQCR", {aml::name("PRQ0")})));
    device.append(current);
    Aml set = aml::method("_SRS", 1);
    set.append(aml::create_dword_field(aml::arg(0), aml::integer(5), "PRRI"));
    set.append(aml::store(aml::name("PRRI"), aml::name("PRQ0")));
    device.append(set);
    EXPECT_EQ(device.encode(),
              hex("5b824c074c4e4b41085f4849440c41d00c0f085f55494400085f50525311160a13890e000903050000000a0000000b00"
                  "00007900140f5f53544100a4495153545052513014115f444953007d505251300a8050525130140f5f43525300a4495143"
                  "525052513014175f535253018a680a0550525249705052524950525130"));
}

TEST(Aml, ControlFlowMatchesQemu) {
    // IQST and IQCR: If, Return, And with no target, Serialized methods.
    Aml iqst = aml::method("IQST", 1);
    Aml disabled = aml::if_(aml::and_(aml::integer(0x80), aml::arg(0)));
    disabled.append(aml::return_(aml::integer(9)));
    iqst.append(disabled);
    iqst.append(aml::return_(aml::integer(0x0b)));
    EXPECT_EQ(iqst.encode(), hex("14134951535401a0097b0a806800a40a09a40a0b"));

    Aml iqcr = aml::method("IQCR", 1, aml::Serialize::kSerialized);
    iqcr.append(aml::name_decl("PRR0", link_interrupts({0})));
    iqcr.append(aml::create_dword_field(aml::name("PRR0"), aml::integer(5), "PRRI"));
    Aml enabled = aml::if_(aml::lless(aml::arg(0), aml::integer(0x80)));
    enabled.append(aml::store(aml::arg(0), aml::name("PRRI")));
    iqcr.append(enabled);
    iqcr.append(aml::return_(aml::name("PRR0")));
    EXPECT_EQ(iqcr.encode(), hex("143649514352090850525230110e0a0b89060009010000000079008a505252300a0550525249a00b95"
                                 "680a80706850525249a450525230"));
}

TEST(Aml, RegionsAndFields) {
    EXPECT_EQ(aml::operation_region("P40C", aml::RegionSpace::kPciConfig, aml::integer(0x60), 4).encode(),
              hex("5b8050343043020a600a04"));
    Aml field =
        aml::field("PCI0.S08.P40C", aml::FieldAccess::kByte, aml::FieldLock::kNoLock, aml::FieldUpdate::kPreserve);
    for (const char* name : {"PRQ0", "PRQ1", "PRQ2", "PRQ3"}) field.append(aml::named_field(name, 8));
    EXPECT_EQ(field.encode(), hex("5b81242f03504349305330385f503430430150525130085052513108505251320850525133"
                                  "08"));
    Aml hpet = aml::field("HPTM", aml::FieldAccess::kDword, aml::FieldLock::kLock, aml::FieldUpdate::kPreserve);
    hpet.append(aml::named_field("VEND", 32));
    hpet.append(aml::named_field("PRD", 32));
    EXPECT_EQ(hpet.encode(), hex("5b81104850544d1356454e44205052445f20"));
    EXPECT_EQ(aml::reserved_field(32).encode(), hex("0020"));
}

TEST(Aml, ProcessorAndMutex) {
    Aml cpu = aml::processor("C000", 0);
    EXPECT_EQ(cpu.encode(), hex("5b830b43303030000000000000"));
    EXPECT_EQ(aml::mutex("BLCK", 0).encode(), hex("5b01424c434b00"));
    EXPECT_EQ(aml::acquire(aml::name("BLCK"), 0xffff).encode(), hex("5b23424c434bffff"));
    EXPECT_EQ(aml::release(aml::name("BLCK")).encode(), hex("5b27424c434b"));
}

TEST(Aml, BadInputsAreRefused) {
    EXPECT_THROW(aml::local(8), std::invalid_argument);
    EXPECT_THROW(aml::arg(7), std::invalid_argument);
    EXPECT_THROW(aml::name("TOOLONG"), std::invalid_argument);
    EXPECT_THROW(aml::irq_no_flags(16), std::invalid_argument);
    EXPECT_THROW(aml::interrupt(true, aml::IrqTrigger::kLevel, aml::IrqPolarity::kActiveHigh, true, {}),
                 std::invalid_argument);
}

TEST(Aml, ToUuidLaysOutTheFirstFieldsLittleEndian) {
    // The PCI host bridge _OSC UUID as QEMU 7.2's q35 DSDT encodes it.
    EXPECT_EQ(aml::to_uuid("33db4d5b-1ff7-401c-9657-7441c03dd766").encode(),
              hex("11130a105b4ddb33f71f1c4096577441c03dd766"));
    EXPECT_THROW(aml::to_uuid("33db4d5b"), std::invalid_argument);
}

