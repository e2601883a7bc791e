#!/bin/sh
# Regenerates include/mimic/x86/decode/mnemonics.inc from the form tables:
# every mnemonic a line of forms_*.inc names, sorted, after the two verdicts.
# Run after adding a form with a new mnemonic; the build fails until you do.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../../../include/mimic/x86/decode/mnemonics.inc"
{
    echo "// Every mnemonic the decode table uses, one per line. The enum and the name"
    echo "// table are generated from this list; the spelling is CamelCase of the"
    echo "// assembler name (an inner capital after a digit becomes '_': Feni8087Nop)."
    echo "// Invalid and Unsupported are the verdicts of undecodable bytes."
    echo "// Regenerate with src/target/x86/decode/update_mnemonics.sh."
    echo "X(Invalid)"
    echo "X(Unsupported)"
    cat "$here"/forms_*.inc | grep -o '^F([A-Za-z0-9]*' | cut -c3- | grep -v '^Unsupported$' | LC_ALL=C sort -u | sed 's/.*/X(&)/'
} > "$out.tmp"
mv "$out.tmp" "$out"
