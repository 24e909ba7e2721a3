#!/usr/bin/env bash
# Runs every mqttbench scenario briefly against a mosquitto on a free loopback port
# and checks the RESULT lines: present, nothing lost at QoS 1/2, and exactly the
# deliveries each scenario implies. Usage: bench_smoke_test.sh PATH/TO/mqttbench
set -uo pipefail

BENCH="$1"
MOSQUITTO=/usr/sbin/mosquitto
dir="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >"$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
max_inflight_messages 0
set_tcp_nodelay true
CONF
"$MOSQUITTO" -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 &
broker=$!
pids+=("$broker")
for _ in $(seq 50); do
  grep -q "running" "$dir/mosquitto.log" && break
  sleep 0.1
done

failures=0
last=""
fail() { echo "FAIL: $*"; echo "  $last"; failures=$((failures + 1)); }

# run NAME ARGS...: runs mqttbench, keeps its RESULT line in $last.
run() {
  local out
  out="$(timeout 60 "$BENCH" "$@" -p "$port" --broker-pid "$broker" -q)"
  local rc=$?
  last="$(grep '^RESULT ' <<<"$out")"
  if [ "$(grep -c '^RESULT ' <<<"$out")" -ne 1 ]; then
    fail "$* printed $(grep -c '^RESULT ' <<<"$out") RESULT lines (exit $rc)"
    return 1
  fi
  [ "$rc" -eq 0 ] || fail "$* exited $rc"
  echo "$last"
}
# get KEY: the value of KEY in $last.
get() { tr ' ' '\n' <<<"$last" | sed -n "s/^$1=//p"; }
expect() {  # expect KEY VALUE
  local v; v="$(get "$1")"
  [ "$v" = "$2" ] || fail "$1=$v, expected $2"
}

run fanin -P 4 -S 1 -Q 1 -c 500 -d 5 && { expect sent 2000; expect acked 2000; expect received 2000; expect lost 0; expect duplicates 0; }
run fanin -P 4 -S 2 -Q 0 -c 200 -r 1000 -d 5 && { expect sent 800; expect expected 1600; expect received 1600; }
run fanout -P 1 -S 20 -Q 1 -c 100 -r 500 -d 5 && { expect received 2000; expect lost 0; }
run fanout -V 5 -P 2 -S 10 -Q 2 -c 100 -r 500 -d 5 && { expect acked 200; expect received 2000; expect lost 0; }
run pairs -n 50 -r 20 -Q 1 -d 1 && { expect lost 0; [ "$(get received)" = "$(get acked)" ] || fail "pairs received != acked"; [ "$(get received)" -ge 900 ] || fail "pairs received too few"; }
run pairs -V 5 -n 20 -r 50 -Q 0 -c 40 -d 5 && { expect sent 800; expect received 800; }
run pub -P 2 -Q 1 -c 100 -d 5 && { expect acked 200; }

# sub in one process, pub in another: the subscriber sees every publisher's sequence.
"$BENCH" sub -p "$port" -S 2 -f 'smoke/+' -c 600 -d 10 -q >"$dir/sub.out" &
sub=$!
pids+=("$sub")
sleep 0.5
run pub -P 3 -t 'smoke/%i' -Q 1 -c 100 -r 1000 -d 5 >/dev/null
wait "$sub"
last="$(grep '^RESULT ' "$dir/sub.out")"
echo "$last"
expect received 600; expect gaps 0; expect duplicates 0

run retained -n 2000 && { expect received 2000; expect lost 0; expect cleaned 1; }
run retained -V 5 -Q 0 -n 1000 && { expect received 1000; expect lost 0; }
run conn -n 300 --per-worker 100 --sources 3 --hold 1 && { expect connected 300; expect workers 3; expect failed 0; expect dropped 0; }
# Each connection on its own topic (over a ports list), then 50 random ones reached by one publisher.
run conn -n 300 --per-worker 100 --ports "$port,$port" --subscribe 'smoke/conn/%r/%i' --publish 50 --seed 3 --hold 0.5 &&
  { expect subscribed 300; expect pub_acked 50; expect delivered 50; expect duplicates 0; expect misdelivered 0; }
# Reconnect storm: every connection reset at once and all back, beside pairs whose
# latency log is read back over the quiet window and the whole run.
"$BENCH" pairs -p "$port" -n 10 -r 20 -Q 1 -d 20 --latency-log "$dir/latency.txt" -q >"$dir/pairs.out" &
pairs=$!
pids+=("$pairs")
sleep 0.5
run conn -n 200 --reconnect 0 --storm 0.3 --hold 0.2 &&
  { expect storm_dropped 200; expect storm_back 200; expect storm_all_back 1; expect storm_max_pending 64; }
storm_start="$(get storm_start_ns)"
kill -USR1 "$pairs"
wait "$pairs"
last="$(grep '^RESULT ' "$dir/pairs.out")"
echo "$last"
expect lost 0
received="$(get received)"
last="$(timeout 10 "$BENCH" window "$dir/latency.txt" --span "quiet:$((storm_start - 300000000)):$storm_start" \
        --span "all:0:$((storm_start + 10**15))" | grep '^RESULT ')"
echo "$last"
expect malformed 0; expect all_n "$received"
[ "$(get quiet_n)" -gt 0 ] || fail "no messages in the quiet window"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all scenarios passed"
