#!/usr/bin/env bash
# Build the libFuzzer targets of tests/fuzz with clang into build-fuzz/ and
# run each (or the one named) for N seconds over a copy of its seed corpus,
# one after the other. Per target it reports executions, coverage (libFuzzer's
# cov: and ft: of its last status line) and findings (crash, leak, timeout and
# out-of-memory inputs, kept in build-fuzz/fuzz-runs/<target>/); it exits
# non-zero if any target found something.
#   scripts/fuzz.sh [--seconds N] [--merge] [TARGET]
# --merge adds the inputs of the run that reach new coverage to the seed
# corpus in tests/fuzz/corpus/<target>/ (to be reviewed and committed).
source "$(dirname "$0")/lib.sh"

seconds=60
merge=0
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    -*) echo "usage: $0 [--seconds N] [--merge] [TARGET]" >&2; exit 2 ;;
    *) only="${1#fuzz_}"; shift ;;
  esac
done

# clang and its sanitizer and libFuzzer runtimes: only this script needs them.
DEPS+=(clang libclang-rt-14-dev)
ensure_deps
dir="$ROOT/build-fuzz"
build "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACTORMQ_FUZZ=ON -DACTORMQ_UNITY=ON \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang

targets=()
for src in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
  name="$(basename "$src" .cpp)"
  name="${name#fuzz_}"
  if [ -z "$only" ] || [ "$only" = "$name" ]; then
    targets+=("$name")
  fi
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz target '$only' (tests/fuzz/fuzz_*.cpp)" >&2
  exit 2
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
printf '%-16s %12s %7s %8s  %s\n' target executions cov ft findings
for name in "${targets[@]}"; do
  run="$dir/fuzz-runs/$name"
  seeds="$ROOT/tests/fuzz/corpus/$name"
  rm -rf "$run"
  mkdir -p "$run/corpus" "$run/findings"
  if [ -d "$seeds" ]; then
    cp "$seeds"/* "$run/corpus/"
  fi
  # -timeout: one input taking 10 s is a finding (a hang), not a slow run.
  "$dir/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$run/findings/" "$run/corpus" >"$run/log" 2>&1 || true
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)"
  last="$(grep -E '^#[0-9]+.*cov: ' "$run/log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  findings=("$run"/findings/*)
  if [ -e "${findings[0]}" ]; then
    status=1
    found="${#findings[@]}: ${findings[*]} (log: $run/log)"
  elif ! grep -q '^Done [0-9]* runs' "$run/log"; then
    status=1  # it stopped without saying why: the log has it
    found="did not finish (log: $run/log)"
  else
    found="none"
  fi
  printf '%-16s %12s %7s %8s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$found"
  if [ "$merge" -eq 1 ] && [ "$found" = "none" ]; then
    mkdir -p "$seeds"
    "$dir/tests/fuzz/fuzz_$name" -merge=1 "$seeds" "$run/corpus" >"$run/merge.log" 2>&1 || status=1
    added="$(sed -n 's/^MERGE-OUTER: \([0-9]*\) new files.*/\1/p' "$run/merge.log" | tail -1)"
    echo "  merged ${added:-?} new inputs into ${seeds#"$ROOT"/}"
  fi
done
exit $status
