#include "mimic/monitor/json.h"
#include "mimic/monitor/json_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using mimic::monitor::Json;
using mimic::monitor::JsonStreamLimits;
using mimic::monitor::JsonStreamParser;
using mimic::monitor::to_qmp_text;

TEST(JsonWriter, CompactLikeQemu) {
    Json value = {{"return", Json::object()}, {"id", 1}};
    EXPECT_EQ(to_qmp_text(value), R"({"return": {}, "id": 1})");
    EXPECT_EQ(to_qmp_text(Json::array({1, "a", true, nullptr})), R"([1, "a", true, null])");
    EXPECT_EQ(to_qmp_text(Json::array()), "[]");
    EXPECT_EQ(to_qmp_text(-5), "-5");
    EXPECT_EQ(to_qmp_text(18446744073709551615ull), "18446744073709551615");
    EXPECT_EQ(to_qmp_text(0.5), "0.5");
}

TEST(JsonWriter, PrettyLikeQemu) {
    Json value = {{"return", Json::object()}};
    EXPECT_EQ(to_qmp_text(value, true), "{\n    \"return\": {\n    }\n}");
    Json nested = {{"a", {{"b", 1}, {"c", Json::array({1, 2})}}}};
    EXPECT_EQ(to_qmp_text(nested, true),
              "{\n    \"a\": {\n        \"b\": 1,\n        \"c\": [\n            1,\n            2\n        ]\n    }\n}");
}

TEST(JsonWriter, EscapesControlAndNonAscii) {
    EXPECT_EQ(to_qmp_text("a\"b\\c\n\t\x01"), R"("a\"b\\c\n\t\u0001")");
    EXPECT_EQ(to_qmp_text("\xc3\xa9"), R"("\u00E9")");           // é
    EXPECT_EQ(to_qmp_text("\xf0\x9f\x98\x80"), R"("\uD83D\uDE00")");  // surrogate pair
    EXPECT_EQ(to_qmp_text("\xff"), R"("\uFFFD")");                // invalid UTF-8
    EXPECT_EQ(to_qmp_text("\x7f"), R"("\u007F")");
}

namespace {

// Collects what the stream parser emits, as "V:<compact json>" or "E:<error>".
struct Collector {
    std::vector<std::string> items;
    JsonStreamParser parser;

    explicit Collector(JsonStreamLimits limits = {})
        : parser([this](std::optional<Json> value, std::string error) {
              items.push_back(value ? "V:" + to_qmp_text(*value) : "E:" + error);
          }, limits) {}
};

}  // namespace

TEST(JsonStream, PipelinedValuesInOneBuffer) {
    Collector c;
    c.parser.feed(R"({"a": 1}{"b": [2, 3]}  {"c": "x"})");
    EXPECT_EQ(c.items, (std::vector<std::string>{R"(V:{"a": 1})", R"(V:{"b": [2, 3]})", R"(V:{"c": "x"})"}));
}

TEST(JsonStream, ValueSplitAtEveryByte) {
    Collector c;
    std::string text = R"({"execute": "query-status", "id": {"n": [1.5, -2, true, null, "\u00e9\n"]}})";
    for (char ch : text) c.parser.feed(std::string_view(&ch, 1));
    ASSERT_EQ(c.items.size(), 1u);
    EXPECT_EQ(c.items[0], R"(V:{"execute": "query-status", "id": {"n": [1.5, -2, true, null, "\u00E9\n"]}})");
}

