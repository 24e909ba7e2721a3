#!/usr/bin/env bash
# Persistence benchmark (LMDB, data_dir): QoS 1 publish rate to a persistent
# subscriber under each durability mode, and start-up time and resident memory
# of a broker whose store holds N retained messages (default 1,000,000): when
# the port accepts connections, when the retained messages (loaded in the
# background) are all in memory, and the broker's RSS then.
#
#   scripts/bench_persist.sh [--retained N] [--duration S] [--build-dir DIR]
#
# Prints one line per figure; BENCHMARKS.md records a run and its commands.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

retained=1000000
duration=10
build_dir="$ROOT/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --retained) retained="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--retained N] [--duration S] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done

ensure_deps
bench_build "$build_dir" mqttbench actormq
BENCH="$build_dir/tests/bench/mqttbench"
ACTORMQ="$build_dir/core/actormq"
work="$(mktemp -d /tmp/actormq-bench-persist.XXXXXX)"
broker_pid=""
start_ms=0
start_ns=0
cleanup() {
  stop_broker KILL
  rm -rf "$work"
}
trap cleanup EXIT

# start_broker DURABILITY DATA_DIR PORT: sets broker_pid, start_ns (exec) and
# start_ms (until the port accepts).
start_broker() {
  cat >"$work/actormq.json" <<CONF
{"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": $3}],
 "allow_anonymous": true, "durability": "$1", "data_dir": "$2",
 "max_queued_messages": 1000000, "log_level": "notice"}
CONF
  local t0 t1
  t0=$(date +%s%N)
  start_ns=$t0
  "$ACTORMQ" --config "$work/actormq.json" >>"$work/broker.log" 2>&1 &
  broker_pid=$!
  wait_listening "$3" "$work/broker.log" 6000 0.01 || return 1
  t1=$(date +%s%N)
  start_ms=$(( (t1 - t0) / 1000000 ))
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# Anonymous memory only: without the store's pages that LMDB's map brought in
# while the store was read (file-backed, they stay in the page cache).
rss_anon_kb() { awk '/RssAnon/ {print $2}' "/proc/$1/status"; }
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

echo "# QoS 1 to a persistent subscriber: fanin -P 4 -S 1 -Q 1 -s 64 --inflight 100 --persistent -d $duration"
for mode in none batch sync; do
  port=$(free_port)
  start_broker "$mode" "$work/data-$mode" "$port"
  line=$("$BENCH" fanin -p "$port" -P 4 -S 1 -Q 1 -s 64 --inflight 100 --persistent -d "$duration" -q \
           --client-prefix "persist-$mode" --broker-pid "$broker_pid" | grep '^RESULT')
  stop_broker
  echo "durability=$mode msgs_per_s=$(field "$line" msgs_per_s) sent_per_s=$(field "$line" sent_per_s)" \
       "lost=$(field "$line" lost) p50_us=$(field "$line" p50_us) p99_us=$(field "$line" p99_us)" \
       "broker_cpu_pct=$(field "$line" broker_cpu_pct)"
done

echo "# $retained retained messages (64-byte payloads): store, restart, measure"
port=$(free_port)
data="$work/data-retained"
start_broker batch "$data" "$port"
line=$("$BENCH" retained -p "$port" -n "$retained" -s 64 --keep -q --broker-pid "$broker_pid" | grep '^RESULT')
loaded_rss=$(rss_kb "$broker_pid")
stop_broker
echo "loaded: retained_per_s=$(field "$line" msgs_per_s) rss_kb_after_load=$loaded_rss" \
     "store_mb=$(( $(du -sk "$data" | cut -f1) / 1024 ))"
: >"$work/broker.log"
start_broker batch "$data" "$port"
# The retained messages load in the background: wait for the line that says
# they are all in memory (lookups are answered from then on).
for _ in $(seq 12000); do
  grep -q 'loaded [0-9]* retained messages' "$work/broker.log" && break
  sleep 0.01
done
loaded_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
sleep 1
echo "restart: port_open_ms=$start_ms retained_loaded_ms=$loaded_ms rss_kb=$(rss_kb "$broker_pid")" \
     "rss_anon_kb=$(rss_anon_kb "$broker_pid")" \
     "log=\"$(grep -o 'loaded [0-9]* retained messages.* ms' "$work/broker.log")\""
stop_broker
port=$(free_port)
start_broker none "$work/empty" "$port"
sleep 1
echo "baseline (durability none, nothing stored): port_open_ms=$start_ms rss_kb=$(rss_kb "$broker_pid")"
stop_broker
