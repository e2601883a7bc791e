// The VNC server: listening sockets, clients and their RFB sessions.
//
// Each client is a small state machine over a non-blocking socket. Input is
// gathered until a whole message is there (every message has a bounded
// size; a bigger claim closes the client), output is queued and written as
// the socket takes it. A client gets a new framebuffer update only once it
// asked for one and the previous one has left, so a slow client costs one
// update of memory, not a backlog. Whatever a client does or however it
// vanishes, it only ever ends its own session.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>

#include "mimic/main_loop/bottom_half.h"
#include "mimic/main_loop/fd_watch.h"
#include "mimic/ui/console.h"
#include "mimic/ui/input.h"
#include "mimic/ui/keymap.h"
#include "mimic/ui/rfb_encoding.h"
#include "mimic/ui/surface.h"
#include "mimic/ui/vnc.h"
#include "mimic/util/error.h"
#include "vnc_auth.h"

namespace mimic::ui {
namespace {

constexpr uint32_t kSecNone = 1, kSecVnc = 2;
constexpr size_t kMaxCutText = 1 << 20;   // QEMU's limit on clipboard text
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kTileWidth = 64, kTileHeight = 16;
constexpr size_t kMinOutputLimit = 16 << 20;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }

VncAddress address_of(const sockaddr_storage& ss, socklen_t len, bool peer_of_unix_listener,
                      const std::string& unix_path) {
    VncAddress a;
    char host[NI_MAXHOST] = "", service[NI_MAXSERV] = "";
    if (ss.ss_family == AF_UNIX || peer_of_unix_listener) {
        a.family = "unix";
        a.service = unix_path;
        return a;
    }
    getnameinfo(reinterpret_cast<const sockaddr*>(&ss), len, host, sizeof host, service, sizeof service,
                NI_NUMERICHOST | NI_NUMERICSERV);
    a.host = host;
    a.service = service;
    a.family = ss.ss_family == AF_INET6 ? "ipv6" : "ipv4";
    return a;
}

}  // namespace

class VncServer::Impl : public DisplayChangeListener {
public:
    struct Listener {
        int fd = -1;
        VncAddress address;
        FdWatch watch;
    };

    class Client;

    Impl(const VncOptions& options, Console& console, const std::vector<std::string>& data_dirs,
         const std::string& vm_name);
    ~Impl() override;

    // DisplayChangeListener
    void gfx_switch(const DisplaySurface& surface) override;
    void gfx_update(const Rect& rect) override;
    void refresh() override;

    void accept_client(Listener& listener);
    void remove_client(Client* client);
    void exclusive_request(Client* keep);
    bool has_exclusive_client() const;
    void emit(const char* event, Client& client);
    static void pointer_mode_changed(void* opaque);
    bool password_ok(const vnc_auth::Challenge& challenge, const uint8_t* response) const;

    VncOptions options_;
    Console& console_;
    std::string name_;
    Keymap keymap_;
    const DisplaySurface* surface_ = nullptr;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::vector<std::unique_ptr<Client>> clients_;
    std::string password_;
    int64_t expires_ = -1;  // seconds since the epoch; -1 never
    EventSink sink_;
};

class VncServer::Impl::Client {
public:
    Client(Impl& server, int fd, VncAddress address, const VncAddress& server_address)
        : server_(server), fd_(fd), address_(std::move(address)), server_address_(server_address) {
        watch_ = FdWatch(fd_, {.readable = [this] { on_readable(); }, .writable = [this] { flush(); }});
        send(std::string_view("RFB 003.008\n"));
    }
    ~Client() {
        lift_keys();
        watch_.remove();
        ::close(fd_);
    }

    const VncAddress& address() const { return address_; }
    const VncAddress& server_address() const { return server_address_; }
    bool exclusive() const { return state_ == State::kNormal && exclusive_; }
    bool closing() const { return closing_; }

