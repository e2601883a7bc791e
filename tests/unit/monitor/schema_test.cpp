#include "monitor_fixture.h"

#include "mimic/monitor/qmp_error.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace mimic::monitor;
using namespace mimic::monitor::testing;

namespace {

class SchemaTest : public ::testing::Test, public MonitorTest {
protected:
    SchemaTest() {
        schema.add_enum({"Color", {"red", "green"}});
        schema.add_object({"Point", {{"x", "int"}, {"y", "int", kOptional}}});
        schema.add_command({.name = "draw",
                            .arguments = {{"at", "Point"}, {"color", "Color", kOptional}, {"tags", "[str]", kOptional},
                                          {"small", "uint8", kOptional}, {"scale", "number", kOptional}},
                            .returns = "Point",
                            .handler = [](const Json& args, CommandContext&) -> Json { return args["at"]; }});
    }

    std::string check(const std::string& arguments) {
        try {
            schema.check_arguments(*schema.find_command("draw"), Json::parse(arguments));
            return "ok";
        } catch (const QmpError& e) {
            return e.what();
        }
    }

    Schema schema;
};

}  // namespace

TEST_F(SchemaTest, ArgumentCheckingMessages) {
    EXPECT_EQ(check(R"({"at": {"x": 1}})"), "ok");
    EXPECT_EQ(check(R"({"at": {"x": 1, "y": -2}, "color": "red", "tags": ["a"], "small": 255, "scale": 2})"), "ok");
    EXPECT_EQ(check(R"({})"), "Parameter 'at' is missing");
    EXPECT_EQ(check(R"({"at": {}})"), "Parameter 'at.x' is missing");
    EXPECT_EQ(check(R"({"at": 1})"), "Invalid parameter type for 'at', expected: object");
    EXPECT_EQ(check(R"({"at": {"x": "1"}})"), "Invalid parameter type for 'at.x', expected: integer");
    EXPECT_EQ(check(R"({"at": {"x": 1.5}})"), "Invalid parameter type for 'at.x', expected: integer");
    EXPECT_EQ(check(R"({"at": {"x": 1, "z": 0}})"), "Parameter 'at.z' is unexpected");
    EXPECT_EQ(check(R"({"at": {"x": 1}, "color": "blue"})"), "Parameter 'color' does not accept value 'blue'");
    EXPECT_EQ(check(R"({"at": {"x": 1}, "color": 1})"), "Invalid parameter type for 'color', expected: string");
    EXPECT_EQ(check(R"({"at": {"x": 1}, "tags": "a"})"), "Invalid parameter type for 'tags', expected: array");
    EXPECT_EQ(check(R"({"at": {"x": 1}, "tags": ["a", 2]})"),
              "Invalid parameter type for 'tags[1]', expected: string");
    EXPECT_EQ(check(R"({"at": {"x": 1}, "small": 256})"), "Parameter 'small' expects uint8");
    EXPECT_EQ(check(R"({"at": {"x": 1}, "small": -1})"), "Invalid parameter type for 'small', expected: integer");
    EXPECT_EQ(check(R"({"at": {"x": 1}, "scale": "big"})"), "Invalid parameter type for 'scale', expected: number");
    // Missing members are reported before unexpected ones, as QEMU does.
    EXPECT_EQ(check(R"({"bogus": 1})"), "Parameter 'at' is missing");
    EXPECT_EQ(check(R"({"at": {"x": 1}, "bogus": 1})"), "Parameter 'bogus' is unexpected");
}

TEST_F(SchemaTest, IntrospectionIsQemuShaped) {
    Json info = schema.introspect();
    std::map<std::string, Json> by_name;
    for (const Json& entry : info) by_name[entry["name"].get<std::string>()] = entry;

    const Json& draw = by_name.at("draw");
    EXPECT_EQ(draw["meta-type"], "command");
    const Json& args = by_name.at(draw["arg-type"].get<std::string>());
    EXPECT_EQ(args["meta-type"], "object");
    ASSERT_EQ(args["members"].size(), 5u);
    EXPECT_EQ(args["members"][1], Json({{"name", "color"}, {"default", nullptr}, {"type", args["members"][1]["type"]}}));
    // Type names are masked numbers; builtins keep their names.
    const Json& point = by_name.at(args["members"][0]["type"].get<std::string>());
    EXPECT_EQ(point["members"][0], Json({{"name", "x"}, {"type", "int"}}));
    EXPECT_EQ(by_name.at(draw["ret-type"].get<std::string>()), point);
    const Json& color = by_name.at(args["members"][1]["type"].get<std::string>());
    EXPECT_EQ(color["meta-type"], "enum");
    EXPECT_EQ(color["values"], Json::array({"red", "green"}));
    const Json& tags = by_name.at(args["members"][2]["type"].get<std::string>());
    EXPECT_EQ(tags, Json({{"name", "[str]"}, {"meta-type", "array"}, {"element-type", "str"}}));
    EXPECT_EQ(by_name.at("str"), Json({{"name", "str"}, {"meta-type", "builtin"}, {"json-type", "string"}}));
    EXPECT_EQ(by_name.at("uint8")["json-type"], "int");
    EXPECT_FALSE(by_name.count("Point"));
}

TEST_F(SchemaTest, HubSchemaIntrospectsEveryCommandAndEvent) {
    Json info = hub.execute("query-qmp-schema", Json::object());
    std::set<std::string> names;
    std::map<std::string, Json> by_name;
    for (const Json& entry : info) {
        std::string name = entry["name"].get<std::string>();
        EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
        by_name[name] = entry;
    }
    for (const CommandDef& command : hub.schema().commands()) {
        ASSERT_TRUE(by_name.count(command.name)) << command.name;
        EXPECT_EQ(by_name[command.name]["meta-type"], "command");
        // Every referenced type is itself in the list.
        EXPECT_TRUE(by_name.count(by_name[command.name]["arg-type"].get<std::string>())) << command.name;
        EXPECT_TRUE(by_name.count(by_name[command.name]["ret-type"].get<std::string>())) << command.name;
    }
    const Json& shutdown = by_name.at("SHUTDOWN");
    EXPECT_EQ(shutdown["meta-type"], "event");
    const Json& data = by_name.at(shutdown["arg-type"].get<std::string>());
    EXPECT_EQ(data["members"][0], Json({{"name", "guest"}, {"type", "bool"}}));
    EXPECT_EQ(by_name.at("STOP")["arg-type"], "0");
    EXPECT_EQ(by_name.at("0"), Json({{"name", "0"}, {"meta-type", "object"}, {"members", Json::array()}}));
}

TEST_F(SchemaTest, SubsystemReplacesPlaceholder) {
    EXPECT_THROW(hub.execute("qom-list", {{"path", "/"}}), QmpError);
    hub.schema().add_command({.name = "qom-list",
                              .arguments = {{"path", "str"}},
                              .returns = "[any]",
                              .handler = [](const Json&, CommandContext&) -> Json { return Json::array(); }});
    EXPECT_EQ(hub.execute("qom-list", {{"path", "/"}}), Json::array());
    size_t count = 0;
    for (const CommandDef& command : hub.schema().commands()) count += command.name == "qom-list";
    EXPECT_EQ(count, 1u);
    // Extra properties pass through device_add's checking.
    try {
        hub.execute("device_add", {{"driver", "e1000"}, {"mac", "52:54:00:12:34:56"}});
        FAIL();
    } catch (const QmpError& e) {
        EXPECT_STREQ(e.what(), "device_add is not supported yet");
    }
}
