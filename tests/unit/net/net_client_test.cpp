#include "mimic/net/net_client.h"

#include <gtest/gtest.h>

#include "mimic/net/nic.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/util/error.h"

namespace mimic::net {
namespace {

using Frame = std::vector<uint8_t>;

// A client that records what it receives and can refuse frames.
class Recorder : public NetClient {
public:
    explicit Recorder(std::string name, ClientKind kind = ClientKind::kUser) : NetClient(kind, std::move(name)) {}
    std::string info_str() const override { return "recorder"; }

    bool ready = true;
    std::vector<Frame> received;
    int drained = 0;
    int link_changes = 0;

protected:
    bool can_receive() const override { return ready; }
    void receive(std::span<const uint8_t> frame) override { received.emplace_back(frame.begin(), frame.end()); }
    void queue_drained() override { ++drained; }
    void link_status_changed() override { ++link_changes; }
};

Frame frame(uint8_t tag) { return Frame(60, tag); }

class TestNic : public Nic {
public:
    using Nic::Nic;

protected:
    void receive(std::span<const uint8_t>) override {}
};

TEST(NetClient, PeersDeliverBothWays) {
    Recorder a("a"), b("b");
    NetClient::link(a, b);
    EXPECT_EQ(a.peer(), &b);
    EXPECT_TRUE(a.send(frame(1)));
    EXPECT_TRUE(b.send(frame(2)));
    ASSERT_EQ(b.received.size(), 1u);
    EXPECT_EQ(b.received[0], frame(1));
    ASSERT_EQ(a.received.size(), 1u);
    EXPECT_EQ(a.received[0], frame(2));
}

TEST(NetClient, WithoutPeerFramesAreDropped) {
    Recorder a("a");
    EXPECT_TRUE(a.send(frame(1)));
    EXPECT_EQ(a.queued_frames(), 0u);
}

TEST(NetClient, LinkRefusesSecondPeerAndSelf) {
    Recorder a("a"), b("b"), c("c");
    NetClient::link(a, b);
    EXPECT_THROW(NetClient::link(c, b), Error);
    EXPECT_THROW(NetClient::link(c, c), Error);
    a.unlink();
    EXPECT_EQ(b.peer(), nullptr);
    NetClient::link(c, b);
    EXPECT_EQ(c.peer(), &b);
}

TEST(NetClient, QueuesInOrderWhileReceiverIsBusy) {
    Recorder a("a"), b("b");
    NetClient::link(a, b);
    b.ready = false;
    EXPECT_FALSE(a.send(frame(1)));
    EXPECT_FALSE(a.send(frame(2)));
    EXPECT_EQ(b.queued_frames(), 2u);
    // Becoming ready alone delivers nothing: the receiver must flush, and
    // a frame sent before that still queues behind the earlier ones.
    b.ready = true;
    EXPECT_FALSE(a.send(frame(3)));
    EXPECT_TRUE(b.received.empty());
    b.flush_queue();
    ASSERT_EQ(b.received.size(), 3u);
    EXPECT_EQ(b.received[0], frame(1));
    EXPECT_EQ(b.received[2], frame(3));
    EXPECT_EQ(a.drained, 1);
    EXPECT_TRUE(a.send(frame(4)));
    EXPECT_EQ(b.received.size(), 4u);
}

TEST(NetClient, StoppedVmHoldsFramesUntilItRuns) {
    Recorder a("a"), b("b");
    NetClient::link(a, b);
    NetClient::set_vm_running(false);
    EXPECT_FALSE(a.send(frame(1)));
    b.flush_queue();  // a receiver asking changes nothing while stopped
    EXPECT_TRUE(b.received.empty());
    NetClient::set_vm_running(true);
    ASSERT_EQ(b.received.size(), 1u);
    EXPECT_EQ(a.drained, 1);
    EXPECT_TRUE(a.send(frame(2)));
    EXPECT_EQ(b.received.size(), 2u);
}

TEST(NetClient, ShortFramesArePaddedWithZeroes) {
    std::vector<uint8_t> scratch;
    Frame short_frame(42, 0xab);
    auto padded = pad_short_frame(short_frame, scratch);
    ASSERT_EQ(padded.size(), kEthMinFrame);
    EXPECT_EQ(padded[41], 0xab);
    EXPECT_EQ(padded[42], 0);
    Frame full(60, 1);
    EXPECT_EQ(pad_short_frame(full, scratch).data(), full.data());
}

TEST(NetClient, QueueIsBounded) {
    Recorder a("a"), b("b");
    NetClient::link(a, b);
    b.ready = false;
    for (size_t i = 0; i < NetClient::kMaxQueuedFrames + 5; ++i) a.send(frame(static_cast<uint8_t>(i)));
    EXPECT_EQ(b.queued_frames(), NetClient::kMaxQueuedFrames);
}

TEST(NetClient, LinkDownDropsEitherWay) {
    Recorder a("a"), b("b");
    NetClient::link(a, b);
    a.set_link_up(false);
    EXPECT_EQ(a.link_changes, 1);
    a.set_link_up(false);
    EXPECT_EQ(a.link_changes, 1);
    EXPECT_TRUE(a.send(frame(1)));
    EXPECT_TRUE(b.send(frame(2)));
    EXPECT_TRUE(a.received.empty());
    EXPECT_TRUE(b.received.empty());
    a.set_link_up(true);
    b.send(frame(3));
    EXPECT_EQ(a.received.size(), 1u);
}

TEST(NetClient, DestroyingAClientUnlinksItsPeer) {
    Recorder a("a");
    {
        Recorder b("b");
        NetClient::link(a, b);
        EXPECT_EQ(NetClient::find("b"), &b);
    }
    EXPECT_EQ(a.peer(), nullptr);
    EXPECT_EQ(NetClient::find("b"), nullptr);
    EXPECT_TRUE(a.send(frame(1)));
}

TEST(Nic, NamesInfoAndDefaultMacs) {
    EXPECT_EQ(nic_name("mynic", "e1000"), "mynic");
    TestNic first(nic_name("", "e1000"), "e1000", assign_default_mac({}));
    TestNic second(nic_name("", "e1000"), "e1000", assign_default_mac({}));
    EXPECT_EQ(first.name(), "e1000.0");
    EXPECT_EQ(second.name(), "e1000.1");
    EXPECT_EQ(first.info_str(), "model=e1000,macaddr=52:54:00:12:34:56");
    EXPECT_EQ(second.mac().to_string(), "52:54:00:12:34:57");
    qom::MacAddress given = *qom::MacAddress::parse("02:00:00:00:00:01");
    EXPECT_EQ(assign_default_mac(given), given);
    EXPECT_EQ(client_kind_name(first.kind()), "nic");
}

TEST(Nic, AttachLinksToTheRegisteredBackend) {
    auto& registry = qom::BackendRegistry::instance();
    registry.clear();
    Recorder backend("n0");
    registry.add(qom::BackendKind::kNetdev, "n0", static_cast<NetClient*>(&backend));
    TestNic nic("nic0", "e1000", assign_default_mac({}));
    qom::BackendLink unset;
    nic.attach(unset);
    EXPECT_EQ(nic.peer(), nullptr);
    const std::any* handle = registry.find(qom::BackendKind::kNetdev, "n0");
    ASSERT_NE(handle, nullptr);
    EXPECT_EQ(std::any_cast<NetClient*>(*handle), &backend);
    registry.clear();
}

}  // namespace
}  // namespace mimic::net