    void surface_changed(const DisplaySurface& surface) {
        if (state_ != State::kNormal) return;
        if (has(rfb::kEncodingDesktopSize)) {
            resize_pending_ = true;
            width_ = surface.width();
            height_ = surface.height();
        }
        mark_dirty({0, 0, surface.width(), surface.height()});
    }
    void mark_dirty(const Rect& rect) {
        Rect r = rect.clipped(width_, height_);
        if (r.empty()) return;
        int columns = tile_columns();
        dirty_.resize(static_cast<size_t>(columns * tile_rows()), false);
        for (int ty = r.y / kTileHeight; ty <= (r.bottom() - 1) / kTileHeight; ++ty)
            for (int tx = r.x / kTileWidth; tx <= (r.right() - 1) / kTileWidth; ++tx)
                dirty_[static_cast<size_t>(ty * columns + tx)] = true;
    }
    void pointer_mode_changed() {
        if (state_ == State::kNormal && has(rfb::kEncodingPointerTypeChange)) send_pointer_type();
    }
    // Sends a framebuffer update if the client asked for one and it has
    // anything to see.
    void try_update();

private:
    enum class State { kVersion, kSecurityType, kVncAuth, kClientInit, kNormal };

    int tile_columns() const { return (width_ + kTileWidth - 1) / kTileWidth; }
    int tile_rows() const { return (height_ + kTileHeight - 1) / kTileHeight; }
    bool has(int32_t encoding) const {
        return std::find(encodings_.begin(), encodings_.end(), encoding) != encodings_.end();
    }

    void send(std::string_view bytes) { queue(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()); }
    void send(const std::vector<uint8_t>& bytes) { queue(bytes.data(), bytes.size()); }
    // A client that makes us answer without reading (pseudo-encodings ask
    // for replies) may keep a few frames' worth waiting, not more.
    void queue(const uint8_t* bytes, size_t size) {
        const DisplaySurface& s = server_.console_.surface();
        size_t limit = std::max<size_t>(kMinOutputLimit, 3 * static_cast<size_t>(s.width()) * s.height() * 4);
        if (out_.size() + size > limit) {
            close_later();
            return;
        }
        out_.insert(out_.end(), bytes, bytes + size);
        flush();
    }
    void flush();
    void close_later();
    void on_readable();
    // Consumes whole messages from in_; false when it needs more bytes.
    bool process();
    bool handle_version();
    bool handle_security_type();
    bool handle_vnc_auth();
    bool handle_client_init();
    bool handle_message();
    void start_auth();
    void security_failed(const std::string& reason);
    void send_server_init();
    void set_encodings(const std::vector<int32_t>& encodings);
    void send_pseudo(int32_t encoding, int x, int y, int w, int h);
    void send_pointer_type();
    void key_event(bool down, uint32_t keysym, uint32_t keycode);
    void pointer_event(uint8_t buttons, uint16_t x, uint16_t y);
    void lift_keys();

    Impl& server_;
    int fd_;
    VncAddress address_, server_address_;
    FdWatch watch_;
    State state_ = State::kVersion;
    int minor_ = 8;
    bool closing_ = false;
    bool exclusive_ = false;
    std::vector<uint8_t> in_, out_;
    vnc_auth::Challenge challenge_{};

    rfb::PixelFormat format_;
    rfb::EncoderState encoder_;
    std::vector<int32_t> encodings_;
    int32_t encoding_ = rfb::kEncodingRaw;
    int width_ = 0, height_ = 0;  // the framebuffer size the client knows
    std::vector<bool> dirty_;     // by tile
    bool update_requested_ = false;
    bool resize_pending_ = false;

    std::map<uint32_t, QKeyCode> held_;  // keysym -> the key it pressed
    bool shift_ = false, altgr_ = false;
    uint8_t buttons_ = 0;
    int last_x_ = -1, last_y_ = -1;
    int absolute_ = -1;  // what the client was last told
};

