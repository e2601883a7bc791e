#include "mimic/chardev/registry.h"

#include "mimic/chardev/legacy.h"
#include "mimic/chardev/mux.h"
#include "mimic/util/error.h"
#include "test_util.h"

using namespace mimic;
using namespace mimic::chardev;
using namespace mimic::chardev::testing;

namespace {

std::string error_of(ChardevRegistry& r, const ChardevOptions& o) {
    try {
        r.create(o);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

using Registry = ChardevTest;

TEST_F(Registry, CreateFindInfoQuery) {
    ChardevRegistry r;
    Chardev& a = r.create({{"backend", "null"}, {"id", "serial0"}});
    r.create(parse_chardev_string("vc,id=parallel0"));
    EXPECT_EQ(r.find("serial0"), &a);
    EXPECT_EQ(r.find("nope"), nullptr);
    EXPECT_EQ(r.info_text(), "serial0: filename=null\nparallel0: filename=vc\n");
    RecordingFrontend fe;
    a.attach(&fe);
    auto q = r.query();
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].label, "serial0");
    EXPECT_EQ(q[0].filename, "null");
    EXPECT_TRUE(q[0].frontend_open);
    EXPECT_FALSE(q[1].frontend_open);
    a.detach(&fe);
}

TEST_F(Registry, MuxCreatesBase) {
    ChardevRegistry r;
    LegacyChardev l = parse_legacy_chardev("mon:null", "serial0");
    Chardev& c = r.create(*l.options);
    EXPECT_EQ(c.id(), "serial0");
    EXPECT_NE(dynamic_cast<MuxChardev*>(&c), nullptr);
    EXPECT_EQ(r.info_text(), "serial0-base: filename=null\nserial0: filename=mux\n");
    // The base is held by the mux.
    EXPECT_EQ(error_of(r, {{"backend", "null"}, {"id", "serial0-base"}}), "Duplicate ID 'serial0-base' for chardev");
    try {
        r.remove("serial0-base");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "Chardev 'serial0-base' is busy");
    }
    r.remove("serial0");
    EXPECT_EQ(r.info_text(), "");
}

TEST_F(Registry, Errors) {
    ChardevRegistry r;
    r.create({{"backend", "null"}, {"id", "c0"}});
    EXPECT_EQ(error_of(r, {{"backend", "null"}, {"id", "c0"}}), "Duplicate ID 'c0' for chardev");
    EXPECT_EQ(error_of(r, {{"backend", "null"}}), "chardev: no id specified");
    EXPECT_EQ(error_of(r, {{"backend", "null"}, {"id", "0bad"}}), "Parameter 'id' expects an identifier");
    EXPECT_EQ(error_of(r, {{"backend", "bogus"}, {"id", "b"}}), "'bogus' is not a valid char driver name");
    EXPECT_EQ(error_of(r, {{"backend", "null"}, {"id", "n"}, {"path", "x"}}), "Invalid parameter 'path'");
    EXPECT_EQ(error_of(r, {{"id", "n"}}), "chardev: \"n\" missing backend");
    try {
        r.remove("ghost");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "Chardev 'ghost' not found");
    }
    RecordingFrontend fe;
    r.find("c0")->attach(&fe);
    EXPECT_THROW(r.remove("c0"), Error);
    RecordingFrontend other;
    try {
        r.find("c0")->attach(&other);
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "chardev 'c0' is already in use");
    }
    r.find("c0")->detach(&fe);
    r.remove("c0");
}

TEST_F(Registry, CreateLegacy) {
    ChardevRegistry r;
    auto none = r.create_legacy("none", "serial0");
    EXPECT_EQ(none.chardev, nullptr);
    auto mon = r.create_legacy("mon:null", "serial0");
    ASSERT_NE(mon.chardev, nullptr);
    EXPECT_TRUE(mon.with_monitor);
    EXPECT_EQ(mon.chardev->id(), "serial0");
    auto same = r.create_legacy("chardev:serial0", "serial1");
    EXPECT_EQ(same.chardev, mon.chardev);
    EXPECT_THROW(r.create_legacy("chardev:ghost", "serial2"), Error);
    try {
        r.create_legacy("bogus", "serial3");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "'bogus' is not a valid char driver");
    }
}

TEST(BackendNames, HelpListsAll) {
    auto names = backend_names();
    for (const char* n : {"null", "stdio", "file", "pipe", "pty", "socket", "udp", "vc", "serial"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    }
    EXPECT_EQ(backend_help_text().substr(0, 41), "Available chardev backend types: \n  file\n");
}

}  // namespace
