#!/usr/bin/env bash
# Upgrade without downtime beside a mosquitto restart: N idle clients
# (mqttbench conn over 8 source addresses, each reconnecting by itself 0.5 s
# plus up to 0.5 s at random after a drop) and one established QoS 1 stream
# (scripts/bench_upgrade_stream.py: a paho publisher and subscriber with
# persistent sessions at 100 msg/s) on one broker, then
#   actormq:   `actormq ctl upgrade` (SIGUSR2) to a new copy of its binary;
#   mosquitto: a restart (SIGTERM, then started again on the same port),
#              which drops every client; its persistence file keeps the
#              sessions, as actormq's store does through the upgrade.
# Figures: the command's own time, the time from its start until every client
# is back connected, and the stream's latency (p50/p99/max, lost) for the
# messages sent in that window.
#
#   scripts/bench_upgrade.sh [--clients 10000,19000] [--reconnect 0.5] [--build-dir DIR] [--no-write]
#
# Writes its table into BENCHMARKS.md (unless --no-write), one per --reconnect.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

clients="10000,19000"
reconnect=0.5
build_dir="$ROOT/build"
write=1
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) clients="$2"; shift ;;
    --reconnect) reconnect="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --no-write) write=0 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--clients N,...] [--reconnect S] [--build-dir DIR] [--no-write]" >&2; exit 2 ;;
  esac
  shift
done

ensure_deps
bench_build "$build_dir" mqttbench actormq
BENCH="$build_dir/tests/bench/mqttbench"
STREAM="$ROOT/scripts/bench_upgrade_stream.py"
work="$(mktemp -d /tmp/actormq-bench-upgrade.XXXXXX)"
broker_pid=""
stream_pid=""
cleanup() {
  [ -n "$stream_pid" ] && kill "$stream_pid" 2>/dev/null
  # The serving process: an upgrade's new one, or a restarted mosquitto.
  for f in "$work/actormq.pid" "$work/mosquitto.pid"; do
    [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
  done
  stop_broker KILL
  rm -rf "$work"
}
trap cleanup EXIT

# The broker under test runs from a copy that the upgrade replaces, as a
# package upgrade would.
cp "$build_dir/core/actormq" "$work/actormq"
ACTORMQ="$work/actormq"

# start NAME PORT: the broker on PORT (bench_lib's fair settings, but each
# with its store, so that sessions outlive the upgrade or the restart:
# actormq's default durability batch, mosquitto's persistence file, written
# at its stop), writing its pid to $work/NAME.pid; sets broker_pid.
start() {
  local name="$1" port="$2"
  rm -f "$work/$name.pid"
  if [ "$name" = mosquitto ]; then
    rm -f "$work/mosquitto.db"
    cat >"$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $work/
autosave_interval 1800
max_connections -1
max_queued_messages 100000
max_inflight_messages 0
set_tcp_nodelay true
CONF
    "$MOSQUITTO" -c "$work/mosquitto.conf" >>"$work/broker.log" 2>&1 &
    broker_pid=$!
    echo "$broker_pid" >"$work/mosquitto.pid"
    # The restart: stop, wait for the exit, start again on the same port.
    cat >"$work/restart.sh" <<SH
pid=\$(cat "$work/mosquitto.pid")
kill -TERM "\$pid"
while kill -0 "\$pid" 2>/dev/null; do sleep 0.005; done
"$MOSQUITTO" -c "$work/mosquitto.conf" >>"$work/broker.log" 2>&1 </dev/null &
echo \$! >"$work/mosquitto.pid"
SH
  else
    rm -rf "$work/data"
    mkdir -p "$work/data"
    cat >"$work/actormq.json" <<CONF
{"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": $port}],
 "allow_anonymous": true, "durability": "batch", "data_dir": "$work/data",
 "max_queued_messages": 100000, "max_inflight_messages": 65535, "log_level": "notice",
 "pid_file": "$work/actormq.pid"}
