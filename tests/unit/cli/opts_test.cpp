#include "mimic/cli/opts.h"

#include <gtest/gtest.h>

#include "mimic/util/error.h"

using mimic::cli::OptDesc;
using mimic::cli::Opts;
using mimic::cli::OptType;
using mimic::cli::parse_opts;

namespace {

std::string error_of(auto&& function) {
    try {
        function();
    } catch (const mimic::Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(ParseOpts, ImpliedKeyTakesFirstBareValue) {
    Opts opts = parse_opts("2G", "size");
    EXPECT_EQ(opts.get("size"), "2G");
    opts = parse_opts("4,sockets=2,cores=2", "cpus");
    EXPECT_EQ(opts.get("cpus"), "4");
    EXPECT_EQ(opts.get("sockets"), "2");
    EXPECT_EQ(opts.get("cores"), "2");
}

TEST(ParseOpts, ExplicitImpliedKeyWorksToo) {
    EXPECT_EQ(parse_opts("size=2G", "size").get("size"), "2G");
}

TEST(ParseOpts, DoubledCommaIsALiteralComma) {
    Opts opts = parse_opts("file=a,,b.img,format=raw");
    EXPECT_EQ(opts.get("file"), "a,b.img");
    EXPECT_EQ(opts.get("format"), "raw");
    EXPECT_EQ(parse_opts("x,,y,k=v", "driver").get("driver"), "x,y");
}

TEST(ParseOpts, BareWordsAreBooleans) {
    Opts opts = parse_opts("socket,server,nowait,telnet", "backend");
    EXPECT_EQ(opts.get("server"), "on");
    EXPECT_EQ(opts.get("wait"), "off");
    EXPECT_EQ(opts.get("telnet"), "on");
}

TEST(ParseOpts, IdIsSeparated) {
    Opts opts = parse_opts("user,id=net0,hostfwd=tcp::2222-:22", "type");
    EXPECT_EQ(opts.id(), "net0");
    EXPECT_FALSE(opts.has("id"));
    EXPECT_EQ(opts.get("hostfwd"), "tcp::2222-:22");
}

TEST(ParseOpts, InvalidIdentifiers) {
    EXPECT_EQ(error_of([] { parse_opts("user,id=0abc", "type"); }),
              "Parameter 'id' expects an identifier");
    EXPECT_EQ(error_of([] { parse_opts("user,id=a b", "type"); }),
              "Parameter 'id' expects an identifier");
    EXPECT_EQ(error_of([] { parse_opts("user,id=", "type"); }),
              "Parameter 'id' expects an identifier");
}

TEST(ParseOpts, LastValueWins) {
    Opts opts = parse_opts("a=1,a=2");
    EXPECT_EQ(opts.get("a"), "2");
}

TEST(ParseOpts, HelpRequests) {
    EXPECT_TRUE(parse_opts("help", "driver").wants_help());
    EXPECT_TRUE(parse_opts("e1000,help", "driver").wants_help());
    EXPECT_TRUE(parse_opts("e1000,?", "driver").wants_help());
    EXPECT_FALSE(parse_opts("e1000,mac=52:54:00:12:34:56", "driver").wants_help());
}

TEST(ParseOpts, EmptyKeyIsAnError) {
    EXPECT_EQ(error_of([] { parse_opts("a=1,=2"); }), "Invalid parameter ''");
}

TEST(ParseOpts, TrailingCommaIsIgnored) {
    Opts opts = parse_opts("a=1,");
    ASSERT_EQ(opts.entries().size(), 1u);
}

TEST(ParseOpts, RoundTripThroughToString) {
    Opts opts = parse_opts("file=a,,b,if=ide,id=d0");
    Opts again = parse_opts(opts.to_string());
    EXPECT_EQ(again.get("file"), "a,b");
    EXPECT_EQ(again.id(), "d0");
}

TEST(OptsGetters, TypedValuesAndErrors) {
    Opts opts = parse_opts("flag=on,n=42,s=4k,bad=maybe,nan=x");
    EXPECT_EQ(opts.get_bool("flag"), true);
    EXPECT_EQ(opts.get_number("n"), 42u);
    EXPECT_EQ(opts.get_size("s"), 4096u);
    EXPECT_EQ(opts.get_bool("missing"), std::nullopt);
    EXPECT_EQ(error_of([&] { opts.get_bool("bad"); }), "Parameter 'bad' expects 'on' or 'off'");
    EXPECT_EQ(error_of([&] { opts.get_number("nan"); }), "Parameter 'nan' expects a number");
    EXPECT_EQ(error_of([&] { opts.get_size("nan"); }),
              "Parameter 'nan' expects a non-negative number below 2^64");
}

TEST(Validate, UnknownKeysAndBadTypes) {
    static const OptDesc kDescs[] = {
        {"name", OptType::kString, ""},
        {"on", OptType::kBool, ""},
        {"count", OptType::kNumber, ""},
        {"size", OptType::kSize, ""},
    };
    EXPECT_NO_THROW(validate(parse_opts("name=x,on=off,count=3,size=1M"), kDescs));
    EXPECT_EQ(error_of([] { validate(parse_opts("bogus=1"), kDescs); }),
              "Invalid parameter 'bogus'");
    EXPECT_EQ(error_of([] { validate(parse_opts("on=2"), kDescs); }),
              "Parameter 'on' expects 'on' or 'off'");
    EXPECT_EQ(error_of([] { validate(parse_opts("count=-1"), kDescs); }),
              "Parameter 'count' expects a number");
    EXPECT_EQ(error_of([] { validate(parse_opts("size=1Q"), kDescs); }),
              "Parameter 'size' expects a non-negative number below 2^64");
}

TEST(SplitEscaped, Basics) {
    using mimic::cli::split_escaped;
    EXPECT_EQ(split_escaped("a,b"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(split_escaped("a,,b"), (std::vector<std::string>{"a,b"}));
    EXPECT_EQ(split_escaped("a,,,b"), (std::vector<std::string>{"a,", "b"}));
    EXPECT_EQ(mimic::cli::escape_commas("a,b"), "a,,b");
}
