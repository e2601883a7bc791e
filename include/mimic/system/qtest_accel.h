// The qtest accelerator (-accel qtest -qtest CHARDEV): no CPU runs; a test
// drives the machine's memory, I/O ports, clock and interrupt lines over the
// qtest line protocol on a chardev.
#pragma once

#include <memory>
#include <string>

#include "mimic/chardev/chardev.h"
#include "mimic/hw/machine.h"
#include "mimic/qom/object.h"

namespace mimic::system {

class QtestAccel {
public:
    // `root` is the object tree root, for resolving interrupt paths;
    // `log_path` (-qtest-log) records the exchange, "" for none.
    QtestAccel(hw::Machine& machine, qom::Object& root, chardev::Chardev& chardev,
               const std::string& log_path);
    ~QtestAccel();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mimic::system
