// The qtest accelerator (-accel qtest -qtest CHARDEV): no CPU runs; a test
// drives the machine's memory, I/O ports, clock and interrupt lines over the
// qtest line protocol on a chardev.
#pragma once

#include <memory>

#include "mimic/accel/accel_registry.h"
#include "mimic/cli/opts.h"

namespace mimic::accel {

// -qtest CHARDEV and -qtest-log come from the VmConfig at attach().
std::unique_ptr<Accelerator> create_qtest_accel(const AccelOptions& options);

}  // namespace mimic::accel
