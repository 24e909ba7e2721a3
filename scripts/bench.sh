#!/usr/bin/env bash
# Side-by-side benchmark: actormq and Debian's mosquitto on loopback, the same
# mqttbench scenarios against each, brokers alternating, medians over --reps runs.
# Writes the table into BENCHMARKS.md between marker comments.
#
#   scripts/bench.sh [--quick] [--reps N] [--only SCENARIO] [--brokers "actormq mosquitto"]
#                    [--build-dir DIR] [--baseline DIR] [--no-write]
#
# --baseline DIR adds a third broker, "baseline": the actormq binary of another
# build (e.g. of the commit before a change, built into DIR), run in the same
# rounds with the same config, so a change is judged against its parent on the
# same noisy machine in the same minutes (column and ratio actormq / baseline).
#
# The TLS figures (handshakes per second, QoS 0 throughput over TLS, ECDSA and
# RSA) come from scripts/bench_tls.sh, run at the end (alone with --only tls).
#
# Every broker run is a fresh process on a free port, so one scenario's backlog or
# heap growth never leaks into the next figure.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

quick=0
reps=""
only=""
brokers="actormq mosquitto"
build_dir="$ROOT/build"
baseline_dir=""
write=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="$2"; shift ;;
    --only) only="$2"; shift ;;
    --brokers) brokers="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --baseline) baseline_dir="$2"; shift ;;
    --no-write) write=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--quick] [--reps N] [--only SCENARIO] [--brokers LIST] [--build-dir DIR] [--baseline DIR] [--no-write]" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$reps" ] || { [ "$quick" -eq 1 ] && reps=1 || reps=3; }
tls_args=(--reps "$reps" --build-dir "$build_dir")
[ "$quick" -eq 1 ] && tls_args+=(--quick)
[ "$write" -eq 1 ] || tls_args+=(--no-write)
if [ "$only" = tls ]; then
  exec bash "$ROOT/scripts/bench_tls.sh" "${tls_args[@]}"
fi

ensure_deps
bench_build "$build_dir" mqttbench
BENCH="$build_dir/tests/bench/mqttbench"
ACTORMQ="$build_dir/core/actormq"
if [[ " $brokers " == *" actormq "* ]]; then
  bench_build "$build_dir" actormq 2>/dev/null || true
  if [ ! -x "$ACTORMQ" ]; then
    echo "actormq is not built ($ACTORMQ missing); running mosquitto only" >&2
    brokers="${brokers//actormq/}"
  fi
fi

BASELINE=""
if [ -n "$baseline_dir" ]; then
  BASELINE="$baseline_dir/core/actormq"
  [ -x "$BASELINE" ] || { echo "--baseline: $BASELINE is not built" >&2; exit 2; }
  brokers="$brokers baseline"
fi

# ---- scenarios: name | mqttbench arguments | figures for the table --------------
# Figures are RESULT keys; the table shows each with its median per broker.
if [ "$quick" -eq 1 ]; then
  SCENARIOS=(
    "conn|conn -n 5000 --sources 8 --hold 2|connects_per_s broker_bytes_per_conn connect_s"
    "fanin_q0|fanin -P 8 -S 1 -Q 0 -s 64 -d 3|msgs_per_s lost_pct"
    "fanin_q1|fanin -P 8 -S 1 -Q 1 -s 64 -d 3 --inflight 100|msgs_per_s lost_pct"
    "fanout_100_max|fanout -P 1 -S 100 -Q 0 -s 64 -d 3|msgs_per_s lost_pct"
    "fanout_1000|fanout -P 1 -S 1000 -Q 0 -s 64 -r 150 -d 3|msgs_per_s lost_pct p99_us"
    "pairs_1000_q1|pairs -n 1000 -r 10 -Q 1 -s 64 -d 5|p50_us p99_us lost"
    "pairs_2000_q0|pairs -n 2000 -r 20 -Q 0 -s 64 -d 5|p50_us p99_us lost"
    "retained_20k|retained -n 20000 -s 64|time_s msgs_per_s"
  )
else
  SCENARIOS=(
    "conn_19k|conn -n 19000 --sources 8 --hold 10|connects_per_s broker_bytes_per_conn connect_s"
    "fanin_q0|fanin -P 8 -S 1 -Q 0 -s 64 -d 10|msgs_per_s lost_pct"
    "fanin_q1|fanin -P 8 -S 1 -Q 1 -s 64 -d 10 --inflight 100|msgs_per_s lost_pct"
    "fanout_100|fanout -P 1 -S 100 -Q 0 -s 64 -r 1500 -d 10|msgs_per_s lost_pct p99_us"
    "fanout_100_max|fanout -P 1 -S 100 -Q 0 -s 64 -d 10|msgs_per_s lost_pct"
    "fanout_1000|fanout -P 1 -S 1000 -Q 0 -s 64 -r 150 -d 10|msgs_per_s lost_pct p99_us"
    "pairs_1000_q1|pairs -n 1000 -r 10 -Q 1 -s 64 -d 20|p50_us p99_us lost"
    "pairs_2000_q0|pairs -n 2000 -r 20 -Q 0 -s 64 -d 20|p50_us p99_us lost"
    "retained_100k|retained -n 100000 -s 64|time_s msgs_per_s"
  )
fi

