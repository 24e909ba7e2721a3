#!/usr/bin/env bash
# Install what is missing, build from scratch if needed, run every test through
# CTest. --sanitize builds and runs the same tests under ASan+UBSan.
source "$(dirname "$0")/lib.sh"
dir="$ROOT/build"
args=(-DCMAKE_BUILD_TYPE=Release)
for a in "$@"; do
  case "$a" in
    --sanitize) dir="$ROOT/build-asan"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DACTORMQ_SANITIZE=ON) ;;
    *) echo "usage: $0 [--sanitize]" >&2; exit 2 ;;
  esac
done
ensure_deps
build "$dir" "${args[@]}"
cd "$dir"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure -j "$(nproc)" --timeout 300
