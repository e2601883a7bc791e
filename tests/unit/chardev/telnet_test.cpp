#include "telnet.h"

#include <gtest/gtest.h>

#include <string>

using namespace mimic::chardev;

namespace {

std::string run(TelnetFilter& f, const std::string& in, int* breaks = nullptr) {
    std::vector<uint8_t> out;
    int b = f.filter(std::span(reinterpret_cast<const uint8_t*>(in.data()), in.size()), out);
    if (breaks) *breaks = b;
    return std::string(out.begin(), out.end());
}

TEST(TelnetFilter, PlainDataPassesThrough) {
    TelnetFilter f;
    EXPECT_EQ(run(f, "hello\r\n"), "hello\r\n");
}

TEST(TelnetFilter, SequencesSplitAcrossReads) {
    TelnetFilter f;
    EXPECT_EQ(run(f, "a\xff"), "a");
    EXPECT_EQ(run(f, "\xfd"), "");
    EXPECT_EQ(run(f, "\x18z"), "z");
    EXPECT_EQ(run(f, "\xff"), "");
    EXPECT_EQ(run(f, "\xff"), "\xff");
}

TEST(TelnetFilter, SubnegotiationAndCommands) {
    TelnetFilter f;
    int breaks = 0;
    EXPECT_EQ(run(f, std::string("x\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0y\xff\xf1z\xff\xf3", 16), &breaks), "xyz");
    EXPECT_EQ(breaks, 1);
}

TEST(TelnetFilter, GreetingBytes) {
    EXPECT_EQ(std::string(std::begin(kTelnetGreeting), std::end(kTelnetGreeting)),
              std::string("\xff\xfb\x01\xff\xfb\x03\xff\xfb\x00\xff\xfd\x00", 12));
}

}  // namespace
