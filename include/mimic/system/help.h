// The listings behind "-machine help", "-device help", "-device NAME,help" ...
#pragma once

#include <cstdio>

#include "mimic/cli/command_line.h"

namespace mimic::system {

// Prints the listing; throws mimic::Error for an unknown device name.
void print_help(const cli::HelpRequest& request, std::FILE* out);

}  // namespace mimic::system
