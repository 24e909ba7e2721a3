#!/usr/bin/env bash
# Soak test: install what is missing, build, then run a fresh broker (tcp, tls,
# ws and wss listeners, password file and ACL, data_dir with durability batch)
# under a mixed load for N minutes (default 30) and check that it never
# crashed, lost no acknowledged message and kept its memory flat. Pass
# criteria and load: tests/soak/soak.py. Exit 0 only if every check passed;
# the last line is "SOAK result=pass|fail ...". Not part of CI.
#   scripts/soak.sh [--minutes N] [--build-dir DIR]
source "$(dirname "$0")/lib.sh"
minutes=30
dir="$ROOT/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --build-dir) dir="$2"; shift 2 ;;
    *) echo "usage: $0 [--minutes N] [--build-dir DIR]" >&2; exit 2 ;;
  esac
done
ensure_deps
build "$dir" -DCMAKE_BUILD_TYPE=Release
exec /usr/bin/python3 "$ROOT/tests/soak/soak.py" --minutes "$minutes" \
  --actormq "$dir/core/actormq" --mqttbench "$dir/tests/bench/mqttbench"
