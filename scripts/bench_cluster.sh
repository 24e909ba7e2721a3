#!/usr/bin/env bash
# The cluster broker's throughput against one node's, in one run: three
# actormq nodes linked on loopback (one seed), and mqttbench's QoS 1
# scenarios with the subscribers on other nodes than the publishers, beside
# the same scenarios on a single node, alternating, medians over --reps.
#   fanin:  8 publishers on node 1 -> 1 subscriber (on node 2 / on node 1)
#   fanout: 1 publisher on node 1 -> 100 subscribers (spread over the 3 nodes
#           / all on node 1)
# Last line of stdout:
#   RESULT fanin_cluster=N fanin_single=N fanin_ratio=R fanout_cluster=N fanout_single=N fanout_ratio=R
# (messages per second received by the subscribers; ratio = cluster / single).
#
#   scripts/bench_cluster.sh [--seconds S] [--reps R] [--build-dir DIR]
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

seconds=5 reps=3 build_dir="$ROOT/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--seconds S] [--reps R] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
for v in "$seconds" "$reps"; do
  [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ] || { echo "bench_cluster: options want positive integers" >&2; exit 2; }
done

ensure_deps
bench_build "$build_dir" actormq mqttbench
ACTORMQ="$build_dir/core/actormq"
BENCH="$build_dir/tests/bench/mqttbench"
work="$(mktemp -d)"
pids=()
stop_nodes() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop_nodes; rm -rf "$work"; }
trap cleanup EXIT INT TERM

# start_nodes N: N nodes (N=1: a single broker, no cluster); their MQTT ports
# in mqtt_ports, once every node is linked to every other.
start_nodes() {
  local n="$1" seed="" i
  mqtt_ports=()
  for i in $(seq 1 "$n"); do
    local mport lport cluster=""
    mport="$(free_port)" lport="$(free_port)"
    if [ "$n" -gt 1 ]; then
      cluster=", \"cluster\": {\"node_name\": \"n$i\", \"bind\": \"127.0.0.1\", \"port\": $lport, \"cookie\": \"bench\", \"seeds\": [$seed]}"
      [ -z "$seed" ] && seed="\"127.0.0.1:$lport\""
    fi
    cat >"$work/n$i.json" <<CONF
{"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": $mport}],
 "allow_anonymous": true, "durability": "none", "data_dir": "none",
 "max_queued_messages": 100000, "max_inflight_messages": 65535, "log_level": "notice"$cluster}
CONF
    "$ACTORMQ" --config "$work/n$i.json" >"$work/n$i.log" 2>&1 &
    pids+=($!)
    broker_pid=$!
    wait_listening "$mport" "$work/n$i.log" || return 1
    mqtt_ports+=("$mport")
  done
  [ "$n" -gt 1 ] || return 0
  for _ in $(seq 1 200); do
    local linked=1
    for i in $(seq 1 "$n"); do
      [ "$(grep -c ': up (' "$work/n$i.log")" -ge $((n - 1)) ] || linked=0
    done
    [ "$linked" -eq 1 ] && return 0
    sleep 0.05
  done
  echo "bench_cluster: the nodes did not all link" >&2
  return 1
}

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }

# run NODES SCENARIO-ARGS...: one mqttbench run; prints msgs_per_s.
run() {
  local n="$1"; shift
  start_nodes "$n" || { stop_nodes; echo 0; return; }
  local sub_ports
  sub_ports="$(IFS=,; echo "${mqtt_ports[*]:$(( n > 1 ? 1 : 0 ))}")"
  [ "$1" = fanout ] && sub_ports="$(IFS=,; echo "${mqtt_ports[*]}")"
  local line
  line="$(timeout 300 "$BENCH" "$@" -p "${mqtt_ports[0]}" --sub-ports "$sub_ports" --settle 1 -q |
          grep '^RESULT ' | tail -1 || true)"
  stop_nodes
  echo "  nodes=$n $*: ${line:-no RESULT line}" >&2
  field msgs_per_s "$line"
}

fanin=(fanin -P 8 -S 1 -Q 1 -s 64 -d "$seconds" --inflight 100)
fanout=(fanout -P 1 -S 100 -Q 1 -s 64 -d "$seconds" --inflight 100)
fi_c=() fi_s=() fo_c=() fo_s=()
for rep in $(seq 1 "$reps"); do
  echo "[rep $rep/$reps]" >&2
  fi_c+=("$(run 3 "${fanin[@]}")")
  fi_s+=("$(run 1 "${fanin[@]}")")
  fo_c+=("$(run 3 "${fanout[@]}")")
  fo_s+=("$(run 1 "${fanout[@]}")")
done
a="$(printf '%s\n' "${fi_c[@]}" | median)" b="$(printf '%s\n' "${fi_s[@]}" | median)"
c="$(printf '%s\n' "${fo_c[@]}" | median)" d="$(printf '%s\n' "${fo_s[@]}" | median)"
awk -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN {
  printf "fanin (8 -> 1, QoS 1): cluster %d, single node %d msgs/s (ratio %.2f); fanout (1 -> 100): cluster %d, single node %d (ratio %.2f)\n",
         a, b, (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0)
  printf "RESULT fanin_cluster=%d fanin_single=%d fanin_ratio=%.2f fanout_cluster=%d fanout_single=%d fanout_ratio=%.2f\n",
         a, b, (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0) > "/dev/stdout" }' | tee /dev/stderr | tail -1
