#include <gtest/gtest.h>

#include "mimic/net/socket.h"

namespace mimic::net {
namespace {

using Frame = std::vector<uint8_t>;

TEST(StreamFramer, EncodesBigEndianLengthThenFrame) {
    Frame frame = {1, 2, 3};
    EXPECT_EQ(StreamFramer::encode(frame), (Frame{0, 0, 0, 3, 1, 2, 3}));
    Frame big(0x10203, 9);
    Frame encoded = StreamFramer::encode(big);
    EXPECT_EQ(encoded[0], 0);
    EXPECT_EQ(encoded[1], 1);
    EXPECT_EQ(encoded[2], 2);
    EXPECT_EQ(encoded[3], 3);
    EXPECT_EQ(encoded.size(), big.size() + 4);
}

TEST(StreamFramer, ReassemblesAcrossArbitrarySplits) {
    std::vector<Frame> frames = {Frame(60, 1), Frame(1514, 2), Frame(1, 3), Frame(600, 4)};
    Frame stream;
    for (const Frame& f : frames) {
        Frame e = StreamFramer::encode(f);
        stream.insert(stream.end(), e.begin(), e.end());
    }
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{5}, size_t{64}, stream.size()}) {
        StreamFramer framer;
        std::vector<Frame> out;
        for (size_t pos = 0; pos < stream.size(); pos += chunk) {
            size_t n = std::min(chunk, stream.size() - pos);
            ASSERT_TRUE(framer.feed({stream.data() + pos, n},
                                    [&](std::span<const uint8_t> f) { out.emplace_back(f.begin(), f.end()); }));
        }
        EXPECT_EQ(out, frames) << "chunk " << chunk;
    }
}

TEST(StreamFramer, RefusesOversizedLength) {
    StreamFramer framer;
    Frame header = {0x7f, 0, 0, 0};
    int frames = 0;
    EXPECT_FALSE(framer.feed(header, [&](std::span<const uint8_t>) { ++frames; }));
    EXPECT_EQ(frames, 0);
    framer.reset();
    Frame ok = StreamFramer::encode(Frame(StreamFramer::kMaxFrame, 0));
    EXPECT_TRUE(framer.feed(ok, [&](std::span<const uint8_t>) { ++frames; }));
    EXPECT_EQ(frames, 1);
}

}  // namespace
}  // namespace mimic::net
