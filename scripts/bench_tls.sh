#!/usr/bin/env bash
# TLS side by side: actormq and Debian's mosquitto, each with one TLS listener on
# the same throwaway certificates (ECDSA P-256, then RSA 2048, made here with
# openssl), driven by mqttbench's mbedTLS client (TLS 1.2, the broker verified
# against the throwaway CA). Figures: full TLS handshakes (+ MQTT CONNECT) per
# second, and QoS 0 fan-in throughput over TLS. Medians over --reps runs, brokers
# alternating; the table goes into BENCHMARKS.md between marker comments.
#
# actormq's listeners use the TLS backend of --build-dir (README: TLS
# backends): e.g. --build-dir build-openssl for the OpenSSL one.
#
# --storm runs the reconnect storm instead: --clients TLS clients (mqttbench
# conn) connect, --established more (mqttbench pairs, TLS too, on the same
# listener) exchange QoS 1 messages at --rate msg/s each; --quiet s later every
# storm client's link is reset at once (RST, no DISCONNECT) and all reconnect
# (full handshakes, at most --max-pending awaiting CONNACK). Figures: time from
# the reset until all are back, failed attempts, and the established clients'
# latency over the quiet window before the storm and over the storm.
#
#   scripts/bench_tls.sh [--quick] [--reps N] [--build-dir DIR] [--no-write]
#   scripts/bench_tls.sh --storm [--reps N] [--clients N] [--established M] [--rate R]
#                        [--quiet S] [--max-pending W] [--algos "ec rsa"] [--build-dir DIR] [--no-write]
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