work="$(mktemp -d)"
broker_pid=""
cleanup() {
  stop_broker
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


results="$work/results.txt"
: >"$results"
started=$(date +%s)
for rep in $(seq "$reps"); do
  # Alternate which broker goes first so neither always runs on a warmer machine.
  order=($brokers)
  if [ $((rep % 2)) -eq 0 ]; then
    mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
  fi
  for entry in "${SCENARIOS[@]}"; do
    IFS='|' read -r name args figures <<<"$entry"
    [ -n "$only" ] && [ "$only" != "$name" ] && [ "${name%%_*}" != "$only" ] && continue
    for broker in "${order[@]}"; do
      port="$(free_port)"
      start_bench_broker "$broker" "$port" || { stop_broker; continue; }
      echo "[rep $rep/$reps] $broker $name: mqttbench $args" >&2
      # shellcheck disable=SC2086
      line="$(timeout 300 "$BENCH" $args -p "$port" --broker-pid "$broker_pid" -q | grep '^RESULT ' | tail -1 || true)"
      stop_broker
      if [ -z "$line" ]; then
        echo "  no RESULT line" >&2
        continue
      fi
      echo "  $line" >&2
      echo "$name|$broker|$rep|$line" >>"$results"
    done
  done
done
elapsed=$(( $(date +%s) - started ))

bench_context
machine="$machine; $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo); open files per process: $(ulimit -n)"
mode=$([ "$quick" -eq 1 ] && echo quick || echo full)

scenario_spec="$(printf '%s\n' "${SCENARIOS[@]}")"
table="$(SCENARIO_SPEC="$scenario_spec" RESULTS="$results" MACHINE="$machine" MOSQ="$mosq_version" \
  MODE="$mode" REPS="$reps" ELAPSED="$elapsed" BASELINE="$BASELINE" PYTHONPATH="$ROOT/scripts" /usr/bin/python3 - <<'PY'
import os, datetime
from bench_results import Runs, fmt

spec = [l.split('|') for l in os.environ['SCENARIO_SPEC'].splitlines() if l]
runs = Runs(os.environ['RESULTS'])
median = runs.median

def cpu(name, broker):
    b, g = median(name, broker, 'broker_cpu_pct'), median(name, broker, 'gen_cpu_pct')
    m = median(name, broker, 'machine_cpu_pct')
    if b is None and g is None:
        return 'n/a'
    return f'{fmt(b)} / {fmt(g)} / {fmt(m)}'

now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
out = []
out.append(f"Mode: **{os.environ['MODE']}**, {os.environ['REPS']} repetition(s), brokers alternating, "
           f"medians; run {now} in {os.environ['ELAPSED']} s.  ")
out.append(f"Machine: {os.environ['MACHINE']}.  ")
out.append(f"mosquitto {os.environ['MOSQ'] or '?'} (Debian), config: `persistence false`, "
           "`max_queued_messages 100000`, `max_inflight_messages 0`, `max_connections -1`, `set_tcp_nodelay true`.  ")
out.append("Ratio is actormq / mosquitto. CPU is % of one core over the measured window: broker / load generator / "
           f"whole machine (all {os.cpu_count()} cores, so up to {100 * os.cpu_count()}); machine minus broker minus "
           "generator is what other processes took.")
out.append('')
baseline = bool(os.environ['BASELINE'])
if baseline:
    out.append(f"baseline is the actormq binary {os.environ['BASELINE']}, run in the same rounds; "
               "vs base is actormq / baseline.")
    out.append('')
out.append('| Scenario | Figure | actormq | mosquitto | ratio | ' + ('baseline | vs base | ' if baseline else '') +
           'CPU % actormq (broker / gen / machine) | CPU % mosquitto (broker / gen / machine) | Command |')
out.append('|---|---|---|---|---|' + ('---|---|' if baseline else '') + '---|---|---|')
for name, args, figures in spec:
    if not runs.has(name, 'actormq') and not runs.has(name, 'mosquitto'):
        continue
    for i, key in enumerate(figures.split()):
        a, m = median(name, 'actormq', key), median(name, 'mosquitto', key)
        ratio = f'{a / m:.2f}' if a is not None and m not in (None, 0) else 'n/a'
        if a is None and not runs.has(name, 'actormq'):
            a_txt = 'pending'
        else:
            a_txt = fmt(a)
        first = i == 0
        extra = []
        if baseline:
            b = median(name, 'baseline', key)
            extra = [fmt(b), f'{a / b:.2f}' if a is not None and b not in (None, 0) else 'n/a']
        out.append('| ' + ' | '.join([
            name if first else '', key, a_txt, fmt(m), ratio, *extra,
            cpu(name, 'actormq') if first and runs.has(name, 'actormq') else ('pending' if first else ''),
            cpu(name, 'mosquitto') if first else '',
            f'`mqttbench {args} -p PORT --broker-pid PID`' if first else '']) + ' |')
print('\n'.join(out))
PY
)"
echo
echo "$table"

if [ "$write" -eq 1 ] && [ -n "$BASELINE" ]; then
  write_bench_table bench.sh "$mode-baseline" "$table" "## actormq against a baseline build (bench.sh --baseline)"
elif [ "$write" -eq 1 ]; then
  write_bench_table bench.sh "$mode" "$table"
fi
if [ -z "$only" ] && [ -z "$BASELINE" ] && [[ " $brokers " == *" actormq "* ]] && [[ " $brokers " == *" mosquitto "* ]]; then
  bash "$ROOT/scripts/bench_tls.sh" "${tls_args[@]}"
fi
