#!/usr/bin/env bash
# The cluster broker at scale: --conns idle MQTT connections spread over
# --nodes actormq nodes on loopback (one seed), each connection subscribed to
# its own topic (QoS 1), held by mqttbench's conn scenario (worker processes
# under the 20,000 open files of a process, several 127.0.0.x source
# addresses). It measures, in order:
#   - connections held, and every node holding the others' route rows
#     (actormq_cluster_routes_remote = connections on the other nodes);
#   - resident memory: each node's RSS growth (after connecting and the
#     routes' spreading, minus before), per connection of the cluster and
#     per node;
#   - the join: the time from starting one more node until it holds every
#     route row (and, beside it, every client id) of the cluster;
#   - delivery: QoS 1 publishes from node 1 to --publish distinct random
#     connections' topics; delivered / expected.
# Last line of stdout:
#   RESULT conns=N nodes=K held=N delivered=D expected=E bytes_per_conn=B join_routes_s=S ...
# Exit status 0 only when every connection was held and every publish arrived.
#
# --routers R sets the nodes' router_pool_size (0: theirs, one per scheduler;
# each router holds every route of its own node; the rows to other nodes are one table).
#
#   scripts/bench_cluster_scale.sh [--conns N] [--nodes K] [--publish M]
#                                  [--sources S] [--routers R] [--build-dir DIR]
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

conns=100000 nodes=6 publish=1000 sources=0 routers=0 build_dir="$ROOT/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --conns) conns="$2"; shift ;;
    --nodes) nodes="$2"; shift ;;
    --publish) publish="$2"; shift ;;
    --sources) sources="$2"; shift ;;
    --routers) routers="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--conns N] [--nodes K] [--publish M] [--sources S] [--routers R] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
for v in "$conns" "$nodes" "$publish" "$sources" "$routers"; do
  [[ "$v" =~ ^[0-9]+$ ]] || { echo "bench_cluster_scale: options want integers" >&2; exit 2; }
done
[ "$nodes" -ge 2 ] && [ "$conns" -ge "$nodes" ] || { echo "bench_cluster_scale: at least 2 nodes and a connection each" >&2; exit 2; }
# A node holds at most ~19,900 sockets (20,000 open files a process).
[ $(( (conns + nodes - 1) / nodes )) -le 19000 ] || { echo "bench_cluster_scale: over 19,000 connections a node; add nodes" >&2; exit 2; }
# Each source address gives ~28,000 ephemeral ports towards one node; keep
# well under that.
[ "$sources" -gt 0 ] || sources=$(( conns / nodes / 10000 + 2 ))

