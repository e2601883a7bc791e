#!/bin/sh
# Runs the qcow2 libFuzzer target for a bounded time on a seed corpus of
# small images made by mimic-img (and qemu-img when present).
# Inputs that crash or hang are kept in ARTIFACT_DIR (default: the
# current directory) for reproduction: FUZZER ARTIFACT.
# usage: run_fuzz.sh FUZZER MIMIC_IMG SECONDS [ARTIFACT_DIR]
set -e
fuzzer=$1 img=$2 seconds=${3:-30} artifacts=${4:-$(pwd)}
[ -x "$fuzzer" ] || { echo "fuzzer not built (needs clang++)"; exit 77; }
dir=$(mktemp -d /tmp/mimic-fuzz.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/corpus"
n=0
for opts in cluster_size=512 cluster_size=512,refcount_bits=1 cluster_size=512,compat=0.10 \
            cluster_size=512,refcount_bits=64 cluster_size=16384,extended_l2=on; do
  n=$((n + 1))
  f="$dir/corpus/seed$n"
  "$img" create -q -f qcow2 -o "$opts" "$f" 64K
  "$img" snapshot -c s "$f" 2>/dev/null || true
done
if command -v qemu-io >/dev/null; then
  qemu-img create -q -f qcow2 -o cluster_size=512 "$dir/corpus/q1" 64K
  qemu-io -c "write -P 1 0 4k" -c "write -c -P 2 8k 512" -c "write -z 16k 1k" "$dir/corpus/q1" >/dev/null
fi
cd "$dir"
exec "$fuzzer" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
     -artifact_prefix="$artifacts/" -print_final_stats=1 corpus
