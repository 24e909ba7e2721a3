#!/usr/bin/env bash
# Erlang distribution on loopback: the BEAM figures that actormq's node link is
# measured beside. Starts a private epmd and two BEAM nodes (short names, random
# cookie, loopback only, one scheduler each by default so that the two nodes
# share the 2 cores as two actormq processes would), runs
# tests/bench/beam/beam_dist.erl on node 1 against node 2, and stops everything
# it started, also on Ctrl-C. Last line of stdout:
#   RESULT beam_remote_msgs_per_s=N beam_rtt_p50_us=N beam_rtt_p90_us=N beam_rtt_p99_us=N
# Exit status: 0; 1 on a failed run; 2 for bad arguments; 77 if the BEAM cannot be
# installed (the CTest check reports that as not run).
source "$(dirname "$0")/lib.sh"

usage() {
  cat <<'EOF'
Usage: scripts/bench_beam_dist.sh [options]
  --seconds S      workload A's measured time (default 3, 1..60)
  --roundtrips M   workload B's round trips (default 20000, 1..1000000; stops after 20 s)
  --schedulers N   schedulers per node, +S N:N (default 1)
  --payload BYTES  binary in each message (default 64, 0..65536: the window holds 10,000 of them)
  --reps R         repetitions on the same two nodes; each figure is the median (default 1)
  -h, --help       this text
Workload A: a process on node 1 sends {msg, Payload} to a process on node 2, which
acks every 1000; at most 10 batches unacked. Reported: messages per second
received at node 2 (after a warm-up of min(0.5 s, S/4)).
Workload B: ping-pong of {ping, From, Payload} between node 1 and node 2;
p50/p90/p99 of the round trip in microseconds (erlang:monotonic_time).
EOF
}

seconds=3 roundtrips=20000 schedulers=1 payload=64 reps=1
# set_opt NAME VALUE MIN MAX: an integer option within bounds, or exit 2.
set_opt() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    echo "bench_beam_dist: --$1 wants an integer in $3..$4, got '$2'" >&2
    exit 2
  fi
  printf -v "$1" '%d' "$2"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds|--roundtrips|--schedulers|--payload|--reps)
      [ $# -ge 2 ] || { echo "bench_beam_dist: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --seconds) set_opt seconds "$2" 1 60 ;;
        --roundtrips) set_opt roundtrips "$2" 1 1000000 ;;
        --schedulers) set_opt schedulers "$2" 1 64 ;;
        --payload) set_opt payload "$2" 0 65536 ;;
        --reps) set_opt reps "$2" 1 20 ;;
      esac
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_beam_dist: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

# Only the BEAM is needed: erlang-base has erl, erlc, epmd and the kernel's
# inet_tcp_dist, which is all that -sname distribution uses.
DEPS=(erlang-base)
if ! ensure_deps; then
  echo "bench_beam_dist: erlang-base could not be installed" >&2
  exit 77
fi
for tool in erl erlc epmd; do
  command -v "$tool" >/dev/null || { echo "bench_beam_dist: no $tool" >&2; exit 77; }
done

work="$(mktemp -d)"
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p kids=()
  for p in "${pids[@]}"; do
    mapfile -t -O "${#kids[@]}" kids < <(pgrep -P "$p" || true)
  done
  pids+=("${kids[@]}")
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  # A node stops on SIGTERM within a second or so; bounded, then SIGKILL.
  local alive
  for _ in $(seq 50); do
    alive=0
    for p in "${pids[@]}"; do
      if [ -n "$(ps -o stat= -p "$p" 2>/dev/null | grep -v Z)" ]; then alive=1; fi
    done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  # On a line of its own: a node stopped while it starts may have written
  # half a line ("register/listen error: ") to the same stderr.
  printf '\nbench_beam_dist: stopped pids %s\n' "${pids[*]}" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

erlc -o "$work" "$ROOT/tests/bench/beam/beam_dist.erl"

# A private epmd on a free loopback port, so that nothing else's epmd (or node)
# is used or stopped. The nodes find it through ERL_EPMD_PORT.
export ERL_EPMD_ADDRESS=127.0.0.1
for _ in $(seq 10); do
  port=$((20000 + RANDOM % 40000))
  epmd -port "$port" -address 127.0.0.1 &
  epmd_pid=$!
  for _ in $(seq 30); do
    kill -0 "$epmd_pid" 2>/dev/null || break
    epmd -port "$port" -names >/dev/null 2>&1 && break
    sleep 0.1
  done
  if kill -0 "$epmd_pid" 2>/dev/null && epmd -port "$port" -names >/dev/null 2>&1; then
    pids+=("$epmd_pid")
    break
  fi
  kill "$epmd_pid" 2>/dev/null || true
  wait "$epmd_pid" 2>/dev/null || true
  epmd_pid=""
done
[ -n "$epmd_pid" ] || { echo "bench_beam_dist: could not start epmd" >&2; exit 1; }
export ERL_EPMD_PORT="$port"

tag="bdist$$"
cookie="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
node=(erl -noshell -noinput +Bd -setcookie "c$cookie" -start_epmd false
      -kernel inet_dist_use_interface '{127,0,0,1}' +S "$schedulers:$schedulers" -pa "$work")

# Node 2's own output (a log line if it is stopped) goes to stderr, so that the
# RESULT line stays the last line of stdout.
"${node[@]}" -sname "${tag}b@localhost" >&2 &
pids+=($!)
for _ in $(seq 100); do
  epmd -port "$port" -names 2>/dev/null | grep -q "^name ${tag}b " && break
  sleep 0.1
done
epmd -port "$port" -names 2>/dev/null | grep -q "^name ${tag}b " ||
  { echo "bench_beam_dist: node 2 did not start" >&2; exit 1; }

"${node[@]}" -sname "${tag}a@localhost" -eval 'beam_dist:main()' \
  -extra "${tag}b@localhost" "$seconds" "$roundtrips" "$payload" "$reps" &
node1=$!
pids+=("$node1")
echo "bench_beam_dist: started pids ${pids[*]} (epmd port $port, nodes ${tag}a, ${tag}b," \
     "+S $schedulers:$schedulers, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
# In the background and waited for, so that Ctrl-C reaches the trap at once.
rc=0
wait "$node1" || rc=$?
[ "$rc" -eq 0 ] || { echo "bench_beam_dist: node 1 exited $rc" >&2; exit 1; }
