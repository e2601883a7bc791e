// Parsing and running HMP command lines against the HmpTable.
#pragma once

#include "mimic/monitor/hmp_table.h"

#include <cstdint>
#include <string_view>

namespace mimic::monitor {

// Parses `line` per its command's declaration and runs the handler; errors
// (unknown command, bad arguments, QmpError from the handler) are printed
// into context.output in QEMU's wording, never thrown.
void run_hmp_line(std::string_view line, HmpContext& context);

// Evaluates an HMP integer expression; throws mimic::Error with QEMU's
// message ("unknown register", "unexpected end of expression", ...).
// `end` receives how much of `text` was consumed.
uint64_t evaluate_hmp_expression(std::string_view text, HmpContext& context, size_t* end = nullptr);

}  // namespace mimic::monitor
