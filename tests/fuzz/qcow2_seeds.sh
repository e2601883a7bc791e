#!/bin/sh
# Seeds for qcow2_fuzz: small images made by mimic-img (and qemu-img when
# present), written into DIR.
# usage: qcow2_seeds.sh MIMIC_IMG DIR
set -e
img=$1 dir=$2
n=0
for opts in cluster_size=512 cluster_size=512,refcount_bits=1 cluster_size=512,compat=0.10 \
            cluster_size=512,refcount_bits=64 cluster_size=16384,extended_l2=on; do
  n=$((n + 1))
  f="$dir/seed$n"
  "$img" create -q -f qcow2 -o "$opts" "$f" 64K
  "$img" snapshot -c s "$f" 2>/dev/null || true
done
if command -v qemu-io >/dev/null; then
  qemu-img create -q -f qcow2 -o cluster_size=512 "$dir/q1" 64K
  qemu-io -c "write -P 1 0 4k" -c "write -c -P 2 8k 512" -c "write -z 16k 1k" "$dir/q1" >/dev/null
fi
