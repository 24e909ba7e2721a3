#!/usr/bin/env bash
# Install what is missing, build, and start the broker on its defaults
# (127.0.0.1:1883, data in ./data). Extra arguments go to actormq.
source "$(dirname "$0")/lib.sh"
ensure_deps
build "$ROOT/build" -DCMAKE_BUILD_TYPE=Release -DACTORMQ_UNITY=ON
cd "$ROOT"
exec "$ROOT/build/core/actormq" "$@"
