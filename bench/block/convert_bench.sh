#!/bin/sh
# mimic-img convert against qemu-img convert in the same run, on a 1 GiB
# image of mixed data and zeros: qcow2->raw, raw->qcow2, raw->qcow2 -c.
# Prints wall times (best of two) and the ratio mimic/qemu (below 1 = faster).
#
# usage: convert_bench.sh MIMIC_IMG [SIZE_MIB] [WORKDIR]
set -e
mimic=$1
size_mib=${2:-1024}
work=${3:-/var/tmp}
command -v qemu-img >/dev/null || { echo "qemu-img not installed"; exit 77; }
dir=$(mktemp -d "$work/mimic-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Per 4 MiB: 1 MiB random (incompressible), 1 MiB of repetitive text, 2 MiB
# of zeros left as a hole.
python3 - "$dir/src.raw" "$size_mib" <<'PY'
import os, sys
path, mib = sys.argv[1], int(sys.argv[2])
text = (b"The quick brown fox jumps over the lazy dog. %d\n" * 1)
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
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}

printf "%-22s %10s %10s %8s\n" "case ($size_mib MiB)" "qemu-img" "mimic-img" "ratio"
run_case() {
  name=$1; shift
  q=$(best qemu-img convert "$@" "$dir/out")
  m=$(best "$mimic" convert "$@" "$dir/out")
  printf "%-22s %9.2fs %9.2fs %8.2f\n" "$name" "$q" "$m" "$(echo "$m / $q" | bc -l)"
}
run_case "qcow2 -> raw" -f qcow2 -O raw "$dir/src.qcow2"
run_case "raw -> qcow2" -f raw -O qcow2 "$dir/src.raw"
run_case "raw -> qcow2 -c" -f raw -O qcow2 -c "$dir/src.raw"