quick=0
reps=""
build_dir="$ROOT/build"
write=1
storm=0
clients=10000
established=1000
rate=1
quiet=5
max_pending=64
algos="ec"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --no-write) write=0 ;;
    --storm) storm=1 ;;
    --clients) clients="$2"; shift ;;
    --established) established="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --quiet) quiet="$2"; shift ;;
    --max-pending) max_pending="$2"; shift ;;
    --algos) algos="$2"; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--quick] [--storm ...] [--reps N] [--build-dir DIR] [--no-write] (--help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$reps" ] || { [ "$quick" -eq 1 ] && reps=1 || reps=3; }

ensure_deps
bench_build "$build_dir" mqttbench actormq
BENCH="$build_dir/tests/bench/mqttbench"
tls_backend="$(sed -n 's/^ACTORMQ_TLS:[A-Z]*=//p' "$build_dir/CMakeCache.txt")"
ACTORMQ="$build_dir/core/actormq"

if [ "$quick" -eq 1 ]; then
  SCENARIOS=(
    "handshakes|conn -n 300 --hold 1 --max-pending 64|connects_per_s connack_p99_us failed"
    "fanin_q0|fanin -P 8 -S 1 -Q 0 -s 64 -d 3|msgs_per_s lost_pct"
  )
else
  SCENARIOS=(
    "handshakes|conn -n 1000 --hold 1 --max-pending 64|connects_per_s connack_p99_us failed"
    "fanin_q0|fanin -P 8 -S 1 -Q 0 -s 64 -d 5|msgs_per_s lost_pct"
  )
fi

work="$(mktemp -d)"
broker_pid=""
pairs_pid=""
cleanup() {
  [ -z "$pairs_pid" ] || { kill "$pairs_pid" 2>/dev/null; wait "$pairs_pid" 2>/dev/null; }
  stop_broker
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# make_pki ALGO: CA and server certificate for 127.0.0.1 in $work/ALGO/.
make_pki() {
  local d="$work/$1"
  mkdir -p "$d"
  (
    cd "$d"
    if [ "$1" = ec ]; then
      openssl ecparam -name prime256v1 -genkey -noout -out ca.key
      openssl ecparam -name prime256v1 -genkey -noout -out server.key
    else
      openssl genrsa -out ca.key 2048
      openssl genrsa -out server.key 2048
    fi
    openssl req -x509 -new -key ca.key -subj "/CN=bench CA" -days 2 -out ca.crt
    openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt
  ) >/dev/null 2>&1
}

# start_broker NAME PORT ALGO: the bench broker with a TLS listener on ALGO's certificate.
start_broker() {
  local d="$work/$3"
  start_bench_broker "$1" "$2" "$(printf 'certfile %s/server.crt\nkeyfile %s/server.key\ntls_version tlsv1.2' "$d" "$d")" \
    tls ", \"certfile\": \"$d/server.crt\", \"keyfile\": \"$d/server.key\""
}

make_pki ec
make_pki rsa
# mosquitto drops to its own user before it reads the certificate and key.
chmod -R a+rX "$work"
if [ "$storm" -eq 1 ]; then
  source "$ROOT/scripts/bench_tls_storm.sh"
  exit 0
fi
results="$work/results.txt"
: >"$results"
started=$(date +%s)
for rep in $(seq "$reps"); do
  order=(actormq mosquitto)
  [ $((rep % 2)) -eq 0 ] && order=(mosquitto actormq)
  for algo in ec rsa; do
    for entry in "${SCENARIOS[@]}"; do
      IFS='|' read -r name args figures <<<"$entry"
      for broker in "${order[@]}"; do
        port="$(free_port)"
        start_broker "$broker" "$port" "$algo" || { stop_broker; continue; }
        echo "[rep $rep/$reps] $broker $algo $name: mqttbench $args --cafile ca.crt" >&2
        # shellcheck disable=SC2086
        line="$(timeout 300 "$BENCH" $args -p "$port" --cafile "$work/$algo/ca.crt" --broker-pid "$broker_pid" -q \
                | grep '^RESULT ' | tail -1 || true)"
        stop_broker
        if [ -z "$line" ]; then
          echo "  no RESULT line" >&2
          continue
        fi
        echo "  $line" >&2
        echo "${name}_$algo|$broker|$rep|$line" >>"$results"
      done
    done
  done
done
elapsed=$(( $(date +%s) - started ))

bench_context
mode=$([ "$quick" -eq 1 ] && echo quick || echo full)
scenario_spec="$(printf '%s\n' "${SCENARIOS[@]}")"
table="$(SCENARIO_SPEC="$scenario_spec" RESULTS="$results" MACHINE="$machine" MOSQ="$mosq_version" \
  TLS_BACKEND="${tls_backend:-mbedtls}" \
  MODE="$mode" REPS="$reps" ELAPSED="$elapsed" PYTHONPATH="$ROOT/scripts" /usr/bin/python3 - <<'PY'
import os, datetime
from bench_results import Runs, fmt

spec = [l.split('|') for l in os.environ['SCENARIO_SPEC'].splitlines() if l]
median = Runs(os.environ['RESULTS']).median

now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
out = [f"Mode: **{os.environ['MODE']}**, {os.environ['REPS']} repetition(s), brokers alternating, medians; "
       f"run {now} in {os.environ['ELAPSED']} s.  ",
       f"Machine: {os.environ['MACHINE']}.  ",
       f"mosquitto {os.environ['MOSQ'] or '?'} (Debian, OpenSSL) with `tls_version tlsv1.2` and the bench.sh settings; "
       f"actormq (TLS backend: {os.environ['TLS_BACKEND']}) with one `tls` listener; the same certificate and key for both. mqttbench connects with mbedTLS, "
       "TLS 1.2, verifying the server against the throwaway CA. `handshakes`: full handshakes (no resumption) "
       "each followed by MQTT CONNECT/CONNACK; `connects_per_s` counts completed CONNACKs. CPU is % of one core: "
       "broker / load generator (the generator's client-side handshakes cost about as much as the broker's).",
       '',
       '| Scenario | Key | Figure | actormq | mosquitto | ratio | CPU % actormq | CPU % mosquitto | Command |',
       '|---|---|---|---|---|---|---|---|---|']
for algo, label in (('ec', 'ECDSA P-256'), ('rsa', 'RSA 2048')):
    for name, args, figures in spec:
        key = f'{name}_{algo}'
        for i, fig in enumerate(figures.split()):
            a, m = median(key, 'actormq', fig), median(key, 'mosquitto', fig)
            ratio = f'{a / m:.2f}' if a is not None and m not in (None, 0) else 'n/a'
            def cpu(b):
                return f"{fmt(median(key, b, 'broker_cpu_pct'))} / {fmt(median(key, b, 'gen_cpu_pct'))}"
            first = i == 0
            out.append('| ' + ' | '.join([name if first else '', label if first else '', fig, fmt(a), fmt(m), ratio,
                                          cpu('actormq') if first else '', cpu('mosquitto') if first else '',
                                          f'`mqttbench {args} -p PORT --cafile ca.crt --broker-pid PID`' if first else ''])
                       + ' |')
print('\n'.join(out))
PY
)"
echo
echo "$table"

if [ "$write" -eq 1 ]; then
  write_bench_table bench_tls.sh "$mode" "$table" "## TLS (scripts/bench_tls.sh)"
fi
