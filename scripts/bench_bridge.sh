#!/usr/bin/env bash
# Bridge benchmark: an actormq -> mosquitto bridge against a mosquitto ->
# mosquitto bridge, on this machine in the same run (Debian's mosquitto as
# the remote of both). For each local broker:
#   throughput: 8 mqttbench publishers (QoS 1, 64-byte payloads, window 64)
#     into the local broker for --duration seconds, one mqttbench QoS 1
#     subscriber on the remote; the figure is what the remote's subscriber
#     received per second, and how many acknowledged messages it never got;
#   outage: 8 paho publishers (QoS 1) into the local broker for 25 s, the
#     remote stopped 5 s in for --outage seconds (10) and started again;
#     acknowledged messages a persistent subscriber on the remote never got
#     (scripts/bench_bridge_outage.py).
# Both local brokers keep their defaults (mosquitto: 20 in flight, a bridge
# queue of 1000 messages in memory; actormq: max_inflight 100, durability batch,
# the store in a temporary data_dir). Ends with one RESULT line.
#
#   scripts/bench_bridge.sh [--duration S] [--outage S] [--build-dir DIR]
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

duration=10
outage=10
build_dir="$ROOT/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift ;;
    --outage) outage="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--duration S] [--outage S] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done

ensure_deps
bench_build "$build_dir" mqttbench actormq
BENCH="$build_dir/tests/bench/mqttbench"
ACTORMQ="$build_dir/core/actormq"
work="$(mktemp -d /tmp/actormq-bench-bridge.XXXXXX)"
broker_pid=""
remote_pid=""
cleanup() {
  stop_broker KILL
  if [ -n "$remote_pid" ]; then
    kill -KILL "$remote_pid" 2>/dev/null || true
    wait "$remote_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

# remote_conf PORT: the remote mosquitto, persistence on (what it
# acknowledged survives its stop) and queues large enough to drop nothing.
remote_conf() {
  rm -rf "$work/remote"
  mkdir -p "$work/remote"
  cat >"$work/remote/mosquitto.conf" <<CONF
listener $1 127.0.0.1
allow_anonymous true
persistence true
persistence_location $work/remote/
max_queued_messages 10000000
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
CONF
}

# start_local NAME PORT REMOTE_PORT: the local broker with a bridge that
# forwards o/# at QoS 1 to r/o/# on the remote; sets broker_pid.
start_local() {
  local name="$1" port="$2" rport="$3"
  case "$name" in
    mosquitto)
      cat >"$work/local.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
connection b1
address 127.0.0.1:$rport
topic o/# out 1 "" r/
cleansession false
restart_timeout 1 5
CONF
      "$MOSQUITTO" -c "$work/local.conf" >"$work/broker.log" 2>&1 &
      ;;
    actormq)
      rm -rf "$work/data"
      cat >"$work/actormq.json" <<CONF
{"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": $port}],
 "data_dir": "$work/data", "log_level": "notice",
 "bridges": [{"name": "b1", "address": "127.0.0.1:$rport", "clean_start": false,
              "restart_timeout_ms": {"base": 500, "cap": 5000},
              "topics": [{"pattern": "o/#", "direction": "out", "qos": 1, "remote_prefix": "r/"}]}]}
CONF
      "$ACTORMQ" --config "$work/actormq.json" >"$work/broker.log" 2>&1 &
      ;;
  esac
  broker_pid=$!
  wait_listening "$port" "$work/broker.log"
}

declare -A rate lost_tp acked_out lost_out
for name in actormq mosquitto; do
  # Throughput.
  rport=$(free_port)
  remote_conf "$rport"
  "$MOSQUITTO" -c "$work/remote/mosquitto.conf" >"$work/remote.log" 2>&1 &
  remote_pid=$!
  broker_pid=$remote_pid wait_listening "$rport" "$work/remote.log"
  port=$(free_port)
  start_local "$name" "$port" "$rport"
  sleep 2  # the bridge connects
  "$BENCH" sub -p "$rport" -S 1 -f 'r/#' -Q 1 -d $((duration + 5)) --drain 5 -q \
    --client-prefix "bridge-sub-$name" >"$work/sub.out" 2>&1 &
  sub_pid=$!
  sleep 1
  pub=$("$BENCH" pub -p "$port" -P 8 -Q 1 -s 64 --inflight 64 -t 'o/%i' -d "$duration" -q \
          --client-prefix "bridge-pub-$name" | grep '^RESULT')
  wait "$sub_pid" || true
  sub=$(grep '^RESULT' "$work/sub.out")
  acked=$(field "$pub" acked)
  received=$(field "$sub" received)
  rate[$name]=$(field "$sub" msgs_per_s)
  lost_tp[$name]=$(( acked > received ? acked - received : 0 ))
  echo "$name throughput: acked_locally=$acked received_remotely=$received msgs_per_s=${rate[$name]}" \
       "not_received=${lost_tp[$name]} local_acks_per_s=$(field "$pub" sent_per_s)"
  stop_broker
  kill -TERM "$remote_pid" 2>/dev/null || true
  wait "$remote_pid" 2>/dev/null || true
  remote_pid=""

  # Outage (the Python side starts and stops the remote itself).
  rport=$(free_port)
  remote_conf "$rport"
  port=$(free_port)
  start_local "$name" "$port" "$rport"
  line=$(/usr/bin/python3 "$ROOT/scripts/bench_bridge_outage.py" --local-port "$port" --remote-port "$rport" \
           --remote-conf "$work/remote/mosquitto.conf" --outage "$outage")
  acked_out[$name]=$(field "$line" acked)
  lost_out[$name]=$(field "$line" lost)
  echo "$name outage of ${outage}s: $line"
  stop_broker
done

echo "RESULT bench=bridge qos=1 publishers=8 actormq_msgs_per_s=${rate[actormq]}" \
     "mosquitto_msgs_per_s=${rate[mosquitto]} actormq_not_received=${lost_tp[actormq]} mosquitto_not_received=${lost_tp[mosquitto]}" \
     "outage_s=$outage actormq_outage_acked=${acked_out[actormq]} actormq_outage_lost=${lost_out[actormq]}" \
     "mosquitto_outage_acked=${acked_out[mosquitto]} mosquitto_outage_lost=${lost_out[mosquitto]}"
