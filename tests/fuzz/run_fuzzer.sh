#!/bin/bash
# Runs one libFuzzer target for a bounded time and fails if it crashed.
#
# First every seed runs on its own, so a seed that crashes (the checked-in
# known crashers) is reported by name. Then libFuzzer fuzzes the seeds that
# pass for SECONDS in fork mode, going on past crashes, hangs and
# out-of-memory inputs so one finding does not end the run. Every input that
# crashed is kept in ARTIFACT_DIR (reproduce with: FUZZER ARTIFACT).
#
# usage: run_fuzzer.sh FUZZER SECONDS ARTIFACT_DIR [SEED_DIR...]
# environment: FUZZ_ARGS, more libFuzzer options (-max_len=4096 ...);
#   FUZZ_SEED_GENERATOR, a command that writes more seeds into the directory
#   given as its last argument.
set -uo pipefail
fuzzer=$1 seconds=$2 artifacts=$3
shift 3
[ -x "$fuzzer" ] || { echo "run_fuzzer: $fuzzer not built (needs clang)"; exit 77; }
fuzzer=$(realpath "$fuzzer")
mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)
work=$(mktemp -d /tmp/mimic-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/seeds" "$work/corpus"
for dir in "$@"; do cp "$dir"/* "$work/seeds/" 2>/dev/null || true; done
if [ -n "${FUZZ_SEED_GENERATOR:-}" ]; then
  $FUZZ_SEED_GENERATOR "$work/seeds" || { echo "run_fuzzer: seed generator failed"; exit 1; }
fi
# Everything runs from the work directory: the targets' own files land there.
cd "$work"
read -r -a extra <<< "${FUZZ_ARGS:-}"

# The line of a target's log that says what went wrong: the harness's own
# report or the sanitizer's summary before libFuzzer's generic one.
first_finding() {
  grep -m1 -E 'crashed|stopped answering|killed by|runtime error|SUMMARY: (Address|Leak)Sanitizer' "$1" ||
    grep -m1 -E 'ERROR|SUMMARY' "$1"
}

crashes=()
for seed in seeds/*; do
  [ -f "$seed" ] || continue
  name=$(basename "$seed")
  # Whole: -max_len would cut a large seed short.
  if "$fuzzer" "${extra[@]}" -max_len=$((1 << 22)) "$seed" > "seed-$name.log" 2>&1; then
    cp "$seed" corpus/
  else
    cp "$seed" "$artifacts/seed-$name"
    crashes+=("seed $name: $(first_finding "seed-$name.log")")
    echo "=== seed $name crashes; its log:"
    tail -n 40 "seed-$name.log"
  fi
done

before=$(ls "$artifacts" | grep -cE '^(crash|timeout|oom|leak)-' || true)
"$fuzzer" "${extra[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -artifact_prefix="$artifacts/" corpus > fuzz.log 2>&1
status=$?
stats=$(grep -E '^#[0-9]+' fuzz.log | tail -n 1)
after=$(ls "$artifacts" | grep -cE '^(crash|timeout|oom|leak)-' || true)
echo "run_fuzzer: $(basename "$fuzzer"), ${seconds}s: $stats"
# Fork mode prints the error lines of every job that crashed.
grep -E -A20 'ERROR:|runtime error|crashed|stopped answering|killed by' fuzz.log | head -n 60
jobs_crashed=$(sed -n 's|.*oom/timeout/crash: [0-9]*/[0-9]*/\([0-9]*\).*|\1|p' <<< "$stats")
if [ "$after" -gt "$before" ]; then
  crashes+=("$((after - before)) new finding(s) in $artifacts")
elif [ "${jobs_crashed:-0}" -gt 0 ]; then
  # A job can fail without an input to blame (a leak found at its exit).
  crashes+=("$jobs_crashed fuzzing job(s) failed without leaving an input; their errors are above")
fi
if [ "$status" -ne 0 ] && [ ${#crashes[@]} -eq 0 ]; then
  tail -n 30 fuzz.log
  crashes+=("libFuzzer exited with status $status")
fi
if [ ${#crashes[@]} -gt 0 ]; then
  printf 'run_fuzzer: %s\n' "${crashes[@]}"
  exit 1
fi
echo "run_fuzzer: no crash"
