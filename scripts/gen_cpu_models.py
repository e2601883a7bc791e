#!/usr/bin/env python3
"""Regenerates src/target/x86/cpu_model_table.inc from qemu-system-x86_64 7.2:
the model list and descriptions of `-cpu help`, alias-of from
query-cpu-definitions, and each model's properties from
query-cpu-model-expansion (type full, before TCG's filtering).

Usage: scripts/gen_cpu_models.py [QEMU] > src/target/x86/cpu_model_table.inc
"""
import json
import re
import subprocess
import sys

QEMU = sys.argv[1] if len(sys.argv) > 1 else "qemu-system-x86_64"

# QEMU's feature words in its FeatureWord order (warnings follow it): the
# register as its warnings name it, the CpuFeatures member Mimic keeps it in
# (None: Mimic has no such register; its features are never implemented),
# and the names of bits 0..31 (those `-cpu help` of 7.2 lists are kept).
_ = None
WORDS = [
    ("CPUID.01H:EDX", "f1_edx", [
        "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", _, "sep", "mtrr", "pge", "mca", "cmov",
        "pat", "pse36", "pn", "clflush", _, "ds", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64",
        "pbe"]),
    ("CPUID.01H:ECX", "f1_ecx", [
        "pni", "pclmulqdq", "dtes64", "monitor", "ds-cpl", "vmx", "smx", "est", "tm2", "ssse3", "cid", _, "fma",
        "cx16", "xtpr", "pdcm", _, "pcid", "dca", "sse4.1", "sse4.2", "x2apic", "movbe", "popcnt", "tsc-deadline",
        "aes", "xsave", _, "avx", "f16c", "rdrand", "hypervisor"]),
    ("CPUID.07H:EBX", "f7_ebx", [
        "fsgsbase", "tsc-adjust", "sgx", "bmi1", "hle", "avx2", "fdp-excptn-only", "smep", "bmi2", "erms", "invpcid",
        "rtm", _, "zero-fcs-fds",
        "mpx", _, "avx512f", "avx512dq", "rdseed", "adx", "smap", "avx512ifma", "pcommit", "clflushopt", "clwb",
        "intel-pt", "avx512pf", "avx512er", "avx512cd", "sha-ni", "avx512bw", "avx512vl"]),
    ("CPUID.07H:ECX", "f7_ecx", [
        _, "avx512vbmi", "umip", "pku", _, "waitpkg", "avx512vbmi2", _, "gfni", "vaes", "vpclmulqdq", "avx512vnni",
        "avx512bitalg", _, "avx512-vpopcntdq", _, "la57", _, _, _, _, _, "rdpid", _, "bus-lock-detect", "cldemote", _,
        "movdiri", "movdir64b", _, "sgxlc", "pks"]),
    ("CPUID.07H:EDX", "f7_edx", [
        _, _, "avx512-4vnniw", "avx512-4fmaps", "fsrm", _, _, _, "avx512-vp2intersect", _, "md-clear", _, _, _,
        "serialize", _, "tsx-ldtrk", _, _, "arch-lbr", _, _, "amx-bf16", "avx512-fp16", "amx-tile", "amx-int8",
        "spec-ctrl", "stibp", "flush-l1d", "arch-capabilities", "core-capability", "ssbd"]),
    ("CPUID.07H:EAX", None, [
        _, _, _, _, "avx-vnni", "avx512-bf16", _, _, _, _, "fzrm", "fsrs", "fsrc", _, _, _, _, _, _, _, _, _, _, _,
        _, _, _, _, _, _, _, _]),
    ("CPUID.80000001H:EDX", "e1_edx", [
        _, _, _, _, _, _, _, _, _, _, _, "syscall", _, _, _, _, _, _, _, _, "nx", _, "mmxext", _, _, "fxsr-opt",
        "pdpe1gb", "rdtscp", _, "lm", "3dnowext", "3dnow"]),
    ("CPUID.80000001H:ECX", "e1_ecx", [
        "lahf-lm", "cmp-legacy", "svm", "extapic", "cr8legacy", "abm", "sse4a", "misalignsse", "3dnowprefetch",
        "osvw", "ibs", "xop", "skinit", "wdt", _, "lwp", "fma4", "tce", _, "nodeid-msr", _, "tbm", "topoext",
        "perfctr-core", "perfctr-nb", _, _, _, _, _, _, _]),
    ("CPUID.80000007H:EDX", "e7_edx", [_] * 8 + ["invtsc"] + [_] * 23),
    ("CPUID.80000008H:EBX", None, [
        "clzero", _, "xsaveerptr", _, _, _, _, _, _, "wbnoinvd", _, _, "ibpb", _, "ibrs", "amd-stibp", _, "stibp-always-on", _,
        _, _, _, _, _, "amd-ssbd", "virt-ssbd", "amd-no-ssb", _, "amd-psfd", _, _, _]),
    ("CPUID.C0000001H:EDX", None, [
        _, _, "xstore", "xstore-en", _, _, "xcrypt", "xcrypt-en", "ace2", "ace2-en", "phe", "phe-en", "pmm",
        "pmm-en"] + [_] * 18),
    ("CPUID.8000000AH:EDX", None, [
        "npt", "lbrv", "svm-lock", "nrip-save", "tsc-scale", "vmcb-clean", "flushbyasid", "decodeassists", _, _,
        "pause-filter", _, "pfthreshold", "avic", _, "v-vmsave-vmload", "vgif", _, _, _, _, _, _, _, _, _, _, _,
        "svme-addr-chk", _, _, _]),
    ("CPUID.0DH:EAX", "xsave_d1_eax", ["xsaveopt", "xsavec", "xgetbv1", "xsaves", "xfd"] + [_] * 27),
    ("CPUID.06H:EAX", "p6_eax", [_, _, "arat"] + [_] * 29),
    ("MSR(10AH)", None, [
        "rdctl-no", "ibrs-all", "rsba", "skip-l1dfl-vmentry", "ssb-no", "mds-no", "pschange-mc-no", "tsx-ctrl",
        "taa-no", _, _, _, _, "sbdr-ssdp-no", "fbsdp-no", "psdp-no", _, "fb-clear", _, _, _, _, _, _, "pbrsb-no",
        _, _, _, _, _, _, _]),
    ("MSR(CFH)", None, [_] * 5 + ["split-lock-detect"] + [_] * 26),
    ("MSR(345H)", None, [_] * 13 + ["full-width-write"] + [_] * 18),
]
# QEMU's other names for some features.
ALIASES = {
    "sse3": "pni", "pclmuldq": "pclmulqdq", "sse4-1": "sse4.1", "sse4_1": "sse4.1", "sse4-2": "sse4.2",
    "sse4_2": "sse4.2", "xd": "nx", "ffxsr": "fxsr-opt", "fxsr_opt": "fxsr-opt", "i64": "lm", "ds_cpl": "ds-cpl",
    "tsc_adjust": "tsc-adjust", "lahf_lm": "lahf-lm", "cmp_legacy": "cmp-legacy", "nodeid_msr": "nodeid-msr",
    "perfctr_core": "perfctr-core", "perfctr_nb": "perfctr-nb", "svm_lock": "svm-lock", "nrip_save": "nrip-save",
    "tsc_scale": "tsc-scale", "vmcb_clean": "vmcb-clean", "pause_filter": "pause-filter",
}


