// A display front end (VNC, curses, a window) as a console sees it: QEMU's
// DisplayChangeListener. Every callback runs on the main loop thread with
// the BQL held.
#pragma once

#include "mimic/ui/rect.h"

namespace mimic::ui {

class DisplaySurface;

class DisplayChangeListener {
public:
    virtual ~DisplayChangeListener() = default;

    // The console has a new surface (first registration, mode change,
    // resize). The reference stays valid until the next gfx_switch().
    virtual void gfx_switch(const DisplaySurface& surface) = 0;
    // `rect` (clipped to the surface) changed.
    virtual void gfx_update(const Rect& rect) = 0;
    // A block moved within the surface; by default just redraw the target.
    virtual void gfx_copy(int src_x, int src_y, const Rect& dst) {
        (void)src_x, (void)src_y;
        gfx_update(dst);
    }
    // Once per refresh period, after the device brought the surface up to
    // date: the moment to send what gfx_update() collected.
    virtual void refresh() {}
};

}  // namespace mimic::ui
