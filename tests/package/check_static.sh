#!/usr/bin/env bash
# check_static.sh BINARY [--no-websocket]: the binary of an ACTORMQ_STATIC build
# is statically linked (no program interpreter, no needed libraries), starts
# on an ephemeral loopback port, serves a publish to a subscriber and stops
# on SIGTERM with exit code 0. --no-websocket: it was built without libwslay.a,
# and a config with a ws listener must be refused with a message saying so.
set -uo pipefail
bin="$1"
no_ws="${2:-}"
fail() { echo "FAIL: $*"; exit 1; }
for tool in readelf mosquitto_pub mosquitto_sub python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
[ -x "$bin" ] || fail "$bin is not an executable"
readelf -l "$bin" | grep -q 'INTERP' && fail "$bin has a program interpreter (dynamically linked)"
readelf -d "$bin" | grep -q '(NEEDED)' && fail "$bin needs shared libraries: $(readelf -d "$bin" | grep NEEDED)"
echo "ok: $bin is statically linked"

work="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf '{"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": %s}], "data_dir": "none", "schedulers": 1}\n' \
  "$port" >"$work/config.json"
"$bin" --config "$work/config.json" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/log"; fail "the broker exited at start"; }
  sleep 0.1
done
mosquitto_sub -p "$port" -t static/check -C 1 -W 10 >"$work/got" 2>&1 &
sub=$!
sleep 0.5
mosquitto_pub -p "$port" -t static/check -m served
wait "$sub"
grep -qx served "$work/got" || { cat "$work/log" "$work/got"; fail "the subscriber did not get the publish"; }
echo "ok: served a publish on 127.0.0.1:$port"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 0 ] || { cat "$work/log"; fail "exit code $rc after SIGTERM"; }
echo "ok: stopped on SIGTERM"

if [ "$no_ws" = --no-websocket ]; then
  printf '{"listeners": [{"type": "ws", "bind": "127.0.0.1", "port": %s}], "data_dir": "none"}\n' \
    "$port" >"$work/ws.json"
  timeout 10 "$bin" --config "$work/ws.json" >"$work/ws.log" 2>&1
  rc=$?
  [ "$rc" -eq 1 ] && grep -q 'built without WebSocket support' "$work/ws.log" ||
    { cat "$work/ws.log"; fail "a ws listener was not refused clearly (exit code $rc)"; }
  echo "ok: a ws listener is refused: $(grep -o 'ws 127.*' "$work/ws.log" | head -1)"
fi
echo "static binary check passed"
