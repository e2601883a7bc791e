#!/bin/sh
# Seeds for monitor_fuzz too big to keep in the repository, written into DIR:
# an HMP expression nested 100000 parentheses deep, through QMP's
# human-monitor-command (HMP's own readline keeps lines short) and typed.
# usage: monitor_seeds.sh DIR
set -e
python3 - "$1" <<'PY'
import sys
expression = "p " + "(" * 100000 + "1" + ")" * 100000
with open(sys.argv[1] + "/qmp-hmp-deep-parentheses", "w") as f:
    f.write('q{"execute": "human-monitor-command", "arguments": {"command-line": "%s"}}\n' % expression)
with open(sys.argv[1] + "/hmp-deep-parentheses", "w") as f:
    f.write("h" + expression + "\n")
PY
