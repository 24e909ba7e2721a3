# Shared by the benchmark scripts (bench.sh, bench_tls.sh, bench_persist.sh):
# building the two binaries, the broker process, and the table in
# BENCHMARKS.md. Sourced after lib.sh; the caller keeps the broker's pid in
# $broker_pid.

MOSQUITTO=/usr/sbin/mosquitto

# bench_build DIR TARGET...: configures DIR once (Release) and builds only the
# targets named (other folders may be mid-change).
bench_build() {
  local dir="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  fi
  cmake --build "$dir" --target "$@" >&2
}

# bench_context: sets $machine ("kernel arch; N cores (CPU model)") and
# $mosq_version (of $MOSQUITTO, or empty) for a table's header.
bench_context() {
  machine="$(uname -srm); $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"
  mosq_version="$("$MOSQUITTO" -h 2>&1 | sed -n 's/^mosquitto version \([^ ]*\).*/\1/p' | head -1 || true)"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_listening PORT LOG [TRIES] [INTERVAL]: returns once PORT accepts while
# $broker_pid runs; otherwise prints LOG and fails.
wait_listening() {
  local port="$1" log="$2" tries="${3:-100}" interval="${4:-0.05}"
  for _ in $(seq "$tries"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep "$interval"
  done
  echo "the broker did not start on port $port:" >&2
  cat "$log" >&2
  return 1
}

# start_bench_broker NAME PORT [MOSQUITTO_LINES] [ACTORMQ_TYPE ACTORMQ_FIELDS]:
# mosquitto or actormq on 127.0.0.1:PORT with the same fair settings (no
# persistence, queues and in-flight windows large enough that neither
# broker's defaults, 1000 queued and 20 in flight for mosquitto, decide the
# figures), files in $work. The optional arguments make the listener a TLS one:
# lines for mosquitto's listener, actormq's listener type and extra JSON fields.
# Sets broker_pid and returns once the port accepts.
start_bench_broker() {
  local name="$1" port="$2" mosq_extra="${3:-}" type="${4:-tcp}" fields="${5:-}"
  case "$name" in
    mosquitto)
      cat >"$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
$mosq_extra
allow_anonymous true
persistence false
max_connections -1
max_queued_messages 100000
max_inflight_messages 0
set_tcp_nodelay true
CONF
      "$MOSQUITTO" -c "$work/mosquitto.conf" >"$work/broker.log" 2>&1 &
      ;;
    actormq|baseline)
      local bin="$ACTORMQ"
      [ "$name" = baseline ] && bin="$BASELINE"
      rm -rf "$work/data"
      cat >"$work/actormq.json" <<CONF
{"listeners": [{"type": "$type", "bind": "127.0.0.1", "port": $port$fields}],
 "allow_anonymous": true, "durability": "none", "data_dir": "$work/data",
 "max_queued_messages": 100000, "max_inflight_messages": 65535, "log_level": "warning"}
CONF
      "$bin" --config "$work/actormq.json" >"$work/broker.log" 2>&1 &
      ;;
  esac
  broker_pid=$!
  wait_listening "$port" "$work/broker.log"
}

# stop_broker [SIGNAL]: ends $broker_pid (TERM by default) and waits for it.
stop_broker() {
  if [ -n "${broker_pid:-}" ]; then
    kill "-${1:-TERM}" "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
  fi
}

# write_bench_table SCRIPT MODE TABLE [HEADING]: puts TABLE into BENCHMARKS.md
# between the SCRIPT:MODE marker comments, or appends it (under HEADING) the
# first time.
write_bench_table() {
  BENCH_MD="$ROOT/BENCHMARKS.md" SCRIPT="$1" MODE="$2" TABLE="$3" HEADING="${4:-}" /usr/bin/python3 - <<'PY'
import os, re
path, table = os.environ['BENCH_MD'], os.environ['TABLE']
tag = f"{os.environ['SCRIPT']}:{os.environ['MODE']}"
begin, end = f'<!-- {tag}:begin -->', f'<!-- {tag}:end -->'
text = open(path).read() if os.path.exists(path) else '# Benchmarks\n'
block = f'{begin}\n{table}\n{end}'
if begin in text and end in text:
    text = re.sub(re.escape(begin) + '.*?' + re.escape(end), lambda _: block, text, flags=re.S)
else:
    heading = os.environ['HEADING']
    text = text.rstrip('\n') + '\n\n' + (heading + '\n\n' if heading else '') + block + '\n'
open(path, 'w').write(text)
PY
  echo "table written to BENCHMARKS.md ($2)" >&2
}
