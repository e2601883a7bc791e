#include "mimic/main_loop/fd_watch.h"

#include <glib.h>

#include <utility>

#include "mimic/main_loop/main_loop.h"

namespace mimic {

namespace {

// A GSource per watched fd. The handlers live in the source so that they
// outlive a callback that removes its own watch: glib keeps the source
// referenced for the whole dispatch, and finalize() frees them afterwards.
struct FdSource {
    GSource base;
    gpointer tag;
    bool write_interest;
    int events;  // what the poll record asks for now
    FdHandlers* handlers;
};

gboolean fd_prepare(GSource* source, gint* timeout) {
    auto* s = reinterpret_cast<FdSource*>(source);
    const FdHandlers& h = *s->handlers;
    int events = 0;
    if (h.readable && (!h.read_gate || h.read_gate())) events |= G_IO_IN;
    if (h.writable && s->write_interest) events |= G_IO_OUT;
    // POLLHUP/POLLERR are reported whatever we ask for. glib wakes the
    // context on every modification, so an unchanged set must not be
    // written back: the poll that follows would return at once, every
    // iteration, and the loop would spin instead of sleeping.
    if (events != s->events) {
        s->events = events;
        g_source_modify_unix_fd(source, s->tag, static_cast<GIOCondition>(events));
    }
    *timeout = -1;
    return FALSE;
}

gboolean fd_check(GSource* source) {
    auto* s = reinterpret_cast<FdSource*>(source);
    return g_source_query_unix_fd(source, s->tag) != 0;
}

gboolean fd_dispatch(GSource* source, GSourceFunc, gpointer) {
    auto* s = reinterpret_cast<FdSource*>(source);
    const FdHandlers& h = *s->handlers;
    int revents = g_source_query_unix_fd(source, s->tag);
    // Readable data first: a pipe whose writer left after writing reports
    // IN and HUP together, and the data must not be lost.
    if (revents & G_IO_IN) {
        if (h.readable) h.readable();
    } else if (revents & (G_IO_HUP | G_IO_ERR | G_IO_NVAL)) {
        if (h.hangup) {
            h.hangup();
        } else if (h.readable) {
            h.readable();
        }
    }
    if (g_source_is_destroyed(source)) return G_SOURCE_REMOVE;
    if ((revents & G_IO_OUT) && s->write_interest && h.writable) h.writable();
    return G_SOURCE_CONTINUE;
}

void fd_finalize(GSource* source) {
    auto* s = reinterpret_cast<FdSource*>(source);
    delete s->handlers;
    s->handlers = nullptr;
}

GSourceFuncs g_fd_source_funcs = {fd_prepare, fd_check, fd_dispatch, fd_finalize, nullptr, nullptr};

}  // namespace

FdWatch::FdWatch(int fd, FdHandlers handlers) : fd_(fd) {
    source_ = g_source_new(&g_fd_source_funcs, sizeof(FdSource));
    auto* s = reinterpret_cast<FdSource*>(source_);
    s->handlers = new FdHandlers(std::move(handlers));
    s->write_interest = false;
    s->events = 0;
    s->tag = g_source_add_unix_fd(source_, fd, static_cast<GIOCondition>(0));
    g_source_set_name(source_, "mimic-fd-watch");
    g_source_attach(source_, main_loop_context());
}

FdWatch::~FdWatch() { remove(); }

FdWatch::FdWatch(FdWatch&& other) noexcept
    : source_(std::exchange(other.source_, nullptr)), fd_(std::exchange(other.fd_, -1)) {}

FdWatch& FdWatch::operator=(FdWatch&& other) noexcept {
    if (this != &other) {
        remove();
        source_ = std::exchange(other.source_, nullptr);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

void FdWatch::set_write_interest(bool enabled) {
    if (!source_) return;
    auto* s = reinterpret_cast<FdSource*>(source_);
    if (s->write_interest == enabled) return;
    s->write_interest = enabled;
    // Called from another thread or outside dispatch: make the loop notice.
    main_loop_wakeup();
}

void FdWatch::remove() {
    if (!source_) return;
    g_source_destroy(source_);
    g_source_unref(source_);
    source_ = nullptr;
    fd_ = -1;
}

}  // namespace mimic