ensure_deps
bench_build "$build_dir" actormq mqttbench
ACTORMQ="$build_dir/core/actormq"
BENCH="$build_dir/tests/bench/mqttbench"
work="$(mktemp -d)"
pids=() bench_pid=""
cleanup() {
  [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$bench_pid" ] && wait "$bench_pid" 2>/dev/null
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# metric HTTP_PORT NAME: one sample of /metrics, or -1.
metric() {
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n {print $2; f=1} END {if (!f) print -1}'
}

# start_node I [SEED]: node nI; its MQTT and HTTP ports and pid in the arrays.
mqtt_ports=() http_ports=() node_pids=() seed=""
start_node() {
  local i="$1" mport hport lport
  mport="$(free_port)" hport="$(free_port)" lport="$(free_port)"
  cat >"$work/n$i.json" <<CONF
{"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": $mport},
               {"type": "http", "bind": "127.0.0.1", "port": $hport}],
 "allow_anonymous": true, "durability": "none", "data_dir": "none", "log_level": "notice",
 "router_pool_size": $routers,
 "cluster": {"node_name": "n$i", "bind": "127.0.0.1", "port": $lport, "cookie": "scale", "seeds": [$seed]}}
CONF
  "$ACTORMQ" --config "$work/n$i.json" >"$work/n$i.log" 2>&1 &
  broker_pid=$!
  pids+=("$broker_pid")
  [ -z "$seed" ] && seed="\"127.0.0.1:$lport\""
  wait_listening "$mport" "$work/n$i.log" || return 1
  mqtt_ports+=("$mport") http_ports+=("$hport") node_pids+=("$broker_pid")
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; fails after SECONDS.
wait_until() {
  local deadline=$(( $(now_ms) + $1 * 1000 )); shift
  until "$@"; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

all_linked() {  # every node up with the K-1 others, by its /metrics
  local i
  for i in $(seq 0 $((nodes - 1))); do
    [ "$(metric "${http_ports[$i]}" actormq_cluster_nodes)" = "$nodes" ] || return 1
  done
}
# Node i (0-based) holds the connections j with j % nodes == i.
own() { echo $(( (conns - 1 - $1) / nodes + 1 )); }
routes_spread() {  # every node holds the route rows of the others' connections
  local i
  for i in $(seq 0 $((nodes - 1))); do
    [ "$(metric "${http_ports[$i]}" actormq_cluster_routes_remote)" = "$(( conns - $(own "$i") ))" ] || return 1
  done
}
bench_connected() { grep -q '^conn: [0-9]* connected' "$work/bench.err" || ! kill -0 "$bench_pid" 2>/dev/null; }
stable_rss() {  # every node's RSS unchanged over the last second
  local a=() b=() i
  for i in "${!node_pids[@]}"; do a+=("$(rss_kb "${node_pids[$i]}")"); done
  sleep 1
  for i in "${!node_pids[@]}"; do b+=("$(rss_kb "${node_pids[$i]}")"); done
  [ "${a[*]}" = "${b[*]}" ]
}

echo "[1/5] $nodes nodes" >&2
for i in $(seq 1 "$nodes"); do start_node "$i" || exit 1; done
wait_until 60 all_linked || { echo "bench_cluster_scale: the nodes did not all link" >&2; exit 1; }
rss_before=()
for p in "${node_pids[@]}"; do rss_before+=("$(rss_kb "$p")"); done

echo "[2/5] $conns connections over $nodes nodes, $sources source addresses, each subscribed to its own topic" >&2
ports="$(IFS=,; echo "${mqtt_ports[*]}")"
t0="$(now_ms)"
# The hold is ended by SIGUSR1 once the measurements are done; 900 s bounds it.
"$BENCH" conn -n "$conns" --ports "$ports" -p "${mqtt_ports[0]}" --sources "$sources" \
  --subscribe 'scale/%r/%i' --sub-qos 1 --publish "$publish" --hold 900 --setup-timeout 300 \
  --max-pending 512 >"$work/bench.out" 2>"$work/bench.err" &
bench_pid=$!
wait_until 320 bench_connected || { echo "bench_cluster_scale: the connections were not set up in time" >&2; exit 1; }
kill -0 "$bench_pid" 2>/dev/null || { cat "$work/bench.err" "$work/bench.out" >&2; exit 1; }
connect_s="$(sed -n 's/^conn: [0-9]* connected, [0-9]* failed in \([0-9.]*\) s.*/\1/p' "$work/bench.err")"
held="$(sed -n 's/^conn: \([0-9]*\) connected.*/\1/p' "$work/bench.err")"
wait_until 300 routes_spread || echo "bench_cluster_scale: the route rows did not all spread" >&2
spread_s="$(awk -v a="$t0" -v b="$(now_ms)" 'BEGIN {printf "%.1f", (b - a) / 1000}')"
# What the nodes allocated settles once the link queues drain.
wait_until 20 stable_rss || true
rss_after=() grow_total=0
for i in "${!node_pids[@]}"; do
  rss_after+=("$(rss_kb "${node_pids[$i]}")")
  grow_total=$(( grow_total + rss_after[i] - rss_before[i] ))
done

echo "[3/5] node n$((nodes + 1)) joins" >&2
join_node=$((nodes + 1))
routes_in() { [ "$(metric "$join_http" actormq_cluster_routes_remote)" -ge "$conns" ]; }
clients_in() { [ "$(metric "$join_http" actormq_cluster_clients_remote)" -ge "$conns" ]; }
linked_in() { [ "$(metric "$join_http" actormq_cluster_nodes)" = "$join_node" ]; }
tj="$(now_ms)"
start_node "$join_node" || exit 1
join_http="${http_ports[$nodes]}" join_pid="${node_pids[$nodes]}"
# Against an idle linked node's RSS (the others' before the connections):
# the rows may be in by the time its port accepts.
join_rss0="$(printf '%s\n' "${rss_before[@]}" | awk '{s += $1} END {printf "%d", s / NR}')"
join_link_s="" join_routes_s="" join_clients_s=""
# Whichever comes first; each is bounded.
deadline=$(( $(now_ms) + 300000 ))
while [ -z "$join_routes_s" ] || [ -z "$join_clients_s" ]; do
  t="$(awk -v a="$tj" -v b="$(now_ms)" 'BEGIN {printf "%.2f", (b - a) / 1000}')"
  [ -n "$join_link_s" ] || ! linked_in || join_link_s="$t"
  [ -n "$join_routes_s" ] || ! routes_in || join_routes_s="$t"
  [ -n "$join_clients_s" ] || ! clients_in || join_clients_s="$t"
  [ "$(now_ms)" -lt "$deadline" ] || break
  sleep 0.05
done
wait_until 20 stable_rss || true
join_rss1="$(rss_kb "$join_pid")"

echo "[4/5] $publish QoS 1 publishes from n1 to random connections' topics" >&2
kill -USR1 "$bench_pid"
for _ in $(seq 1 1200); do kill -0 "$bench_pid" 2>/dev/null || break; sleep 0.1; done
bench_rc=0
wait "$bench_pid" || bench_rc=$?
bench_pid=""
result="$(grep '^RESULT ' "$work/bench.out" || true)"
cat "$work/bench.err" >&2
echo "  $result" >&2
field() { tr ' ' '\n' <<<"$result" | sed -n "s/^$1=//p"; }

echo "[5/5] results" >&2
per_node=""
for i in "${!rss_before[@]}"; do
  per_node+="$(awk -v n="$((i + 1))" -v b="${rss_before[$i]}" -v a="${rss_after[$i]}" -v c="$(own "$i")" \
    'BEGIN {printf "n%d:%d", n, 1024 * (a - b) / c}') "
done
bytes_per_conn="$(awk -v g="$grow_total" -v n="$conns" 'BEGIN {printf "%d", 1024 * g / n}')"
join_bytes_per_route="$(awk -v a="$join_rss0" -v b="$join_rss1" -v n="$conns" 'BEGIN {printf "%d", 1024 * (b - a) / n}')"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
# Where it goes: a peer's copy of one connection (route row and client id) as
# the joined node holds it, (K-1) of them; the rest of a node's growth is its
# own sessions.
split="$(awk -v g="$grow_total" -v n="$conns" -v k="$nodes" -v r="$join_bytes_per_route" \
  'BEGIN {s = 1024 * g / n - (k - 1) * r;
         if (s < 0) { print "not estimated: the joined node'"'"'s bytes per row (its tables at another fill, with what decoding the rows left in its heap) exceed what a peer'"'"'s copy can be here"; exit }
         printf "own session and its subscription ~%d bytes + %d peers x %d bytes (route row and client id on each other node) = %d%% replication", s, k - 1, r, 100 * (k - 1) * r / (1024 * g / n)}')"
cat <<EOF
connections held: ${held:-0} of $conns (set up in ${connect_s:-?} s; every node held the others' route rows ${spread_s} s after the start)
delivered: $(field delivered)/$(field expected) QoS 1 publishes from n1 to random connections' topics (acked $(field pub_acked), duplicates $(field duplicates), misdelivered $(field misdelivered))
resident memory: $bytes_per_conn bytes per connection over the cluster (the $nodes nodes' RSS growth, $((grow_total / 1024)) MiB, over $conns connections)
  per node, its RSS growth over its own connections (bytes): $per_node
join: n$join_node linked in ${join_link_s:-?} s, held all $conns route rows in ${join_routes_s:-not in time} s, all client ids in ${join_clients_s:-not in time} s; its RSS $(( (join_rss1 - join_rss0) / 1024 )) MiB above an idle node's ($join_bytes_per_route bytes per route row and client id)
  split: $split
load average: $load
RESULT conns=$conns nodes=$nodes routers=$routers held=${held:-0} delivered=$(field delivered) expected=$(field expected) bytes_per_conn=$bytes_per_conn join_routes_s=${join_routes_s:--1} join_clients_s=${join_clients_s:--1} join_bytes_per_route=$join_bytes_per_route connect_s=${connect_s:-0} spread_s=$spread_s
EOF
[ "$bench_rc" -eq 0 ] && [ "${held:-0}" = "$conns" ] && [ "$(field delivered)" = "$(field expected)" ] && [ -n "$join_routes_s" ]
