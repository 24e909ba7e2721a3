#!/usr/bin/env bash
# Checks scripts/bench_beam_dist.sh briefly: the last line of stdout is the RESULT
# line with four positive integers (p50 <= p90 <= p99), and no process it started
# (epmd, the two beam.smp, their erl_child_setup) is left, after a normal run and
# after a Ctrl-C to its process group. Exits 77 (CTest: not run) when the script
# says the BEAM cannot be installed. Usage: beam_dist_smoke_test.sh PATH/TO/bench_beam_dist.sh
set -uo pipefail
set -m  # the interrupted run gets its own process group, as in a terminal

SCRIPT="$1"
dir="$(mktemp -d)"
bg=""
cleanup() {
  [ -n "$bg" ] && kill -TERM -- "-$bg" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# check_stopped ERRFILE: every pid on the script's "stopped pids" line is gone,
# and no process carries its node names.
check_stopped() {
  local line tag p
  line="$(grep '^bench_beam_dist: stopped pids' "$1")" || { fail "no 'stopped pids' line"; return; }
  tag="$(sed -n 's/.*nodes \(bdist[0-9]*\)a,.*/\1/p' "$1")"
  sleep 0.3  # a stopped node's erl_child_setup may take a moment to be reaped
  for p in ${line#bench_beam_dist: stopped pids}; do
    if [ -n "$(ps -o stat= -p "$p" 2>/dev/null | grep -v Z)" ]; then
      fail "pid $p still running: $(ps -o cmd= -p "$p")"
    fi
  done
  [ -n "$tag" ] || { fail "no node names on the 'started pids' line"; return; }
  if pgrep -f "${tag}[ab]@" >/dev/null; then fail "processes of $tag left: $(pgrep -af "${tag}[ab]@")"; fi
}

timeout 60 bash "$SCRIPT" --seconds 1 --roundtrips 500 >"$dir/out" 2>"$dir/err"
rc=$?
cat "$dir/out"
if [ "$rc" -eq 77 ]; then
  cat "$dir/err"
  echo "BEAM not available: not run"
  exit 77
fi
[ "$rc" -eq 0 ] || { fail "exited $rc"; cat "$dir/err"; }
last="$(tail -n 1 "$dir/out")"
re='^RESULT beam_remote_msgs_per_s=([1-9][0-9]*) beam_rtt_p50_us=([1-9][0-9]*) beam_rtt_p90_us=([1-9][0-9]*) beam_rtt_p99_us=([1-9][0-9]*)$'
if [[ "$last" =~ $re ]]; then
  p50="${BASH_REMATCH[2]}" p90="${BASH_REMATCH[3]}" p99="${BASH_REMATCH[4]}"
  [ "$p50" -le "$p90" ] && [ "$p90" -le "$p99" ] || fail "percentiles out of order: $last"
else
  fail "last line is not a RESULT line with four positive integers: '$last'"
fi
check_stopped "$dir/err"

# Interrupted mid-run: Ctrl-C (SIGINT to the process group) stops everything.
bash "$SCRIPT" --seconds 30 >"$dir/out2" 2>"$dir/err2" &
bg=$!
for _ in $(seq 300); do
  grep -q '^bench_beam_dist: started pids' "$dir/err2" && break
  sleep 0.1
done
sleep 0.5
kill -INT -- "-$bg"
if ! timeout 20 tail --pid="$bg" -f /dev/null; then
  fail "interrupted run still running after 20 s"
  kill -KILL -- "-$bg" 2>/dev/null
fi
wait "$bg"
rc=$?
bg=""
[ "$rc" -eq 130 ] || { fail "interrupted run exited $rc, expected 130"; cat "$dir/err2"; }
grep -q '^RESULT' "$dir/out2" && fail "interrupted run printed a RESULT line"
check_stopped "$dir/err2"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "bench_beam_dist: RESULT line and cleanup (normal run, Ctrl-C) passed"
