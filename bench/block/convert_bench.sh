#!/bin/sh
# mimic-img against qemu-img in the same run, on a 1 GiB image of mixed
# data and zeros: convert qcow2->raw, raw->qcow2, raw->qcow2 -c, and
# "bench" (4 KiB requests, 64 in flight) reading and writing a qcow2 image
# through the page cache and with cache=none.
# Prints wall times (best of two) and the ratio mimic/qemu (below 1 = faster).
# With MIMIC_BEFORE=/path/to/older/mimic-img, that binary runs in the same
# run as well (a before/after comparison on equal footing).
#
# usage: convert_bench.sh MIMIC_IMG [SIZE_MIB] [WORKDIR]
set -e
mimic=$1
size_mib=${2:-1024}
work=${3:-/var/tmp}
before=${MIMIC_BEFORE:-}
command -v qemu-img >/dev/null || { echo "qemu-img not installed"; exit 77; }
dir=$(mktemp -d "$work/mimic-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Per 4 MiB: 1 MiB random (incompressible), 1 MiB of repetitive text, 2 MiB
# of zeros left as a hole.
python3 - "$dir/src.raw" "$size_mib" <<'PY'
import os, sys
path, mib = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.truncate(mib << 20)
    for chunk in range(mib // 4):
        f.seek(chunk << 22)
        f.write(os.urandom(1 << 20))
        line = b"".join(b"line %08d of chunk %d: the quick brown fox\n" % (i, chunk) for i in range(24000))
        f.write(line[: 1 << 20].ljust(1 << 20, b"."))
PY
qemu-img convert -f raw -O qcow2 "$dir/src.raw" "$dir/src.qcow2"
sync

best() {   # best wall time of two runs of "$@", in seconds
  b=""
  for _ in 1 2; do
    rm -f "$dir/out"
    [ -n "$prepare" ] && cp "$dir/src.qcow2" "$dir/work.qcow2"
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}

if [ -n "$before" ]; then
  printf "%-28s %10s %10s %8s %10s %8s\n" "case ($size_mib MiB)" "qemu-img" "mimic-img" "ratio" "before" "ratio"
else
  printf "%-28s %10s %10s %8s\n" "case ($size_mib MiB)" "qemu-img" "mimic-img" "ratio"
fi
report() {   # name qemu_time mimic_time [before_time]
  if [ -n "$4" ]; then
    printf "%-28s %9.2fs %9.2fs %8.2f %9.2fs %8.2f\n" "$1" "$2" "$3" "$(echo "$3 / $2" | bc -l)" "$4" "$(echo "$4 / $2" | bc -l)"
  else
    printf "%-28s %9.2fs %9.2fs %8.2f\n" "$1" "$2" "$3" "$(echo "$3 / $2" | bc -l)"
  fi
}
run_case() {   # name, then convert arguments before the output file
  name=$1; shift
  prepare=
  q=$(best qemu-img convert "$@" "$dir/out")
  m=$(best "$mimic" convert "$@" "$dir/out")
  b=""
  [ -n "$before" ] && b=$(best "$before" convert "$@" "$dir/out")
  report "$name" "$q" "$m" "$b"
}
bench_case() {   # name, then bench arguments before the file (a fresh copy of src.qcow2)
  name=$1; shift
  prepare=1
  q=$(best qemu-img bench -f qcow2 "$@" "$dir/work.qcow2")
  m=$(best "$mimic" bench -f qcow2 "$@" "$dir/work.qcow2")
  b=""
  [ -n "$before" ] && b=$(best "$before" bench -f qcow2 "$@" "$dir/work.qcow2")
  report "$name" "$q" "$m" "$b"
}
run_case "qcow2 -> raw" -f qcow2 -O raw "$dir/src.qcow2"
run_case "raw -> qcow2" -f raw -O qcow2 "$dir/src.raw"
run_case "raw -> qcow2 -c" -f raw -O qcow2 -c "$dir/src.raw"
bench_case "bench read" -c 75000 -d 64
bench_case "bench write" -w -c 75000 -d 64
bench_case "bench read cache=none" -t none -c 20000 -d 64
bench_case "bench write cache=none" -w -t none -c 20000 -d 64
bench_case "bench write none native" -w -t none -n -c 20000 -d 64
