#!/usr/bin/env bash
# actormq's node link beside Erlang distribution, in one run: the same two
# workloads (remote messages per second with a window of acknowledged
# batches, and the ping-pong round trip) between two actormq processes
# (tests/bench/dist_bench.cpp, one scheduler each) and between two BEAM nodes
# (scripts/bench_beam_dist.sh, one scheduler each), alternating, medians over
# --reps. Last line of stdout:
#   RESULT remote_msgs_per_s=N beam_remote_msgs_per_s=N remote_rtt_p50_us=N beam_rtt_p50_us=N
#
#   scripts/bench_dist.sh [--seconds S] [--roundtrips M] [--reps R] [--build-dir DIR]
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

seconds=3 roundtrips=20000 reps=3 build_dir="$ROOT/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --roundtrips) roundtrips="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--seconds S] [--roundtrips M] [--reps R] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
for v in "$seconds" "$roundtrips" "$reps"; do
  [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ] || { echo "bench_dist: options want positive integers" >&2; exit 2; }
done

ensure_deps
bench_build "$build_dir" dist_bench
BENCH="$build_dir/tests/bench/dist_bench"

receiver=""
cleanup() { [ -n "$receiver" ] && kill "$receiver" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT INT TERM

# One run of ours: prints its RESULT line.
ours() {
  local out; out="$(mktemp)"
  "$BENCH" receive --max-seconds $((seconds * 4 + 90)) >"$out" 2>/dev/null &
  receiver=$!
  local ready=""
  for _ in $(seq 1 200); do
    ready="$(grep -m1 '^READY' "$out" || true)"
    [ -n "$ready" ] && break
    sleep 0.05
  done
  [ -n "$ready" ] || { echo "bench_dist: the receiving node did not start" >&2; rm -f "$out"; return 1; }
  read -r _ port pid <<<"$ready"
  "$BENCH" send --port "$port" --to "$pid" --seconds "$seconds" --roundtrips "$roundtrips" 2>/dev/null | grep '^RESULT'
  wait "$receiver" 2>/dev/null || true
  receiver=""
  rm -f "$out"
}

# field NAME LINE: the value of NAME=... in a RESULT line.
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }

ours_rate=() ours_p50=() beam_rate=() beam_p50=()
for rep in $(seq 1 "$reps"); do
  line="$(ours)" || exit 1
  echo "[rep $rep/$reps] actormq: $line" >&2
  ours_rate+=("$(field remote_msgs_per_s "$line")")
  ours_p50+=("$(field remote_rtt_p50_us "$line")")
  line="$(bash "$ROOT/scripts/bench_beam_dist.sh" --seconds "$seconds" --roundtrips "$roundtrips" | grep '^RESULT')" || exit 1
  echo "[rep $rep/$reps] BEAM:    $line" >&2
  beam_rate+=("$(field beam_remote_msgs_per_s "$line")")
  beam_p50+=("$(field beam_rtt_p50_us "$line")")
done
r="$(printf '%s\n' "${ours_rate[@]}" | median)"
br="$(printf '%s\n' "${beam_rate[@]}" | median)"
p="$(printf '%s\n' "${ours_p50[@]}" | median)"
bp="$(printf '%s\n' "${beam_p50[@]}" | median)"
awk -v r="$r" -v br="$br" -v p="$p" -v bp="$bp" 'BEGIN {
  printf "remote messages per second: actormq %d, BEAM %d (ratio %.2f); round trip p50: actormq %d us, BEAM %d us\n",
         r, br, (br > 0 ? r / br : 0), p, bp }' >&2
echo "RESULT remote_msgs_per_s=$r beam_remote_msgs_per_s=$br remote_rtt_p50_us=$p beam_rtt_p50_us=$bp"