void VncServer::Impl::Client::flush() {
    while (!out_.empty() && !closing_) {
        ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            out_.erase(out_.begin(), out_.begin() + n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        close_later();  // the peer is gone
        return;
    }
    if (!closing_) watch_.set_write_interest(!out_.empty());
}

void VncServer::Impl::Client::close_later() {
    if (closing_) return;
    closing_ = true;
    watch_.remove();
    lift_keys();  // what it held down must not stay pressed in the guest
    server_.remove_client(this);  // destroys this client when safe
}

void VncServer::Impl::Client::on_readable() {
    uint8_t buffer[kReadChunk];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        close_later();
        return;
    }
    if (n < 0) return;
    in_.insert(in_.end(), buffer, buffer + n);
    while (!closing_ && process()) {
    }
}

bool VncServer::Impl::Client::process() {
    switch (state_) {
    case State::kVersion: return handle_version();
    case State::kSecurityType: return handle_security_type();
    case State::kVncAuth: return handle_vnc_auth();
    case State::kClientInit: return handle_client_init();
    case State::kNormal: return handle_message();
    }
    return false;
}

bool VncServer::Impl::Client::handle_version() {
    if (in_.size() < 12) return false;
    std::string version(in_.begin(), in_.begin() + 12);
    in_.erase(in_.begin(), in_.begin() + 12);
    int major = 0, minor = 0;
    if (std::sscanf(version.c_str(), "RFB %03d.%03d\n", &major, &minor) != 2 || major != 3) {
        close_later();
        return false;
    }
    // 3.4 to 3.6 (and unknown minors below 7) speak 3.3; newer ones 3.8.
    minor_ = minor >= 8 ? 8 : minor == 7 ? 7 : 3;
    uint32_t type = server_.options_.password ? kSecVnc : kSecNone;
    std::vector<uint8_t> reply;
    if (minor_ == 3) {
        rfb::put_u32(reply, type);
        send(reply);
        if (type == kSecVnc) {
            start_auth();
        } else {
            state_ = State::kClientInit;
        }
        return true;
    }
    rfb::put_u8(reply, 1);
    rfb::put_u8(reply, static_cast<uint8_t>(type));
    send(reply);
    state_ = State::kSecurityType;
    return true;
}

void VncServer::Impl::Client::security_failed(const std::string& reason) {
    std::vector<uint8_t> reply;
    rfb::put_u32(reply, 1);
    if (minor_ >= 8) {
        rfb::put_u32(reply, static_cast<uint32_t>(reason.size()));
        reply.insert(reply.end(), reason.begin(), reason.end());
    }
    send(reply);
    close_later();
}

bool VncServer::Impl::Client::handle_security_type() {
    if (in_.empty()) return false;
    uint8_t chosen = in_[0];
    in_.erase(in_.begin());
    uint32_t offered = server_.options_.password ? kSecVnc : kSecNone;
    if (chosen != offered) {
        security_failed("Authentication failed");
        return false;
    }
    if (chosen == kSecVnc) {
        start_auth();
        return true;
    }
    // 3.7 says nothing after choosing "none"; 3.8 confirms it.
    if (minor_ >= 8) {
        std::vector<uint8_t> ok;
        rfb::put_u32(ok, 0);
        send(ok);
    }
    state_ = State::kClientInit;
    return true;
}

void VncServer::Impl::Client::start_auth() {
    challenge_ = vnc_auth::make_challenge();
    send(std::vector<uint8_t>(challenge_.begin(), challenge_.end()));
    state_ = State::kVncAuth;
}

bool VncServer::Impl::Client::handle_vnc_auth() {
    if (in_.size() < 16) return false;
    bool ok = server_.password_ok(challenge_, in_.data());
    in_.erase(in_.begin(), in_.begin() + 16);
    if (!ok) {
        security_failed("Authentication failed");
        return false;
    }
    std::vector<uint8_t> reply;
    rfb::put_u32(reply, 0);
    send(reply);
    state_ = State::kClientInit;
    return true;
}

