# shellcheck shell=bash disable=SC2154
# The reconnect storm of scripts/bench_tls.sh --storm (sourced by it, after the
# throwaway PKI is made): per repetition, certificate and broker (alternating),
#   1. mqttbench pairs: $established TLS clients, each subscribed to its own topic
#      and publishing QoS 1 to the next one's at $rate msg/s, logging every
#      delivery's latency;
#   2. mqttbench conn: $clients TLS clients connect, are held $quiet s (the quiet
#      window), then all are reset at once and reconnect; timed until all are back;
#   3. pairs is told to stop (SIGUSR1) and its log is read for the quiet window
#      and the storm (mqttbench window).
# One results line per run joins the three RESULT lines; the table goes into
# BENCHMARKS.md between the bench_tls.sh:storm-BACKEND markers.

results="$work/results.txt"
: >"$results"
backend="${tls_backend:-mbedtls}"
started=$(date +%s)

# storm_run BROKER ALGO REP: one run; appends its joined line to $results.
storm_run() {
  local broker="$1" algo="$2" rep="$3" port load conn_line pairs_line window_line start back
  port="$(free_port)"
  start_broker "$broker" "$port" "$algo" || { stop_broker; return 1; }
  load="$(cut -d' ' -f1 /proc/loadavg)"
  echo "[rep $rep/$reps] $broker $algo storm (load average $load): pairs -n $established -r $rate, conn -n $clients" >&2
  rm -f "$work/latency.txt"
  "$BENCH" pairs -n "$established" -r "$rate" -Q 1 -d 1200 -p "$port" --cafile "$work/$algo/ca.crt" \
    --setup-timeout 120 --latency-log "$work/latency.txt" >"$work/pairs.out" 2>"$work/pairs.err" &
  pairs_pid=$!
  for _ in $(seq 1200); do  # up to 120 s for the established clients to connect and subscribe
    grep -q 'subscriptions active' "$work/pairs.err" && break
    kill -0 "$pairs_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q 'subscriptions active' "$work/pairs.err"; then
    echo "  the established clients did not connect:" >&2
    tail -3 "$work/pairs.err" >&2
    kill "$pairs_pid" 2>/dev/null; wait "$pairs_pid" 2>/dev/null; pairs_pid=""
    stop_broker
    return 1
  fi
  # --sources 4: the storm's 2 x $clients connections spread over four source addresses.
  conn_line="$(timeout 900 "$BENCH" conn -n "$clients" --sources 4 --reconnect 0 --storm "$quiet" --hold 2 \
                 --max-pending "$max_pending" --setup-timeout 300 -p "$port" --cafile "$work/$algo/ca.crt" \
                 --broker-pid "$broker_pid" -q | grep '^RESULT ' | tail -1 || true)"
  kill -USR1 "$pairs_pid" 2>/dev/null
  for _ in $(seq 600); do  # up to 60 s to drain and print its RESULT line
    kill -0 "$pairs_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pairs_pid" 2>/dev/null; wait "$pairs_pid" 2>/dev/null; pairs_pid=""
  stop_broker
  pairs_line="$(grep '^RESULT ' "$work/pairs.out" | tail -1 || true)"
  start="$(tr ' ' '\n' <<<"$conn_line" | sed -n 's/^storm_start_ns=//p')"
  back="$(tr ' ' '\n' <<<"$conn_line" | sed -n 's/^storm_back_ns=//p')"
  if [ -z "$start" ] || [ -z "$back" ] || [ -z "$pairs_line" ]; then
    echo "  incomplete run: conn: ${conn_line:-none}; pairs: ${pairs_line:-none}" >&2
    return 1
  fi
  window_line="$("$BENCH" window "$work/latency.txt" \
                   --span "quiet:$(awk -v s="$start" -v q="$quiet" 'BEGIN { printf "%.0f", s - q * 1e9 }'):$start" --span "storm:$start:$back" \
                 | grep '^RESULT ' || true)"
  echo "  $conn_line" >&2
  echo "  $pairs_line" >&2
  echo "  $window_line" >&2
  # One line: conn's keys as they are, the established clients' with est_, the windows'.
  echo "storm_$algo|$broker|$rep|RESULT loadavg1=$load ${conn_line#RESULT } $(sed 's/^RESULT //; s/\([a-z0-9_]*\)=/est_\1=/g' <<<"$pairs_line") ${window_line#RESULT }" >>"$results"
}

