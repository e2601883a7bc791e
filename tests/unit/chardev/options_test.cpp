#include "mimic/chardev/options.h"

#include <gtest/gtest.h>

#include "mimic/util/error.h"

using namespace mimic::chardev;

namespace {

TEST(ChardevOptions, ParseModernForm) {
    ChardevOptions o = parse_chardev_string("socket,id=mon0,path=/tmp/m.sock,server=on,wait=off");
    EXPECT_EQ(o, (ChardevOptions{{"backend", "socket"}, {"id", "mon0"}, {"path", "/tmp/m.sock"},
                                 {"server", "on"}, {"wait", "off"}}));
}

TEST(ChardevOptions, ParseLegacyBareKeys) {
    ChardevOptions o = parse_chardev_string("socket,id=s,host=localhost,port=4444,server,nowait,telnet");
    EXPECT_EQ(o.at("server"), "on");
    EXPECT_EQ(o.at("wait"), "off");
    EXPECT_EQ(o.at("telnet"), "on");
    EXPECT_EQ(o.count("nowait"), 0u);
}

TEST(ChardevOptions, EscapedComma) {
    ChardevOptions o = parse_chardev_string("file,id=f,path=/tmp/a,,b");
    EXPECT_EQ(o.at("path"), "/tmp/a,b");
    EXPECT_EQ(options_to_string(o), "file,id=f,path=/tmp/a,,b");
}

TEST(ChardevOptions, NormalizeDictionaryFromElsewhere) {
    ChardevOptions raw{{"backend", "socket"}, {"server", ""}, {"nowait", "on"}, {"path", "nobody.sock"}};
    ChardevOptions o = normalize_options(raw);
    EXPECT_EQ(o.at("server"), "on");
    EXPECT_EQ(o.at("wait"), "off");
    EXPECT_EQ(o.at("path"), "nobody.sock");
}

TEST(ChardevOptions, TypedAccess) {
    ChardevOptions o{{"server", "yes"}, {"wait", "maybe"}, {"reconnect", "5"}, {"port", "x"}};
    EXPECT_EQ(opt_bool(o, "server"), true);
    EXPECT_EQ(opt_bool(o, "telnet"), std::nullopt);
    EXPECT_EQ(opt_number(o, "reconnect"), 5u);
    try {
        opt_bool(o, "wait");
        FAIL();
    } catch (const mimic::Error& e) {
        EXPECT_STREQ(e.what(), "Parameter 'wait' expects 'on' or 'off'");
    }
    EXPECT_THROW(opt_number(o, "port"), mimic::Error);
}

}  // namespace
