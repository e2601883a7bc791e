// Coverage from forked children. libFuzzer reads its edge counters in its
// own memory after each input; a child forked to run the input would count
// into its private copy. share_coverage_with_children() turns the pages
// that hold the counters (laid out by shared_coverage.ld) into shared
// memory, so what a child covers counts as the parent's coverage.
#pragma once

namespace mimic::fuzz {

// Call once, before the first fork. Exits the fuzzer if the counters are
// not where the linker script puts them.
void share_coverage_with_children();

}  // namespace mimic::fuzz
