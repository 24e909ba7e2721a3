#!/usr/bin/env bash
# Install what is missing, build from scratch if needed, run every test through
# CTest. --sanitize builds and runs the same tests under ASan+UBSan; --tsan
# builds under ThreadSanitizer and runs the unit tests (the runtime's threads
# meet there; the integration tests drive the same code from outside).
source "$(dirname "$0")/lib.sh"
dir="$ROOT/build"
args=(-DCMAKE_BUILD_TYPE=Release)
select=()
for a in "$@"; do
  case "$a" in
    --sanitize) dir="$ROOT/build-asan"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DACTORMQ_SANITIZE=ON) ;;
    --tsan) dir="$ROOT/build-tsan"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DACTORMQ_TSAN=ON)
            select=(-E '^integration_|bench_smoke') ;;
    *) echo "usage: $0 [--sanitize | --tsan]" >&2; exit 2 ;;
  esac
done
ensure_deps
build "$dir" "${args[@]}"
cd "$dir"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp"
ctest --output-on-failure -j "$(nproc)" --timeout 300 "${select[@]}"