bool VncServer::Impl::Client::handle_client_init() {
    if (in_.empty()) return false;
    bool shared = in_[0] != 0;
    in_.erase(in_.begin());
    switch (server_.options_.share) {
    case VncOptions::Share::kAllowExclusive:
        // As the RFB spec suggests: an exclusive client ends the others,
        // and while it is there nobody else gets in.
        if (!shared) {
            server_.exclusive_request(this);
        } else if (server_.has_exclusive_client()) {
            close_later();
            return false;
        }
        break;
    case VncOptions::Share::kForceShared:
        if (!shared) {  // nobody may take the display for themselves
            close_later();
            return false;
        }
        break;
    case VncOptions::Share::kIgnore: break;
    }
    exclusive_ = !shared;
    send_server_init();
    state_ = State::kNormal;
    server_.emit("VNC_INITIALIZED", *this);
    return true;
}

void VncServer::Impl::Client::send_server_init() {
    const DisplaySurface& surface = server_.console_.surface();
    width_ = surface.width();
    height_ = surface.height();
    std::vector<uint8_t> init;
    rfb::put_u16(init, static_cast<uint16_t>(width_));
    rfb::put_u16(init, static_cast<uint16_t>(height_));
    format_ = rfb::PixelFormat{};
    format_.write(init);
    rfb::put_u32(init, static_cast<uint32_t>(server_.name_.size()));
    init.insert(init.end(), server_.name_.begin(), server_.name_.end());
    send(init);
    mark_dirty({0, 0, width_, height_});
}

bool VncServer::Impl::Client::handle_message() {
    if (in_.empty()) return false;
    auto need = [&](size_t n) { return in_.size() >= n; };
    auto consume = [&](size_t n) { in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n)); };
    switch (in_[0]) {
    case 0: {  // SetPixelFormat
        if (!need(20)) return false;
        rfb::PixelFormat format = rfb::PixelFormat::read(&in_[4]);
        consume(20);
        if (!format.valid()) {  // colour maps and odd layouts: not served
            close_later();
            return false;
        }
        format_ = format;
        mark_dirty({0, 0, width_, height_});
        return true;
    }
    case 2: {  // SetEncodings
        if (!need(4)) return false;
        size_t count = be16(&in_[2]);
        if (!need(4 + 4 * count)) return false;
        std::vector<int32_t> encodings;
        for (size_t i = 0; i < count; ++i) encodings.push_back(static_cast<int32_t>(be32(&in_[4 + 4 * i])));
        consume(4 + 4 * count);
        set_encodings(encodings);
        return true;
    }
    case 3: {  // FramebufferUpdateRequest
        if (!need(10)) return false;
        bool incremental = in_[1] != 0;
        Rect r{be16(&in_[2]), be16(&in_[4]), be16(&in_[6]), be16(&in_[8])};
        consume(10);
        if (!incremental) mark_dirty(r);
        update_requested_ = true;
        // A full request is answered at once; incremental ones at the
        // next refresh, when the console has caught up.
        if (!incremental) try_update();
        return true;
    }
    case 4: {  // KeyEvent
        if (!need(8)) return false;
        bool down = in_[1] != 0;
        uint32_t keysym = be32(&in_[4]);
        consume(8);
        key_event(down, keysym, 0);
        return true;
    }
    case 5: {  // PointerEvent
        if (!need(6)) return false;
        uint8_t buttons = in_[1];
        uint16_t x = be16(&in_[2]), y = be16(&in_[4]);
        consume(6);
        pointer_event(buttons, x, y);
        return true;
    }
    case 6: {  // ClientCutText: read and dropped (no clipboard yet)
        if (!need(8)) return false;
        uint32_t length = be32(&in_[4]);
        if (length > kMaxCutText) {
            close_later();
            return false;
        }
        if (!need(8 + length)) return false;
        consume(8 + length);
        return true;
    }
    case 255: {  // QEMU's messages
        if (!need(2)) return false;
        if (in_[1] != 0) {  // only the extended key event is known
            close_later();
            return false;
        }
        if (!need(12)) return false;
        bool down = be16(&in_[2]) != 0;
        uint32_t keysym = be32(&in_[4]), keycode = be32(&in_[8]);
        consume(12);
        key_event(down, keysym, keycode);
        return true;
    }
    default:
        close_later();
        return false;
    }
}

