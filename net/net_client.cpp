// Peers, flow control and link state of network clients (see net_client.h).
#include "mimic/net/net_client.h"

#include <algorithm>

#include "mimic/util/error.h"

namespace mimic::net {
namespace {

std::vector<NetClient*>& clients() {
    static std::vector<NetClient*> list;
    return list;
}

bool g_vm_running = true;

}  // namespace

std::string_view client_kind_name(ClientKind kind) {
    switch (kind) {
    case ClientKind::kNic: return "nic";
    case ClientKind::kUser: return "user";
    case ClientKind::kTap: return "tap";
    case ClientKind::kSocket: return "socket";
    case ClientKind::kHubPort: return "hubport";
    }
    return "?";
}

NetClient::NetClient(ClientKind kind, std::string name) : kind_(kind), name_(std::move(name)) {
    clients().push_back(this);
}

NetClient::~NetClient() {
    unlink();
    std::erase(clients(), this);
}

void NetClient::link(NetClient& a, NetClient& b) {
    if (&a == &b) throw Error("Net client '{}' cannot be its own peer", a.name());
    for (NetClient* c : {&a, &b}) {
        if (c->peer_) throw Error("Net client '{}' is already in use by '{}'", c->name(), c->peer_->name());
    }
    a.peer_ = &b;
    b.peer_ = &a;
}

void NetClient::unlink() {
    if (!peer_) return;
    peer_->incoming_.clear();
    peer_->peer_ = nullptr;
    peer_ = nullptr;
    incoming_.clear();
}

bool NetClient::send(std::span<const uint8_t> frame) {
    NetClient* to = peer_;
    if (!to || !link_up_ || !to->link_up_) return true;
    // Keep order: once something is queued, later frames queue behind it.
    if (g_vm_running && to->incoming_.empty() && !to->flushing_ && to->can_receive()) {
        to->receive(frame);
        return true;
    }
    if (to->incoming_.size() >= kMaxQueuedFrames) return true;
    to->incoming_.emplace_back(frame.begin(), frame.end());
    return false;
}

void NetClient::flush_queue() {
    if (flushing_ || !g_vm_running) return;  // receive() may call back into flush_queue()
    flushing_ = true;
    while (!incoming_.empty() && can_receive()) {
        std::vector<uint8_t> frame = std::move(incoming_.front());
        incoming_.pop_front();
        receive(frame);
    }
    flushing_ = false;
    if (incoming_.empty() && peer_) peer_->queue_drained();
}

void NetClient::set_link_up(bool up) {
    if (link_up_ == up) return;
    link_up_ = up;
    link_status_changed();
}

void NetClient::set_vm_running(bool running) {
    if (g_vm_running == running) return;
    g_vm_running = running;
    if (!running) return;
    // A flush may create or destroy clients (a NIC reacting to a frame);
    // walk a copy and skip the ones gone meanwhile.
    std::vector<NetClient*> snapshot = clients();
    for (NetClient* c : snapshot) {
        if (std::find(clients().begin(), clients().end(), c) != clients().end()) c->flush_queue();
    }
}

void NetClient::retire() {
    shut_down();
    std::erase(clients(), this);
}

std::span<const uint8_t> pad_short_frame(std::span<const uint8_t> frame, std::vector<uint8_t>& scratch) {
    if (frame.size() >= kEthMinFrame) return frame;
    scratch.assign(frame.begin(), frame.end());
    scratch.resize(kEthMinFrame, 0);
    return scratch;
}

void notify_link_status(NetClient& client) { client.link_status_changed(); }

const std::vector<NetClient*>& NetClient::all() { return clients(); }

NetClient* NetClient::find(std::string_view name) {
    for (NetClient* c : clients()) {
        if (c->name() == name) return c;
    }
    return nullptr;
}

}  // namespace mimic::net
