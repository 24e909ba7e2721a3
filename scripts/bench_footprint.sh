#!/usr/bin/env bash
# Footprint: the stripped size of the actormq binary (dynamic build, and the
# static one of -DACTORMQ_STATIC=ON) and of mosquitto's, with the shared
# libraries each loads; resident memory (VmRSS) of an idle broker a few
# seconds after its start with no client, and while it holds N idle 3.1.1
# connections (mqttbench conn). actormq runs with the configuration the
# Debian package installs (packaging/actormq.json: LMDB store, schedulers one
# per core) and with data_dir none; mosquitto with a minimal configuration
# (a loopback listener, anonymous clients, no persistence). Both on an
# ephemeral loopback port. Medians of --reps runs.
#
#   scripts/bench_footprint.sh [--connections N] [--reps R] [--build-dir DIR]
#                              [--static-dir DIR | --no-static]
#
# Prints one line per figure; BENCHMARKS.md ("Footprint") records a run.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

connections=1000
reps=3
build_dir="$ROOT/build"
static_dir="$ROOT/build-static"
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) connections="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --static-dir) static_dir="$2"; shift ;;
    --no-static) static_dir="" ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--connections N] [--reps R] [--build-dir DIR] [--static-dir DIR | --no-static]" >&2; exit 2 ;;
  esac
  shift
done

ensure_deps
bench_build "$build_dir" mqttbench actormq
if [ -n "$static_dir" ]; then
  [ -f "$static_dir/build.ninja" ] ||
    cmake -S "$ROOT" -B "$static_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DACTORMQ_STATIC=ON >&2
  cmake --build "$static_dir" --target actormq >&2
fi
BENCH="$build_dir/tests/bench/mqttbench"
work="$(mktemp -d /tmp/actormq-bench-footprint.XXXXXX)"
broker_pid=""
cleanup() {
  stop_broker KILL
  rm -rf "$work"
}
trap cleanup EXIT

# size NAME BINARY: stripped size, and the total of the shared libraries it loads.
size() {
  local name="$1" bin="$2"
  strip -o "$work/stripped" "$bin"
  local own libs
  own=$(stat -c %s "$work/stripped")
  libs=$({ ldd "$bin" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | xargs -r readlink -f |
         xargs -r stat -c %s | awk '{s += $1} END {print s + 0}')
  echo "size $name stripped_bytes=$own shared_libraries_bytes=$libs"
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# start NAME PORT: the broker on 127.0.0.1:PORT, files in $work; sets broker_pid.
start() {
  local name="$1" port="$2"
  rm -rf "$work/data"
  case "$name" in
    mosquitto)
      printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$work/mosquitto.conf"
      "$MOSQUITTO" -c "$work/mosquitto.conf" >"$work/broker.log" 2>&1 &
      ;;
    actormq-packaged) "$build_dir/core/actormq" --config "$ROOT/packaging/actormq.json" --port "$port" \
                        --data-dir "$work/data" >"$work/broker.log" 2>&1 & ;;
    actormq-memory) "$build_dir/core/actormq" --config "$ROOT/packaging/actormq.json" --port "$port" \
                      --data-dir none >"$work/broker.log" 2>&1 & ;;
    actormq-static-packaged) "$static_dir/core/actormq" --config "$ROOT/packaging/actormq.json" --port "$port" \
                               --data-dir "$work/data" >"$work/broker.log" 2>&1 & ;;
  esac
  broker_pid=$!
  wait_listening "$port" "$work/broker.log"
}

# rss NAME: idle RSS (kB) 2 s after the start (and of it RssAnon, the
# process's own pages: the rest is mapped files, shared libraries mostly),
# and RSS holding $connections idle clients.
rss() {
  local name="$1" idle=() anon=() held=() port out
  for _ in $(seq "$reps"); do
    port=$(free_port)
    start "$name" "$port"
    sleep 2
    idle+=("$(awk '/^VmRSS:/ {print $2}' "/proc/$broker_pid/status")")
    anon+=("$(awk '/^RssAnon:/ {print $2}' "/proc/$broker_pid/status")")
    out=$("$BENCH" conn -p "$port" -n "$connections" --hold 2 --broker-pid "$broker_pid" -q | grep '^RESULT')
    held+=("$(sed -n 's/.* broker_rss_hold_kb=\([0-9]*\).*/\1/p' <<<"$out")")
    grep -q ' failed=0 ' <<<"$out" || { echo "$name: connections failed: $out" >&2; exit 1; }
    stop_broker TERM
  done
  echo "rss $name idle_kb=$(printf '%s\n' "${idle[@]}" | median)" \
       "idle_anon_kb=$(printf '%s\n' "${anon[@]}" | median)" \
       "with_${connections}_idle_connections_kb=$(printf '%s\n' "${held[@]}" | median) runs=$reps"
}

size actormq "$build_dir/core/actormq"
[ -n "$static_dir" ] && size actormq-static "$static_dir/core/actormq"
size mosquitto "$MOSQUITTO"
rss actormq-packaged
rss actormq-memory
[ -n "$static_dir" ] && rss actormq-static-packaged
rss mosquitto
