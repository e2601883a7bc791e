#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "mimic/util/error.h"
#include "test_devices.h"

namespace mimic::qom::test {
namespace {

using nlohmann::json;

// The message of the mimic::Error `f` throws ("" if none).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

class PropertyTest : public QomTest {
protected:
    std::unique_ptr<AllProps> obj_ = new_object<AllProps>("test-all-props");
    std::string set_error(const char* name, const char* text) {
        return error_of([&] { obj_->parse_property(name, std::string_view(text)); });
    }
    std::string json_error(const char* name, const json& value) {
        return error_of([&] { obj_->set_property(name, value); });
    }
};

TEST_F(PropertyTest, Defaults) {
    EXPECT_FALSE(obj_->flag_);
    EXPECT_EQ(obj_->i8_, -1);
    EXPECT_EQ(obj_->level_, 3);
    EXPECT_EQ(obj_->size_, 65536u);
    EXPECT_EQ(obj_->name_, "default-name");
    EXPECT_EQ(obj_->mode_, Mode::kSlow);
    EXPECT_EQ(obj_->accel_, OnOffAuto::kAuto);
    EXPECT_TRUE(obj_->mac_.is_zero());
    EXPECT_EQ(obj_->addr_, -1);
    EXPECT_FALSE(obj_->drive_.is_set());
}

TEST_F(PropertyTest, UnknownProperty) {
    EXPECT_EQ(set_error("bogus", "1"), "Property 'test-all-props.bogus' not found");
    EXPECT_EQ(json_error("bogus", 1), "Property 'test-all-props.bogus' not found");
    EXPECT_EQ(error_of([&] { obj_->get_property("bogus"); }),
              "Property 'test-all-props.bogus' not found");
}

TEST_F(PropertyTest, Bool) {
    obj_->parse_property("flag", "on");
    EXPECT_TRUE(obj_->flag_);
    obj_->parse_property("flag", "off");
    EXPECT_FALSE(obj_->flag_);
    obj_->parse_property("flag", "yes");
    EXPECT_TRUE(obj_->flag_);
    EXPECT_EQ(set_error("flag", "maybe"), "Parameter 'flag' expects 'on' or 'off'");
    obj_->set_property("flag", json(false));
    EXPECT_EQ(obj_->get_property("flag"), json(false));
    EXPECT_EQ(json_error("flag", "on"), "Invalid parameter type for 'flag', expected: boolean");
    EXPECT_EQ(obj_->print_property("flag"), "false");
}

TEST_F(PropertyTest, SignedIntegers) {
    obj_->parse_property("i8", "-128");
    EXPECT_EQ(obj_->i8_, -128);
    obj_->parse_property("i16", "0x7fff");
    EXPECT_EQ(obj_->i16_, 0x7fff);
    obj_->parse_property("i32", "-5");
    EXPECT_EQ(obj_->i32_, -5);
    obj_->parse_property("i64", "-9223372036854775808");
    EXPECT_EQ(obj_->i64_, INT64_MIN);
    EXPECT_EQ(set_error("i8", "128"), "Parameter 'i8' expects int8_t");
    EXPECT_EQ(set_error("i16", "-32769"), "Parameter 'i16' expects int16_t");
    EXPECT_EQ(set_error("i32", "2147483648"), "Parameter 'i32' expects int32_t");
    EXPECT_EQ(set_error("i64", "9223372036854775808"), "Parameter 'i64' expects integer");
    EXPECT_EQ(set_error("i32", "fast"), "Parameter 'i32' expects integer");
    EXPECT_EQ(set_error("i32", ""), "Parameter 'i32' expects integer");
    EXPECT_EQ(obj_->i32_, -5);  // unchanged by the errors

    obj_->set_property("i32", json(-7));
    EXPECT_EQ(obj_->get_property("i32"), json(-7));
    EXPECT_EQ(json_error("i32", "7"), "Invalid parameter type for 'i32', expected: integer");
    EXPECT_EQ(json_error("i8", 1000), "Parameter 'i8' expects int8_t");
    EXPECT_EQ(obj_->print_property("i32"), "-7 (0xfffffffffffffff9)");
}

TEST_F(PropertyTest, UnsignedIntegers) {
    obj_->parse_property("u8", "255");
    EXPECT_EQ(obj_->u8_, 255);
    obj_->parse_property("u16", "0xffff");
    EXPECT_EQ(obj_->u16_, 0xffff);
    obj_->parse_property("u32", "010");
    EXPECT_EQ(obj_->u32_, 8u);  // octal, as strtoull base 0
    obj_->parse_property("u64", "18446744073709551615");
    EXPECT_EQ(obj_->u64_, UINT64_MAX);
    EXPECT_EQ(set_error("u8", "256"), "Parameter 'u8' expects uint8_t");
    EXPECT_EQ(set_error("u16", "65536"), "Parameter 'u16' expects uint16_t");
    EXPECT_EQ(set_error("u32", "4294967296"), "Parameter 'u32' expects uint32_t");
    EXPECT_EQ(set_error("u32", "-1"), "Parameter 'u32' expects integer");
    EXPECT_EQ(set_error("u64", "1k"), "Parameter 'u64' expects integer");
    EXPECT_EQ(set_error("speed", "1"), "Property 'test-all-props.speed' not found");

    obj_->set_property("u32", json(42));
    EXPECT_EQ(obj_->get_property("u32"), json(42));
    EXPECT_EQ(obj_->print_property("u32"), "42 (0x2a)");
    EXPECT_EQ(json_error("u32", -1), "Parameter 'u32' expects uint64");
    EXPECT_EQ(json_error("u32", "42"), "Parameter 'u32' expects uint64");
    EXPECT_EQ(json_error("u8", 300), "Parameter 'u8' expects uint8_t");
}

TEST_F(PropertyTest, RangedInteger) {
    obj_->parse_property("level", "15");
    EXPECT_EQ(obj_->level_, 15);
    EXPECT_EQ(set_error("level", "16"),
              "Property test-all-props.level doesn't take value 16 (minimum: 0, maximum: 15)");
    EXPECT_EQ(set_error("level", "300"),
              "Property test-all-props.level doesn't take value 300 (minimum: 0, maximum: 15)");
    EXPECT_EQ(json_error("level", 99),
              "Property test-all-props.level doesn't take value 99 (minimum: 0, maximum: 15)");
    EXPECT_EQ(obj_->level_, 15);
}

TEST_F(PropertyTest, Size) {
    obj_->parse_property("size", "64K");
    EXPECT_EQ(obj_->size_, 65536u);
    obj_->parse_property("size", "1.5G");
    EXPECT_EQ(obj_->size_, 3ull << 29);
    obj_->parse_property("size", "4096");
    EXPECT_EQ(obj_->size_, 4096u);
    EXPECT_EQ(set_error("size", "lots"), "Parameter 'size' expects size");
    EXPECT_EQ(set_error("size", "-1"), "Parameter 'size' expects size");
    obj_->set_property("size", json(1 << 20));
    EXPECT_EQ(obj_->get_property("size"), json(1 << 20));
    EXPECT_EQ(obj_->print_property("size"), "1048576 (1 MiB)");
    EXPECT_EQ(json_error("size", "1M"), "Parameter 'size' expects uint64");
}

TEST_F(PropertyTest, String) {
    obj_->parse_property("name", "hello, world");
    EXPECT_EQ(obj_->name_, "hello, world");
    obj_->set_property("name", json("x"));
    EXPECT_EQ(obj_->get_property("name"), json("x"));
    EXPECT_EQ(obj_->print_property("name"), "\"x\"");
    EXPECT_EQ(json_error("name", 5), "Invalid parameter type for 'name', expected: string");
}

TEST_F(PropertyTest, Enum) {
    obj_->parse_property("mode", "off");
    EXPECT_EQ(obj_->mode_, Mode::kOff);
    EXPECT_EQ(obj_->get_property("mode"), json("off"));
    EXPECT_EQ(obj_->print_property("mode"), "\"off\"");
    EXPECT_EQ(set_error("mode", "warp"), "Parameter 'mode' does not accept value 'warp'");
    obj_->set_property("accel", json("on"));
    EXPECT_EQ(obj_->accel_, OnOffAuto::kOn);
    EXPECT_EQ(json_error("accel", true), "Invalid parameter type for 'accel', expected: string");
    EXPECT_EQ(json_error("accel", "maybe"), "Parameter 'accel' does not accept value 'maybe'");
}

TEST_F(PropertyTest, Mac) {
    obj_->parse_property("mac", "52:54:00:12:34:56");
    EXPECT_EQ(obj_->mac_.to_string(), "52:54:00:12:34:56");
    obj_->parse_property("mac", "52-54-00-AB-CD-EF");
    EXPECT_EQ(obj_->mac_.to_string(), "52:54:00:ab:cd:ef");
    EXPECT_EQ(obj_->get_property("mac"), json("52:54:00:ab:cd:ef"));
    EXPECT_EQ(obj_->print_property("mac"), "\"52:54:00:ab:cd:ef\"");
    for (const char* bad : {"52:54:00:12:34", "52:54:00:12:34:567", "52:54:00:12:34:5g",
                            "52.54.00.12.34.56", ""}) {
        EXPECT_EQ(set_error("mac", bad),
                  fmt::format("Property 'test-all-props.mac' doesn't take value '{}'", bad));
    }
    EXPECT_EQ(json_error("mac", 1), "Invalid parameter type for 'mac', expected: string");
}

TEST_F(PropertyTest, PciDevfn) {
    EXPECT_EQ(obj_->print_property("addr"), "<unset>");
    obj_->parse_property("addr", "1f.3");
    EXPECT_EQ(obj_->addr_, 0x1f << 3 | 3);
    EXPECT_EQ(obj_->print_property("addr"), "1f.3");
    obj_->parse_property("addr", "3");
    EXPECT_EQ(obj_->addr_, 3 << 3);
    EXPECT_EQ(obj_->print_property("addr"), "03.0");
    EXPECT_EQ(obj_->get_property("addr"), json(24));
    obj_->parse_property("addr", "0x1f");  // QEMU reads both parts with strtoul(..., 16)
    EXPECT_EQ(obj_->addr_, 0x1f << 3);
    obj_->parse_property("addr", "0x2.0X1");
    EXPECT_EQ(obj_->addr_, 0x11);
    for (const char* bad : {"20", "1f.8", "x", "3.", ".1", "-1", "", "0x", "0x20"}) {
        EXPECT_EQ(set_error("addr", bad),
                  fmt::format("Property 'test-all-props.addr' doesn't take value '{}'", bad));
    }
    obj_->set_property("addr", json(-1));
    EXPECT_EQ(obj_->addr_, -1);
    obj_->set_property("addr", json("02.1"));
    EXPECT_EQ(obj_->addr_, 0x11);
    EXPECT_EQ(json_error("addr", 256), "Parameter 'addr' expects a value between -1 and 255");
    EXPECT_EQ(json_error("addr", true), "Invalid parameter type for 'addr', expected: integer");
}

TEST_F(PropertyTest, LinksResolveThroughTheRegistry) {
    int block_backend = 7;
    BackendRegistry::instance().add(BackendKind::kDrive, "disk0", std::any(&block_backend));
    BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", std::any(std::string("net")));
    BackendRegistry::instance().add(BackendKind::kChardev, "ser0", std::any(1.5));

    obj_->parse_property("drive", "disk0");
    EXPECT_EQ(obj_->drive_.id(), "disk0");
    EXPECT_EQ(obj_->drive_.get<int>(), &block_backend);
    EXPECT_EQ(obj_->drive_.get<double>(), nullptr);
    EXPECT_EQ(BackendRegistry::instance().user(BackendKind::kDrive, "disk0"), obj_.get());
    EXPECT_EQ(obj_->get_property("drive"), json("disk0"));
    EXPECT_EQ(obj_->print_property("drive"), "\"disk0\"");
    EXPECT_EQ(obj_->print_property("netdev"), "\"\"");

    obj_->set_property("netdev", json("nd0"));
    EXPECT_EQ(std::any_cast<std::string>(obj_->netdev_.handle()), "net");
    obj_->parse_property("chardev", "ser0");
    EXPECT_TRUE(obj_->chardev_.is_set());

    // Kinds are separate name spaces.
    EXPECT_EQ(set_error("netdev", "disk0"), "Property 'test-all-props.netdev' can't find value 'disk0'");
    EXPECT_EQ(set_error("drive", "nd1"), "Property 'test-all-props.drive' can't find value 'nd1'");
    EXPECT_EQ(set_error("chardev", "x"), "Property 'test-all-props.chardev' can't find value 'x'");
    EXPECT_EQ(obj_->netdev_.id(), "nd0");  // a failed set keeps the old link

    // Unset with the empty string; the claim goes with it.
    obj_->parse_property("drive", "");
    EXPECT_FALSE(obj_->drive_.is_set());
    EXPECT_EQ(BackendRegistry::instance().user(BackendKind::kDrive, "disk0"), nullptr);
}

TEST_F(PropertyTest, LinksAreExclusive) {
    BackendRegistry::instance().add(BackendKind::kDrive, "disk0", std::any(1));
    BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", std::any(2));
    BackendRegistry::instance().add(BackendKind::kChardev, "ser0", std::any(3));
    obj_->parse_property("drive", "disk0");
    obj_->parse_property("netdev", "nd0");
    obj_->parse_property("chardev", "ser0");
    obj_->parse_property("netdev", "nd0");  // same owner again: fine

    auto other = new_object<AllProps>("test-all-props");
    EXPECT_EQ(error_of([&] { other->parse_property("drive", "disk0"); }),
              "Drive 'disk0' is already in use by another device");
    EXPECT_EQ(error_of([&] { other->parse_property("netdev", "nd0"); }),
              "Property 'test-all-props.netdev' can't take value 'nd0', it's in use");
    EXPECT_EQ(error_of([&] { other->parse_property("chardev", "ser0"); }),
              "Property 'test-all-props.chardev' can't take value 'ser0': Device 'ser0' is in use");

    // Destroying the holder releases its back ends.
    obj_.reset();
    other->parse_property("drive", "disk0");
    other->parse_property("netdev", "nd0");
    EXPECT_EQ(BackendRegistry::instance().user(BackendKind::kNetdev, "nd0"), other.get());
}

TEST_F(PropertyTest, BackendRegistryDuplicates) {
    BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", std::any(1));
    EXPECT_EQ(error_of([] { BackendRegistry::instance().add(BackendKind::kNetdev, "nd0", {}); }),
              "Duplicate ID 'nd0' for netdev");
    BackendRegistry::instance().add(BackendKind::kChardev, "nd0", std::any(1));  // other kind
    BackendRegistry::instance().remove(BackendKind::kNetdev, "nd0");
    EXPECT_EQ(BackendRegistry::instance().find(BackendKind::kNetdev, "nd0"), nullptr);
}

TEST_F(PropertyTest, ReadOnlyAfterRealize) {
    obj_->realize();
    EXPECT_EQ(set_error("u32", "1"),
              "Attempt to set property 'u32' on anonymous device (type 'test-all-props') after it was realized");
    obj_->set_id("dev0");
    EXPECT_EQ(json_error("flag", true),
              "Attempt to set property 'flag' on device 'dev0' (type 'test-all-props') after it was realized");
    obj_->parse_property("live", "5");
    EXPECT_EQ(obj_->live_, 5u);
    obj_->unrealize();
    obj_->parse_property("u32", "1");
    EXPECT_EQ(obj_->u32_, 1u);
}

TEST(MacAddress, ParseAndFormat) {
    auto mac = MacAddress::parse("00:11:22:aa:BB:cc");
    ASSERT_TRUE(mac);
    EXPECT_EQ(mac->to_string(), "00:11:22:aa:bb:cc");
    EXPECT_FALSE(mac->is_zero());
    EXPECT_FALSE(MacAddress::parse("00:11:22:aa:bb:cc:"));
    EXPECT_FALSE(MacAddress::parse("0:11:22:aa:bb:cc"));
}

}  // namespace
}  // namespace mimic::qom::test

namespace mimic::qom::test {
namespace {

struct PlainHolder : Object {
    std::string text;
    int64_t number = 0;
};

// QEMU names a plain QOM property's type differently from a qdev one, and
// its help shows neither default nor type description.
TEST(PlainQomProperty, NamesAndHelp) {
    Property data = prop::object_string("data", &PlainHolder::text);
    EXPECT_EQ(data.type->name(), "string");
    EXPECT_EQ(property_help_line(data), "  data=<string>");
    Property poll = prop::object_int("poll-max-ns", &PlainHolder::number, 32768);
    EXPECT_EQ(poll.type->name(), "int");
    EXPECT_EQ(property_help_line(poll), "  poll-max-ns=<int>");
    Property qdev = prop::string("name", &PlainHolder::text, "x");
    EXPECT_EQ(qdev.type->name(), "str");
    EXPECT_EQ(property_help_line(qdev), "  name=<str>             -  (default: \"x\")");
}

}  // namespace
}  // namespace mimic::qom::test
