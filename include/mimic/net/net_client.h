// A network endpoint, in the sense of QEMU's NetClientState: a NIC's front
// end or a netdev back end (user, tap, socket, hubport).
//
// Two clients linked to each other are peers; a frame one of them send()s is
// handed to the other's receive(). A hub is a set of hubport clients, each
// the peer of one NIC or back end, that relay frames among themselves.
//
//     NIC (e1000.0) <-> user (netdev "n0")          -nic user / -netdev + -device
//     NIC <-> hubport <-hub-> hubport <-> user       -net nic -net user
//
// Flow control: a receiver that cannot take a frame now (its RX ring is
// full, say) answers can_receive() false; frames sent to it are then queued
// here, in order, until it calls flush_queue(). send() returns false when it
// queued, so a sender able to stop producing (tap: stop reading its fd) does
// so until queue_drained() runs. Senders that cannot stop (slirp) ignore it;
// the queue is bounded and drops beyond kMaxQueuedFrames, as QEMU's does.
//
// While the VM is stopped nothing is delivered (a NIC must not write guest
// memory behind a paused guest's back): every frame queues at its receiver
// until set_vm_running(true) flushes them all, as QEMU holds its queues.
//
// Link state (`set_link`) is per client: a frame is dropped, as on a cable
// that is unplugged, when the sender's or the receiver's link is down.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::net {

enum class ClientKind { kNic, kUser, kTap, kSocket, kHubPort };

// The type name `info network` prints: "nic", "user", "tap", "socket",
// "hubport".
std::string_view client_kind_name(ClientKind kind);

class NetClient {
public:
    static constexpr size_t kMaxQueuedFrames = 10000;

    // `name` is what `info network` and `set_link` use: the netdev id, or a
    // NIC's device id (or "<model>.<n>" when it has none).
    NetClient(ClientKind kind, std::string name);
    // Unlinks from the peer (whose frames queued for us are dropped) and
    // leaves the list of all clients.
    virtual ~NetClient();
    NetClient(const NetClient&) = delete;
    NetClient& operator=(const NetClient&) = delete;

    ClientKind kind() const { return kind_; }
    const std::string& name() const { return name_; }
    NetClient* peer() const { return peer_; }

    // Makes a and b peers. Throws mimic::Error if either already has one.
    static void link(NetClient& a, NetClient& b);
    // Drops the peer relation (both ways) and the frames queued either way.
    void unlink();

    // Sends one Ethernet frame (no FCS) to the peer. Returns true when it was
    // delivered or dropped (no peer, a link down, queue full), false when it
    // was queued because the peer cannot receive now.
    bool send(std::span<const uint8_t> frame);

    // Called by a receiver that can take frames again: delivers what was
    // queued for it while can_receive() held it back, until the queue is
    // empty or it refuses again. When emptied, the peer's queue_drained()
    // runs.
    void flush_queue();
    size_t queued_frames() const { return incoming_.size(); }

    bool link_up() const { return link_up_; }
    // Changes this client's link state; link_status_changed() runs if it
    // changed. (The `set_link` command also changes a NIC's peer, see net.h.)
    void set_link_up(bool up);

    // The text `info network` prints after "name: index=0,type=<kind>,",
    // e.g. "model=e1000,macaddr=52:54:00:12:34:56" or
    // "net=10.0.2.0,restrict=off".
    virtual std::string info_str() const = 0;

    // netdev_del of a back end a NIC still uses: the back end stops its I/O
    // (shut_down()) and leaves the list of clients, so find() and all() no
    // longer see it, but stays the NIC's peer until the NIC goes, as in
    // QEMU (`info network` still shows it under the NIC).
    void retire();

    // The VM runs or stops (see the top); true until told otherwise, so
    // code without a VM (tests) sees frames delivered at once.
    static void set_vm_running(bool running);

    // Every live client, in creation order (for `info network`, `set_link`).
    static const std::vector<NetClient*>& all();
    // The live client named `name`, or nullptr.
    static NetClient* find(std::string_view name);

protected:
    virtual bool can_receive() const { return true; }
    virtual void receive(std::span<const uint8_t> frame) = 0;
    // The peer emptied the queue of frames we sent it: we may send again.
    virtual void queue_drained() {}
    virtual void link_status_changed() {}
    // Releases host resources (sockets, fds, the slirp stack); see retire().
    virtual void shut_down() {}

    friend void notify_link_status(NetClient& client);

private:
    const ClientKind kind_;
    const std::string name_;
    NetClient* peer_ = nullptr;
    bool link_up_ = true;
    bool flushing_ = false;
    // Frames sent to us while we could not receive them.
    std::deque<std::vector<uint8_t>> incoming_;
};

// Ethernet's minimum frame without FCS. Host-side back ends (user, tap)
// pad shorter frames with zeroes before sending them on, as QEMU does for
// peers that do not ask otherwise.
inline constexpr size_t kEthMinFrame = 60;
// `frame` itself, or a copy padded to kEthMinFrame in `scratch`.
std::span<const uint8_t> pad_short_frame(std::span<const uint8_t> frame, std::vector<uint8_t>& scratch);

// Runs `client`'s link_status_changed(): `set_link` tells the client and
// its peer even when their state did not change, as QEMU does.
void notify_link_status(NetClient& client);

}  // namespace mimic::net