TEST(JsonStream, SingleQuotedStringsAndEscapes) {
    Collector c;
    c.parser.feed(R"({'a': 'it\'s', "b": "\ud83d\ude00"})");
    EXPECT_EQ(c.items, (std::vector<std::string>{R"(V:{"a": "it's", "b": "\uD83D\uDE00"})"}));
}

TEST(JsonStream, TopLevelScalarsAreValues) {
    Collector c;
    c.parser.feed("\"s\" 42 true ");
    EXPECT_EQ(c.items, (std::vector<std::string>{"V:\"s\"", "V:42", "V:true"}));
    c.parser.feed("7");
    EXPECT_EQ(c.items.size(), 3u);  // a number needs its terminator
    c.parser.flush();
    EXPECT_EQ(c.items.back(), "V:7");
}

TEST(JsonStream, IntegersKeepTheirRange) {
    Collector c;
    c.parser.feed("[9223372036854775807, 18446744073709551615, 18446744073709551616, -9223372036854775808]");
    ASSERT_EQ(c.items.size(), 1u);
    EXPECT_EQ(c.items[0], "V:[9223372036854775807, 18446744073709551615, 1.8446744073709552e+19, "
                          "-9223372036854775808]");
}

TEST(JsonStream, StrayCharacterThenRecovers) {
    Collector c;
    c.parser.feed("{\"a\": @}\n{\"b\": 1}");
    ASSERT_EQ(c.items.size(), 3u);
    EXPECT_EQ(c.items[0], "E:JSON parse error, stray '@'");
    // The '}' after the stray character is a stray closer of its own, as in QEMU.
    EXPECT_EQ(c.items[1], "E:JSON parse error, expecting value");
    EXPECT_EQ(c.items[2], R"(V:{"b": 1})");
}

TEST(JsonStream, BareWordIsAnInvalidKeyword) {
    Collector c;
    c.parser.feed("{\"a\": x}{\"b\": 1}");
    EXPECT_EQ(c.items, (std::vector<std::string>{"E:JSON parse error, invalid keyword 'x'", R"(V:{"b": 1})"}));
}

TEST(JsonStream, GrammarErrors) {
    struct Case {
        const char* input;
        const char* error;
    } cases[] = {
        {R"({"a" 1})", "JSON parse error, missing : in object pair"},
        {R"({1: 2})", "JSON parse error, key is not a string in object"},
        {R"({"a": 1 "b": 2})", "JSON parse error, expected separator in dict"},
        {R"([1 2])", "JSON parse error, expected separator in list"},
        {R"({"a": 1, "a": 2})", "JSON parse error, duplicate key"},
        {R"([nul])", "JSON parse error, invalid keyword 'nul'"},
        {R"({"a": ])", "JSON parse error, expecting value"},
        {R"({"a": 1,})", "JSON parse error, key is not a string in object"},
        {"]", "JSON parse error, expecting value"},
        {R"(["\u0000"])", "JSON parse error, \\u0000 is not supported"},
        {"[01]", "JSON parse error, stray '01'"},
        {"[\"a\x01\"]", "JSON parse error, stray '\"a\x01'"},
    };
    for (const Case& test : cases) {
        Collector c;
        c.parser.feed(test.input);
        ASSERT_FALSE(c.items.empty()) << test.input;
        EXPECT_EQ(c.items[0], std::string("E:") + test.error) << test.input;
        // Whatever happened, the next request parses.
        c.parser.feed("\n{\"ok\": 1}");
        EXPECT_EQ(c.items.back(), R"(V:{"ok": 1})") << test.input;
    }
}

TEST(JsonStream, TruncatedInputIsDroppedOnFlush) {
    Collector c;
    c.parser.feed(R"({"execute": "stop")");
    EXPECT_TRUE(c.items.empty());
    c.parser.flush();
    EXPECT_EQ(c.items, (std::vector<std::string>{"E:JSON parse error, premature EOI"}));
    c.parser.feed(R"({"x": 1})");
    EXPECT_EQ(c.items.back(), R"(V:{"x": 1})");
}

TEST(JsonStream, NestingLimit) {
    Collector c;
    std::string deep(1025, '[');
    c.parser.feed(deep);
    ASSERT_EQ(c.items.size(), 1u);
    EXPECT_EQ(c.items[0], "E:JSON nesting depth limit exceeded");

    Collector ok;
    ok.parser.feed(std::string(1024, '[') + std::string(1024, ']'));
    ASSERT_EQ(ok.items.size(), 1u);
    EXPECT_EQ(ok.items[0].substr(0, 4), "V:[[");
}

TEST(JsonStream, TokenSizeAndCountLimits) {
    JsonStreamLimits limits;
    limits.max_token_bytes = 100;
    limits.max_tokens = 10;
    {
        Collector c(limits);
        c.parser.feed("\"" + std::string(200, 'a') + "\"");
        ASSERT_FALSE(c.items.empty());
        EXPECT_EQ(c.items[0], "E:JSON token size limit exceeded");
        c.parser.feed("\n{\"ok\": 1}");
        EXPECT_EQ(c.items.back(), R"(V:{"ok": 1})");
    }
    {
        Collector c(limits);
        c.parser.feed("[" + std::string(200, '7') + "]");
        ASSERT_FALSE(c.items.empty());
        EXPECT_EQ(c.items[0], "E:JSON token size limit exceeded");
    }
    {
        Collector c(limits);
        c.parser.feed("[1, 2, 3, 4, 5, 6]");
        ASSERT_FALSE(c.items.empty());
        EXPECT_EQ(c.items[0], "E:JSON token count limit exceeded");
    }
}

TEST(JsonStream, ResyncByteIsNotAnError) {
    Collector c;
    c.parser.feed("\xff{\"a\": 1}");
    EXPECT_EQ(c.items, (std::vector<std::string>{R"(V:{"a": 1})"}));
}
