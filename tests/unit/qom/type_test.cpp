#include <gtest/gtest.h>

#include "mimic/qom/device.h"
#include "mimic/qom/type.h"
#include "test_devices.h"

namespace mimic::qom::test {
namespace {

TEST(TypeRegistry, FindsByNameAndAlias) {
    const Type* nic = find_type("test-nic");
    ASSERT_NE(nic, nullptr);
    EXPECT_EQ(nic->name(), "test-nic");
    EXPECT_EQ(find_type("no-such-type"), nullptr);
    EXPECT_EQ(find_type("test-nic-82540em"), nullptr);
    EXPECT_EQ(TypeRegistry::instance().find("test-nic-82540em", true), nic);
}

TEST(TypeRegistry, IsA) {
    const Type* nic = find_type("test-nic");
    EXPECT_TRUE(nic->is_a("test-nic"));
    EXPECT_TRUE(nic->is_a("test-pci-device"));
    EXPECT_TRUE(nic->is_a(kTypeDevice));
    EXPECT_TRUE(nic->is_a(kTypeObject));
    EXPECT_FALSE(nic->is_a(kTypeBus));
    EXPECT_TRUE(nic->is_a(*find_type(kTypeDevice)));
    EXPECT_FALSE(find_type(kTypeDevice)->is_a("test-nic"));
    EXPECT_TRUE(find_type(kTypePciBus)->is_a(kTypeBus));
}

TEST(TypeRegistry, InheritsClassData) {
    const Type* nic = find_type("test-nic");
    EXPECT_EQ(nic->bus_type(), "PCI");  // from test-pci-device
    EXPECT_TRUE(nic->user_creatable());
    EXPECT_EQ(find_type("test-host")->bus_type(), "System");
    EXPECT_FALSE(find_type("test-host")->user_creatable());  // sys-bus-device
    EXPECT_EQ(find_type("test-all-props")->bus_type(), "");
    EXPECT_EQ(find_type("test-flaky")->categories().size(), 0u);
}

TEST(TypeRegistry, ListsSubtypesSortedWithoutAbstract) {
    auto list = TypeRegistry::instance().list("test-pci-device", false);
    std::vector<std::string> names;
    for (const Type* t : list) names.push_back(t->name());
    EXPECT_EQ(names, (std::vector<std::string>{"test-flaky", "test-nic", "test-nic-fast",
                                               "test-one-slot-ctrl", "test-recorder"}));
    auto with_abstract = TypeRegistry::instance().list("test-pci-device", true);
    EXPECT_EQ(with_abstract.size(), 6u);
    EXPECT_EQ(with_abstract[4]->name(), "test-pci-device");

    auto buses = TypeRegistry::instance().list(kTypeBus, false);
    std::vector<std::string> bus_names;
    for (const Type* t : buses) bus_names.push_back(t->name());
    EXPECT_EQ(bus_names, (std::vector<std::string>{"ISA", "OneSlot", "PCI", "PCIE", "System"}));
}

TEST(TypeRegistry, PropertiesLeafFirst) {
    auto props = find_type("test-nic")->all_properties();
    std::vector<std::string> names;
    for (const Property* p : props) names.push_back(p->name);
    EXPECT_EQ(names, (std::vector<std::string>{"mac", "netdev", "speed", "mitigation", "addr"}));
    EXPECT_NE(find_type("test-nic")->find_property("addr"), nullptr);
    EXPECT_EQ(find_type("test-nic")->find_property("bogus"), nullptr);
}

TEST(TypeRegistry, SubtypeRedeclaresAProperty) {
    auto props = find_type("test-nic-fast")->all_properties();
    std::vector<std::string> names;
    for (const Property* p : props) names.push_back(p->name);
    EXPECT_EQ(names, (std::vector<std::string>{"speed", "mac", "netdev", "mitigation", "addr"}));
    EXPECT_EQ(property_help_line(*props[0]),
              "  speed=<uint32>         - link speed in Mbit/s (default: 10000)");
    auto nic = new_object<TestNic>("test-nic-fast");
    EXPECT_EQ(nic->speed_, 10000u);
    EXPECT_EQ(new_object<TestNic>("test-nic")->speed_, 1000u);
}

TEST(TypeRegistry, NewObjectAppliesDefaults) {
    auto nic = new_object<TestNic>("test-nic");
    EXPECT_EQ(&nic->type(), find_type("test-nic"));
    EXPECT_EQ(nic->speed_, 1000u);
    EXPECT_TRUE(nic->mitigation_);
    EXPECT_EQ(nic->devfn_, -1);
    EXPECT_THROW(new_object("test-pci-device"), std::logic_error);
    EXPECT_THROW(new_object("no-such-type"), std::logic_error);
}

TEST(TypeRegistry, DuplicateRegistrationIsAProgrammingError) {
    EXPECT_THROW(TypeRegistry::instance().add({.name = "test-nic", .parent = kTypeDevice}),
                 std::logic_error);
}

}  // namespace
}  // namespace mimic::qom::test