void VncServer::Impl::Client::set_encodings(const std::vector<int32_t>& encodings) {
    encodings_ = encodings;
    encoding_ = rfb::kEncodingRaw;
    // The client's first preference that we have.
    for (int32_t e : encodings) {
        if (e == rfb::kEncodingRaw || e == rfb::kEncodingHextile || e == rfb::kEncodingZlib ||
            e == rfb::kEncodingTight || e == rfb::kEncodingZrle) {
            encoding_ = e;
            break;
        }
    }
    for (int32_t e : encodings) {
        if (e >= rfb::kEncodingTightLevel0 && e <= rfb::kEncodingTightLevel0 + 9)
            encoder_.compression_level = e - rfb::kEncodingTightLevel0;
    }
    if (has(rfb::kEncodingExtKeyEvent)) send_pseudo(rfb::kEncodingExtKeyEvent, 0, 0, width_, height_);
    absolute_ = -1;
    if (has(rfb::kEncodingPointerTypeChange)) send_pointer_type();
}

void VncServer::Impl::Client::send_pseudo(int32_t encoding, int x, int y, int w, int h) {
    std::vector<uint8_t> msg = {0, 0};
    rfb::put_u16(msg, 1);
    rfb::put_rect_header(msg, {x, y, w, h}, encoding);
    send(msg);
}

void VncServer::Impl::Client::send_pointer_type() {
    int absolute = input_pointer_is_absolute() ? 1 : 0;
    if (absolute == absolute_) return;
    absolute_ = absolute;
    send_pseudo(rfb::kEncodingPointerTypeChange, absolute, 0, width_, height_);
}

void VncServer::Impl::Client::try_update() {
    if (closing_ || state_ != State::kNormal || !update_requested_ || !out_.empty()) return;
    const DisplaySurface& surface = server_.console_.surface();
    std::vector<Rect> rects;
    if (!resize_pending_) {
        int columns = tile_columns();
        for (int ty = 0; ty < tile_rows(); ++ty) {
            for (int tx = 0; tx < columns;) {
                if (static_cast<size_t>(ty * columns + tx) >= dirty_.size() || !dirty_[static_cast<size_t>(ty * columns + tx)]) {
                    ++tx;
                    continue;
                }
                int start = tx;
                while (tx < columns && dirty_[static_cast<size_t>(ty * columns + tx)]) dirty_[static_cast<size_t>(ty * columns + tx++)] = false;
                Rect r = Rect{start * kTileWidth, ty * kTileHeight, (tx - start) * kTileWidth, kTileHeight}
                             .clipped(std::min(width_, surface.width()), std::min(height_, surface.height()));
                if (!r.empty()) rects.push_back(r);
            }
        }
        if (rects.empty()) return;
    }
    update_requested_ = false;
    std::vector<uint8_t> body;
    int count = 0;
    if (resize_pending_) {
        // The new size first; the client then asks for the whole picture.
        resize_pending_ = false;
        rfb::put_rect_header(body, {0, 0, width_, height_}, rfb::kEncodingDesktopSize);
        ++count;
        std::fill(dirty_.begin(), dirty_.end(), false);
        mark_dirty({0, 0, width_, height_});
        update_requested_ = true;  // the resize does not answer for the pixels
    }
    for (const Rect& r : rects) count += rfb::encode_rect(body, surface, r, encoding_, format_, encoder_);
    std::vector<uint8_t> msg = {0, 0};
    rfb::put_u16(msg, static_cast<uint16_t>(std::min(count, 65535)));
    msg.insert(msg.end(), body.begin(), body.end());
    send(msg);
}