def qmp(commands):
    lines = [json.dumps({"execute": "qmp_capabilities"})] + [json.dumps(c) for c in commands]
    lines.append(json.dumps({"execute": "quit"}))
    out = subprocess.run([QEMU, "-accel", "tcg", "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120).stdout
    replies = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    replies = [r for r in replies if "return" in r or "error" in r][1:]
    return [r.get("return") for r in replies]


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    help_text = subprocess.run([QEMU, "-cpu", "help"], capture_output=True, text=True).stdout
    listing, flags_text = help_text.split("\n\n")[:2]
    flags = set(flags_text.split()[3:])   # after "Recognized CPUID flags:"
    models = []
    for line in listing.splitlines()[1:]:
        name = line.split()[1]
        models.append((name, line[4 + max(20, len(name)) + 2:]))
    names = [n for n, _ in models if n != "host"]
    replies = qmp([{"execute": "query-cpu-definitions"}] +
                  [{"execute": "query-cpu-model-expansion", "arguments": {"type": "full", "model": {"name": n}}}
                   for n in names])
    defs = {d["name"]: d for d in replies[0]}
    expansions = dict(zip(names, replies[1:]))

    print("// Generated by scripts/gen_cpu_models.py from qemu-system-x86_64 7.2; do not edit.")
    print("// QEMU's feature words in its order: the register warnings name, where Mimic keeps it.")
    print("constexpr FeatureWord kFeatureWords[] = {")
    for where, member, _bits in WORDS:
        print("    {%s, %s}," % (c_string(where), "&CpuFeatures::" + member if member else "nullptr"))
    print("};")
    print("// Every feature name of QEMU 7.2 in those words (canonical names first), then the aliases.")
    print("constexpr FeatureBit kFeatureBits[] = {")
    where_of = {}
    for w, (_where, _member, bits) in enumerate(WORDS):
        assert len(bits) == 32, _where
        for bit, name in enumerate(bits):
            if name and name in flags:
                print("    {%s, %d, %d}," % (c_string(name), w, bit))
                where_of[name] = (w, bit)
    for alias, name in ALIASES.items():
        if name in where_of:
            print("    {%s, %d, %d}," % ((c_string(alias),) + where_of[name]))
    print("};")
    print("// Every model of `-cpu help` but host, in its order, as query-cpu-model-expansion")
    print("// gives it before TCG's filtering: name, description, alias-of, vendor, family,")
    print("// model, stepping, level, xlevel, model-id, features.")
    print("constexpr ModelData kModelData[] = {")
    for name, desc in models:
        if name == "host":
            continue
        p = expansions[name]["model"]["props"]
        feats = [k for k, v in p.items() if v is True and k in where_of]
        feats.sort(key=lambda k: where_of[k])
        alias = defs[name].get("alias-of", "")
        print("    {%s, %s, %s, %s, %d, %d, %d, 0x%x, 0x%x, %s,\n     %s}," % (
            c_string(name), c_string(desc), c_string(alias), c_string(p["vendor"]), p["family"], p["model"],
            p["stepping"], p["level"], p["xlevel"], c_string(p["model-id"]), c_string(" ".join(feats))))
    print("};")

main()