for rep in $(seq "$reps"); do
  order=(actormq mosquitto)
  [ $((rep % 2)) -eq 0 ] && order=(mosquitto actormq)
  for algo in $algos; do
    for broker in "${order[@]}"; do
      storm_run "$broker" "$algo" "$rep" || echo "  no result" >&2
    done
  done
done
elapsed=$(( $(date +%s) - started ))

bench_context
command="scripts/bench_tls.sh --storm --reps $reps --clients $clients --established $established --rate $rate --quiet $quiet --max-pending $max_pending --algos \"$algos\" --build-dir $(basename "$build_dir")"
table="$(RESULTS="$results" MACHINE="$machine" MOSQ="$mosq_version" BACKEND="$backend" ALGOS="$algos" REPS="$reps" \
  ELAPSED="$elapsed" COMMAND="$command" CLIENTS="$clients" ESTABLISHED="$established" RATE="$rate" QUIET="$quiet" \
  MAX_PENDING="$max_pending" PYTHONPATH="$ROOT/scripts" /usr/bin/python3 - <<'PY'
import os, datetime
from bench_results import Runs, fmt

e = os.environ
runs = Runs(e['RESULTS'])
now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
clients, est = int(e['CLIENTS']), int(e['ESTABLISHED'])
out = [f"Command: `{e['COMMAND']}`; run {now} in {e['ELAPSED']} s, {e['REPS']} repetition(s), brokers alternating, medians.  ",
       f"Machine: {e['MACHINE']}.  ",
       f"mosquitto {e['MOSQ'] or '?'} (Debian, OpenSSL) with `tls_version tlsv1.2`; actormq (TLS backend: {e['BACKEND']}) "
       "with one `tls` listener; the same certificate and key for both. "
       f"Storm: {clients:,} TLS clients (mqttbench conn, 2 worker processes, mbedTLS, TLS 1.2, full handshakes, no resumption) "
       f"connect, are held {e['QUIET']} s, then every link is reset at once (RST, no DISCONNECT) and all reconnect at once, "
       f"at most {e['MAX_PENDING']} awaiting CONNACK (over both workers). "
       f"Established: {est:,} TLS clients on the same listener (mqttbench pairs -n {est}: each subscribed to its own topic, "
       f"publishing QoS 1 to the next one's at {e['RATE']} msg/s, {est * float(e['RATE']):,.0f} msg/s in all). "
       "Latency is publish to delivery, by send time: `quiet` the "
       f"{e['QUIET']} s before the reset, `storm` the reset until the last CONNACK. CPU is % of one core over the storm.",
       '',
       '| Key | Figure | actormq | mosquitto | ratio |',
       '|---|---|---|---|---|']
figures = [
    ('storm_back_s', 'reset until all back, s'),
    ('storm_connects_per_s', 'reconnections/s'),
    ('storm_failures', 'failed attempts (retried)'),
    ('storm_all_back', 'all back (1 = yes)'),
    ('quiet_p50_us', 'established p50 quiet, µs'),
    ('quiet_p99_us', 'established p99 quiet, µs'),
    ('storm_p50_us', 'established p50 storm, µs'),
    ('storm_p99_us', 'established p99 storm, µs'),
    ('storm_max_us', 'established max storm, µs'),
    ('storm_n', 'established messages sent in the storm'),
    ('est_lost', 'established lost (whole run)'),
    ('est_dropped', 'established connections dropped'),
    ('storm_broker_cpu_pct', 'broker CPU % in the storm'),
    ('storm_gen_cpu_pct', 'storm clients\' CPU % (mqttbench conn)'),
    ('storm_machine_cpu_pct', 'machine CPU % in the storm'),
    ('connect_s', f'first connect of the {clients:,}, s'),
    ('loadavg1', 'load average at the start'),
]
for algo, label in (('ec', 'ECDSA P-256'), ('rsa', 'RSA 2048')):
    if algo not in e['ALGOS'].split():
        continue
    key = f'storm_{algo}'
    for i, (fig, text) in enumerate(figures):
        a, m = runs.median(key, 'actormq', fig), runs.median(key, 'mosquitto', fig)
        ratio = f'{a / m:.2f}' if a is not None and m not in (None, 0) else 'n/a'
        out.append(f"| {label if i == 0 else ''} | {text} | {fmt(a)} | {fmt(m)} | {ratio} |")
print('\n'.join(out))
PY
)"
echo
echo "$table"
echo
echo "runs:" >&2
cat "$results" >&2

if [ "$write" -eq 1 ]; then
  write_bench_table bench_tls.sh "storm-$backend" "$table" "## TLS (scripts/bench_tls.sh)"
fi