void VncServer::Impl::Client::key_event(bool down, uint32_t keysym, uint32_t keycode) {
    QKeyCode key = kQKeyUnmapped;
    if (keycode) {
        key = qcode_from_number(keycode);
    } else if (!down && held_.count(keysym)) {
        key = held_[keysym];  // release what the press pressed
    } else {
        key = server_.keymap_.lookup(keysym, shift_, altgr_);
    }
    if (key == kQKeyUnmapped) return;
    std::string_view name = qcode_name(key);
    if (name == "shift" || name == "shift_r") shift_ = down;
    if (name == "alt_r") altgr_ = down;
    if (down) {
        held_[keysym] = key;
    } else {
        held_.erase(keysym);
    }
    input_send(InputEvent::key_event(key, down));
    input_sync();
}

void VncServer::Impl::Client::lift_keys() {
    for (auto& [keysym, key] : held_) input_send(InputEvent::key_event(key, false));
    if (!held_.empty() || buttons_) {
        for (int bit = 0; bit < 7; ++bit) {
            if (buttons_ & (1 << bit)) input_send(InputEvent::button_event(static_cast<InputButton>(bit), false));
        }
        input_sync();
    }
    held_.clear();
    buttons_ = 0;
}

void VncServer::Impl::Client::pointer_event(uint8_t buttons, uint16_t x, uint16_t y) {
    // RFB's mask bits in InputButton order: left, middle, right, wheel up,
    // wheel down, then the horizontal wheel.
    static constexpr InputButton kButtons[] = {InputButton::kLeft,      InputButton::kMiddle,    InputButton::kRight,
                                               InputButton::kWheelUp,   InputButton::kWheelDown, InputButton::kWheelLeft,
                                               InputButton::kWheelRight};
    for (int bit = 0; bit < 7; ++bit) {
        bool now = buttons & (1 << bit), before = buttons_ & (1 << bit);
        if (now != before) input_send(InputEvent::button_event(kButtons[bit], now));
    }
    buttons_ = buttons;
    if (input_pointer_is_absolute()) {
        int w = std::max(1, width_ - 1), h = std::max(1, height_ - 1);
        input_send(InputEvent::move_event(InputEvent::Kind::kAbs, InputAxis::kX, int64_t{x} * kInputAbsMax / w));
        input_send(InputEvent::move_event(InputEvent::Kind::kAbs, InputAxis::kY, int64_t{y} * kInputAbsMax / h));
    } else if (has(rfb::kEncodingPointerTypeChange)) {
        // Told the pointer is relative, the client sends motion around 0x7fff.
        input_send(InputEvent::move_event(InputEvent::Kind::kRel, InputAxis::kX, int64_t{x} - 0x7fff));
        input_send(InputEvent::move_event(InputEvent::Kind::kRel, InputAxis::kY, int64_t{y} - 0x7fff));
    } else {
        if (last_x_ >= 0) {
            input_send(InputEvent::move_event(InputEvent::Kind::kRel, InputAxis::kX, x - last_x_));
            input_send(InputEvent::move_event(InputEvent::Kind::kRel, InputAxis::kY, y - last_y_));
        }
        last_x_ = x;
        last_y_ = y;
    }
    input_sync();
}

// --- the server --------------------------------------------------------------

