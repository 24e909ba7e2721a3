#!/usr/bin/env bash
# Runtime benchmark: actormq's scheduler beside BEAM (Debian's erlang-base) on
# the same spawn and ring workloads, in one run, with the ratios.
# Usage: scripts/bench_sched.sh [processes=1000000] [ring_size=10000] [hops=1000000]
source "$(dirname "$0")/lib.sh"
procs="${1:-1000000}"; ring="${2:-10000}"; hops="${3:-1000000}"
ensure_deps
build "$ROOT/build" -DCMAKE_BUILD_TYPE=Release
ours_cmd="build/tests/bench/sched_bench $procs 20000000 $ring $hops"
beam_cmd="escript tests/bench/beam/sched_bench.escript $procs $ring $hops"
cd "$ROOT"
echo "+ $ours_cmd" >&2
ours=$($ours_cmd | tee /dev/stderr | grep '^RESULT')
echo "+ $beam_cmd" >&2
beam=$($beam_cmd | tee /dev/stderr | grep '^RESULT')

field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<" ${1#RESULT}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
echo "| measure | actormq | BEAM (OTP $(erl -noshell -eval 'io:format("~s",[erlang:system_info(otp_release)]),halt().')) | actormq / BEAM |"
echo "|---|---|---|---|"
for k in spawn_per_s bytes_per_idle_process ring_hops_per_s; do
  a=$(field "$ours" "$k"); b=$(field "$beam" "$k")
  echo "| $k | $a | $b | $(ratio "$a" "$b") |"
done
for k in local_msgs_per_s cross_msgs_per_s; do
  echo "| $k | $(field "$ours" "$k") | | |"
done
echo
echo "$ours"
