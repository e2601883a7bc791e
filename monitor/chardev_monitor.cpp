#include "mimic/monitor/chardev_monitor.h"

#include "hmp_monitor.h"

namespace mimic::monitor {

ChardevMonitor::ChardevMonitor(MonitorHub& hub, chardev::Chardev& chardev, Monitor::Mode mode, bool pretty)
    : chardev_(chardev),
      monitor_(Monitor::create(hub, mode, pretty, [this](std::string_view bytes) { output(bytes); })) {
    chardev_.attach(this);
}

ChardevMonitor::~ChardevMonitor() { chardev_.detach(this); }

void ChardevMonitor::output(std::string_view bytes) {
    if (!focused_) {
        held_.append(bytes);
        return;
    }
    chardev_.write_all(bytes);
}

// A monitor busy writing a long output takes no more input for now; the
// chardev then leaves it unread.
size_t ChardevMonitor::can_receive() { return monitor_->accepting_input() ? kInputChunk : 0; }

void ChardevMonitor::receive(std::span<const uint8_t> data) {
    monitor_->receive(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

void ChardevMonitor::event(chardev::ChardevEvent event) {
    switch (event) {
        case chardev::ChardevEvent::kOpened:
            session_open_ = true;
            opened_unfocused_ = !focused_;
            monitor_->open();
            break;
        case chardev::ChardevEvent::kClosed:
            session_open_ = false;
            held_.clear();
            monitor_->close();
            break;
        case chardev::ChardevEvent::kMuxOut:
            focused_ = false;
            break;
        case chardev::ChardevEvent::kMuxIn: {
            focused_ = true;
            std::string held = std::move(held_);
            held_.clear();
            if (!held.empty()) chardev_.write_all(held);
            // Coming back to a session opened earlier: a fresh prompt shows
            // the user where they are (the first time, the held banner did).
            auto* hmp = dynamic_cast<HmpMonitor*>(monitor_.get());
            if (hmp && session_open_ && !opened_unfocused_) hmp->restart_line();
            opened_unfocused_ = false;
            break;
        }
        case chardev::ChardevEvent::kBreak:
            break;
    }
}

}  // namespace mimic::monitor
