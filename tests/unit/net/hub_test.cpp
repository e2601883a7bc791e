#include "mimic/net/hub.h"

#include <gtest/gtest.h>

#include "mimic/net/netdev.h"

namespace mimic::net {
namespace {

using Frame = std::vector<uint8_t>;

class Endpoint : public NetClient {
public:
    explicit Endpoint(std::string name, ClientKind kind = ClientKind::kNic) : NetClient(kind, std::move(name)) {}
    std::string info_str() const override { return "model=test"; }
    std::vector<Frame> received;

protected:
    void receive(std::span<const uint8_t> frame) override { received.emplace_back(frame.begin(), frame.end()); }
};

TEST(Hub, RelaysToEveryOtherPort) {
    Hub& hub = Hub::get(40);
    HubPort p0(hub, ""), p1(hub, ""), p2(hub, "");
    EXPECT_EQ(p0.name(), "hub40port0");
    EXPECT_EQ(p2.name(), "hub40port2");
    Endpoint a("a"), b("b"), c("c");
    NetClient::link(a, p0);
    NetClient::link(b, p1);
    NetClient::link(c, p2);
    Frame f(60, 7);
    a.send(f);
    EXPECT_TRUE(a.received.empty());
    ASSERT_EQ(b.received.size(), 1u);
    ASSERT_EQ(c.received.size(), 1u);
    EXPECT_EQ(c.received[0], f);
    EXPECT_EQ(hub_id_for_client(a), 40);
    EXPECT_EQ(hub_id_for_client(p1), 40);
}

TEST(Hub, LinkDownOnOnePortKeepsTheOthersTalking) {
    Hub& hub = Hub::get(41);
    HubPort p0(hub, ""), p1(hub, ""), p2(hub, "");
    Endpoint a("a"), b("b"), c("c");
    NetClient::link(a, p0);
    NetClient::link(b, p1);
    NetClient::link(c, p2);
    set_link("b", false);  // a NIC's own link: its hub port stays up
    EXPECT_FALSE(b.link_up());
    EXPECT_TRUE(p1.link_up());
    a.send(Frame(60, 1));
    EXPECT_TRUE(b.received.empty());
    EXPECT_EQ(c.received.size(), 1u);
}

TEST(Hub, PortsListNewestFirstAndLeaveWhenDestroyed) {
    Hub& hub = Hub::get(42);
    HubPort p0(hub, "named");
    {
        HubPort p1(hub, "");
        ASSERT_EQ(hub.ports().size(), 2u);
        EXPECT_EQ(hub.ports()[0], &p1);
        EXPECT_EQ(p1.name(), "hub42port1");
    }
    ASSERT_EQ(hub.ports().size(), 1u);
    EXPECT_EQ(hub.ports()[0]->name(), "named");
    EXPECT_EQ(Hub::find(42), &hub);
    EXPECT_EQ(Hub::find(4242), nullptr);
}

TEST(Hub, Warnings) {
    Hub& hub = Hub::get(43);
    HubPort p0(hub, ""), p1(hub, "");
    Endpoint nic("n");
    NetClient::link(nic, p0);
    auto warnings = hub_warnings(false);
    auto has = [&](const std::string& text) {
        return std::find(warnings.begin(), warnings.end(), text) != warnings.end();
    };
    EXPECT_TRUE(has("hub port hub43port1 has no peer"));
    EXPECT_TRUE(has("hub 43 is not connected to host network"));
    warnings = hub_warnings(true);
    EXPECT_FALSE(has("hub 43 is not connected to host network"));
    Endpoint user("u", ClientKind::kUser);
    NetClient::link(user, p1);
    warnings = hub_warnings(false);
    EXPECT_FALSE(has("hub 43 is not connected to host network"));
    EXPECT_FALSE(has("hub port hub43port1 has no peer"));
}

}  // namespace
}  // namespace mimic::net