VncServer::Impl::Impl(const VncOptions& options, Console& console, const std::vector<std::string>& data_dirs,
                      const std::string& vm_name)
    : options_(options), console_(console), name_(vm_name.empty() ? "QEMU" : "QEMU (" + vm_name + ")"),
      keymap_(Keymap::load(options.keyboard_layout, data_dirs)) {
    auto add_listener = [&](int fd, VncAddress address) {
        auto listener = std::make_unique<Listener>();
        listener->fd = fd;
        listener->address = std::move(address);
        Listener* raw = listener.get();
        listener->watch = FdWatch(fd, {.readable = [this, raw] { accept_client(*raw); }});
        listeners_.push_back(std::move(listener));
    };
    if (options.kind == VncOptions::Kind::kUnix) {
        sockaddr_un sun{};
        sun.sun_family = AF_UNIX;
        if (options.path.size() >= sizeof sun.sun_path)
            throw Error("UNIX socket path '{}' is too long", options.path);
        std::memcpy(sun.sun_path, options.path.c_str(), options.path.size() + 1);
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) throw Error("Failed to create a socket");
        ::unlink(options.path.c_str());
        if (::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0 || ::listen(fd, 1) < 0) {
            int err = errno;
            ::close(fd);
            throw Error("Failed to bind socket to {}: {}", options.path, std::strerror(err));
        }
        add_listener(fd, {"", options.path, "unix"});
    } else if (options.kind == VncOptions::Kind::kTcp) {
        int last = std::max(options.display, options.to);
        for (int display = options.display;; ++display) {
            addrinfo hints{};
            bool want4 = options.ipv4.value_or(!options.ipv6.value_or(false));
            bool want6 = options.ipv6.value_or(!options.ipv4.value_or(false));
            hints.ai_family = want4 && !want6 ? AF_INET : want6 && !want4 ? AF_INET6 : AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            hints.ai_flags = AI_PASSIVE;
            addrinfo* results = nullptr;
            std::string port = std::to_string(5900 + display);
            if (getaddrinfo(options.host.empty() ? nullptr : options.host.c_str(), port.c_str(), &hints, &results) != 0)
                throw Error("address resolution failed for {}:{}: Name or service not known", options.host, port);
            std::vector<addrinfo*> order;
            for (addrinfo* ai = results; ai; ai = ai->ai_next) order.push_back(ai);
            // IPv6 first, as QEMU lists them.
            std::stable_sort(order.begin(), order.end(),
                             [](addrinfo* a, addrinfo* b) { return a->ai_family == AF_INET6 && b->ai_family != AF_INET6; });
            int bind_errno = 0;
            std::vector<std::pair<int, VncAddress>> bound;
            for (addrinfo* ai : order) {
                int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
                if (fd < 0) continue;
                int one = 1;
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
                if (::bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || ::listen(fd, 1) < 0) {
                    bind_errno = errno;
                    ::close(fd);
                    continue;
                }
                sockaddr_storage ss{};
                std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
                bound.emplace_back(fd, address_of(ss, ai->ai_addrlen, false, ""));
            }
            freeaddrinfo(results);
            bool all = bind_errno == 0 && !bound.empty();
            if (all) {
                for (auto& [fd, address] : bound) add_listener(fd, address);
                break;
            }
            for (auto& [fd, address] : bound) ::close(fd);
            if (bind_errno == EADDRINUSE && display < last) continue;
            if (bind_errno == EADDRINUSE) {
                throw Error("Failed to find an available port: {}", std::strerror(bind_errno));
            }
            throw Error("Failed to bind socket: {}", std::strerror(bind_errno ? bind_errno : EADDRNOTAVAIL));
        }
    }
    input_add_mode_notifier(&Impl::pointer_mode_changed, this);
}

VncServer::Impl::~Impl() {
    input_remove_mode_notifier(&Impl::pointer_mode_changed, this);
    if (!clients_.empty()) console_.remove_listener(*this);
    clients_.clear();
    for (auto& listener : listeners_) {
        listener->watch.remove();
        ::close(listener->fd);
    }
    if (options_.kind == VncOptions::Kind::kUnix) ::unlink(options_.path.c_str());
}

void VncServer::Impl::pointer_mode_changed(void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    for (auto& client : self->clients_) client->pointer_mode_changed();
}

void VncServer::Impl::accept_client(Listener& listener) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    if (ss.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    bool is_unix = listener.address.family == "unix";
    VncAddress address = address_of(ss, len, is_unix, listener.address.service);
    if (clients_.empty()) console_.add_listener(*this);  // starts the refresh timer
    clients_.push_back(std::make_unique<Client>(*this, fd, address, listener.address));
    Client& client = *clients_.back();
    emit("VNC_CONNECTED", client);
    if (client.closing()) remove_client(&client);
}

