#include "mimic/system/runstate.h"

#include <gtest/gtest.h>

using mimic::system::Event;
using mimic::system::RunControl;
using mimic::system::RunState;
using mimic::system::ShutdownCause;

namespace {

class RunStateTest : public testing::Test {
protected:
    RunStateTest() {
        control.add_event_listener([this](const Event& event) {
            events.push_back(event.name + (event.data.empty() ? "" : " " + event.data.dump()));
        });
        control.set_reset_hook([this] { ++resets; });
        control.set_powerdown_hook([this] { ++power_buttons; });
    }
    RunControl control;
    std::vector<std::string> events;
    int resets = 0;
    int power_buttons = 0;
};

}  // namespace

TEST_F(RunStateTest, StartsInPrelaunchThenRunsAndPauses) {
    EXPECT_EQ(control.state(), RunState::kPreLaunch);
    control.start();
    EXPECT_TRUE(control.running());
    control.stop();
    EXPECT_EQ(control.state(), RunState::kPaused);
    control.stop();  // a second stop emits nothing
    EXPECT_EQ(events, (std::vector<std::string>{"RESUME", "STOP"}));
    EXPECT_STREQ(to_string(control.state()), "paused");
}

TEST_F(RunStateTest, ResetRunsHookAndReportsCause) {
    control.start();
    control.request_reset(ShutdownCause::kHostQmpSystemReset);
    EXPECT_FALSE(control.process_requests());
    EXPECT_EQ(resets, 1);
    EXPECT_EQ(events.back(), R"(RESET {"guest":false,"reason":"host-qmp-system-reset"})");
}

TEST_F(RunStateTest, GuestResetWithNoRebootShutsDown) {
    control.set_no_reboot(true);
    control.request_reset(ShutdownCause::kGuestReset);
    EXPECT_TRUE(control.process_requests());
    EXPECT_EQ(resets, 0);
    EXPECT_EQ(events.back(), R"(SHUTDOWN {"guest":true,"reason":"guest-reset"})");
    // As in QEMU, a reset asked for by the host ends the VM too.
    control.request_reset(ShutdownCause::kHostQmpSystemReset);
    EXPECT_TRUE(control.process_requests());
    EXPECT_EQ(events.back(), R"(SHUTDOWN {"guest":false,"reason":"host-qmp-system-reset"})");
}

TEST_F(RunStateTest, ShutdownEndsTheProcess) {
    control.start();
    control.request_shutdown(ShutdownCause::kHostSignal, 15);
    EXPECT_TRUE(control.process_requests());
    EXPECT_EQ(control.shutdown_signal(), 15);
    EXPECT_EQ(events.back(), R"(SHUTDOWN {"guest":false,"reason":"host-signal"})");
}

TEST_F(RunStateTest, NoShutdownKeepsAGuestPowerOffPaused) {
    control.set_no_shutdown(true);
    control.start();
    control.request_shutdown(ShutdownCause::kGuestShutdown);
    EXPECT_FALSE(control.process_requests());
    EXPECT_EQ(control.state(), RunState::kShutdown);
    // ... but a host quit still ends it.
    control.request_shutdown(ShutdownCause::kHostQmpQuit);
    EXPECT_TRUE(control.process_requests());
}

TEST_F(RunStateTest, PowerdownPressesTheButton) {
    control.request_powerdown();
    EXPECT_FALSE(control.process_requests());
    EXPECT_EQ(power_buttons, 1);
    EXPECT_EQ(events.back(), "POWERDOWN");
}

TEST_F(RunStateTest, RequestsWakeTheLoop) {
    int wakeups = 0;
    control.set_wakeup_hook([&] { ++wakeups; });
    control.request_powerdown();
    control.request_reset(ShutdownCause::kGuestReset);
    EXPECT_EQ(wakeups, 2);
}