CONF
    "$ACTORMQ" --config "$work/actormq.json" >>"$work/broker.log" 2>&1 &
    broker_pid=$!
  fi
  wait_listening "$port" "$work/broker.log"
}

# serving_pid NAME: the process serving now (after an upgrade or a restart).
serving_pid() { cat "$work/$1.pid" 2>/dev/null || true; }

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

rows=""
declare -A back p99
for n in ${clients//,/ }; do
  for name in actormq mosquitto; do
    port=$(free_port)
    start "$name" "$port"
    if [ "$name" = actormq ]; then
      cp "$build_dir/core/actormq" "$work/actormq.new" && mv "$work/actormq.new" "$ACTORMQ"
      cmd="$build_dir/core/actormq ctl --pid-file $work/actormq.pid upgrade --timeout 120"
    else
      cmd="sh $work/restart.sh"
    fi
    /usr/bin/python3 "$STREAM" run --port "$port" --samples "$work/stream.txt" --reconnect "$reconnect" \
      2>"$work/stream.log" &
    stream_pid=$!
    sleep 2
    echo "== $name, $n clients: $cmd" >&2
    result=$(timeout 600 "$BENCH" conn -p "$port" -n "$n" --sources 8 --reconnect "$reconnect" \
      --setup-timeout 120 --hold 2 --disrupt "$cmd" -q | grep '^RESULT') || true
    kill -TERM "$stream_pid" 2>/dev/null || true
    wait "$stream_pid" 2>/dev/null || true
    stream_pid=""
    window=$(/usr/bin/python3 "$STREAM" window "$work/stream.txt" "$(field disrupt_start_ns "$result")" \
      "$(field all_back_ns "$result")")
    echo "$result" >&2
    echo "stream during it: $window ($(cat "$work/stream.log"))" >&2
    kill -TERM "$(serving_pid "$name")" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$(serving_pid "$name")" 2>/dev/null || break; sleep 0.05; done
    stop_broker KILL
    what=$([ "$name" = actormq ] && echo "upgrade (ctl)" || echo "restart")
    back[$name]=$(field all_back_s "$result")
    p99[$name]=$(field p99_ms "x $window")
    rows+="| $n | $name $what | $(field disrupt_status "$result") | $(field disrupt_cmd_s "$result") | ${back[$name]} | $(field all_back "$result") | $(field disrupt_drops "$result") | $(field n "x $window") | $(field p50_ms "x $window") | ${p99[$name]} | $(field max_ms "x $window") | $(field lost "x $window") | $(field unacked "x $window") |"$'\n'
  done
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "n/a" }'; }
  rows+="| $n | mosquitto / actormq | | | $(ratio "${back[actormq]}" "${back[mosquitto]}") | | | | | $(ratio "${p99[actormq]}" "${p99[mosquitto]}") | | | |"$'\n'
done

table="Run $(date -u '+%Y-%m-%d %H:%M') UTC at $(git -C "$ROOT" rev-parse --short HEAD), load average $(cut -d' ' -f1 /proc/loadavg) at the end; $(nproc) cores; mosquitto $( ("$MOSQUITTO" -h 2>/dev/null || true) | sed -n "s/.*version \([0-9.]*\).*/\1/p" | head -1).
Command: \`scripts/bench_upgrade.sh --clients $clients --reconnect $reconnect\`. Clients reconnect ${reconnect} s plus up to ${reconnect} s after a drop; \`back\`: from the command's start until every client is connected again; the stream's figures are for the messages sent in that window (n of them received); \`lost\`: acknowledged by the broker (PUBACK) and never delivered; \`unacked\`: never acknowledged (paho gave them up across the reconnection).

| clients | broker, disruption | exit | command s | back s | all back | drops | stream n | p50 ms | p99 ms | max ms | lost | unacked |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows%$'\n'}"
echo "$table"
if [ "$write" = 1 ]; then
  write_bench_table bench_upgrade.sh "reconnect-$reconnect" "$table" "## Upgrade without downtime beside a mosquitto restart (scripts/bench_upgrade.sh)"
fi