void VncServer::Impl::remove_client(Client* client) {
    auto it = std::find_if(clients_.begin(), clients_.end(), [&](const auto& c) { return c.get() == client; });
    if (it == clients_.end()) return;
    // The client may be deep in its own callback: let the main loop
    // finish that first, then destroy it.
    std::unique_ptr<Client> owned = std::move(*it);
    clients_.erase(it);
    emit("VNC_DISCONNECTED", *owned);
    if (clients_.empty()) console_.remove_listener(*this);
    std::shared_ptr<Client> doomed(std::move(owned));
    schedule_oneshot([doomed] {});
}

bool VncServer::Impl::has_exclusive_client() const {
    return std::any_of(clients_.begin(), clients_.end(), [](const auto& c) { return c->exclusive(); });
}

void VncServer::Impl::exclusive_request(Client* keep) {
    std::vector<Client*> others;
    for (auto& client : clients_)
        if (client.get() != keep) others.push_back(client.get());
    for (Client* other : others) remove_client(other);
}

void VncServer::Impl::emit(const char* event, Client& client) {
    if (sink_) sink_(event, client.address(), client.server_address());
}

bool VncServer::Impl::password_ok(const vnc_auth::Challenge& challenge, const uint8_t* response) const {
    // No password set yet, or one that has expired, lets nobody in.
    if (password_.empty()) return false;
    if (expires_ >= 0 && std::time(nullptr) >= expires_) return false;
    vnc_auth::Challenge expected = vnc_auth::expected_response(password_, challenge);
    return std::equal(expected.begin(), expected.end(), response);
}

void VncServer::Impl::gfx_switch(const DisplaySurface& surface) {
    surface_ = &surface;
    for (auto& client : clients_) client->surface_changed(surface);
}

void VncServer::Impl::gfx_update(const Rect& rect) {
    for (auto& client : clients_) client->mark_dirty(rect);
}

void VncServer::Impl::refresh() {
    // A client that fails while sending leaves the list: walk a copy.
    std::vector<Client*> clients;
    for (auto& client : clients_) clients.push_back(client.get());
    for (Client* client : clients) {
        if (!client->closing()) client->try_update();
    }
}

// --- the public face ---------------------------------------------------------

VncServer::VncServer(const VncOptions& options, Console& console, const std::vector<std::string>& data_dirs,
                     const std::string& vm_name)
    : impl_(std::make_unique<Impl>(options, console, data_dirs, vm_name)) {}

VncServer::~VncServer() = default;

const VncOptions& VncServer::options() const { return impl_->options_; }
std::string VncServer::auth_name() const { return impl_->options_.password ? "vnc" : "none"; }

std::vector<VncAddress> VncServer::listeners() const {
    std::vector<VncAddress> list;
    for (const auto& listener : impl_->listeners_) list.push_back(listener->address);
    return list;
}

std::vector<VncAddress> VncServer::clients() const {
    std::vector<VncAddress> list;
    for (const auto& client : impl_->clients_) list.push_back(client->address());
    return list;
}

bool VncServer::set_password(const std::string& password) {
    if (!impl_->options_.password) return false;
    impl_->password_ = password.substr(0, 8);
    return true;
}

bool VncServer::expire_password(const std::string& when) {
    int64_t now = std::time(nullptr);
    if (when == "now") {
        impl_->expires_ = now;
        return true;
    }
    if (when == "never") {
        impl_->expires_ = -1;
        return true;
    }
    bool relative = !when.empty() && when[0] == '+';
    std::string digits = relative ? when.substr(1) : when;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 15)
        return false;
    int64_t value = std::stoll(digits);
    impl_->expires_ = relative ? now + value : value;
    return true;
}

void VncServer::set_event_sink(EventSink sink) { impl_->sink_ = std::move(sink); }

}  // namespace mimic::ui
