#!/usr/bin/env bash
# The Debian package end to end, as root on this machine: build it with
# scripts/package.sh, dpkg -i, check the files, user, data directory and
# systemd unit, run the installed binary as the unit does (user actormq, the
# installed config; the port overridden to an ephemeral one, never 1883, and
# no systemctl), publish and subscribe with mosquitto_pub/sub, SIGHUP and
# SIGTERM it, then dpkg -r and dpkg -P and check that nothing is left.
# Exit 77 (a CTest skip) without root or the tools, where systemd runs (the
# package would start its service), or when the machine already has an
# actormq package, user or directory this test would remove.
# Usage: test_package.sh BUILD_DIR
set -uo pipefail
build_dir="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i)"
for tool in dpkg dpkg-deb dpkg-query systemd-analyze cpack mosquitto_pub mosquitto_sub setpriv flock python3; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done

# Where systemd runs, dpkg -i would start the service on port 1883.
[ -d /run/systemd/system ] && skip "systemd is running here: installing would start actormq.service on port 1883"

# One run at a time on the machine, whichever build directory it comes from.
mkdir -p /run/lock
exec 9>/run/lock/actormq-package-test.lock
flock -w 50 9 || { echo "FAIL: another package test holds the lock"; exit 1; }

state="$(dpkg-query -W -f='${db:Status-Status}' actormq 2>/dev/null || true)"
[ -z "$state" ] || [ "$state" = not-installed ] || skip "package actormq is on this machine ($state); not touching it"
getent passwd actormq >/dev/null && skip "user actormq exists; not touching it"
getent group actormq >/dev/null && skip "group actormq exists; not touching it"
for d in /etc/actormq /var/lib/actormq /usr/bin/actormq; do
  [ -e "$d" ] && skip "$d exists; not touching it"
done

work="$(mktemp -d)"
broker_pid=""
cleanup() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill -KILL "$broker_pid" 2>/dev/null
    wait "$broker_pid" 2>/dev/null
  fi
  # Purged whatever happened, so that the machine is left as it was found.
  local s
  s="$(dpkg-query -W -f='${db:Status-Status}' actormq 2>/dev/null || true)"
  if [ -n "$s" ] && [ "$s" != not-installed ]; then
    dpkg_run -P actormq >/dev/null
  fi
  # None of these existed before the test (checked above): a purge that
  # failed to remove them has been reported; they go all the same.
  getent passwd actormq >/dev/null && userdel actormq
  getent group actormq >/dev/null && groupdel actormq
  rm -rf /etc/actormq /var/lib/actormq "$work"
}
trap cleanup EXIT

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAIL: $what"
    failures=$((failures + 1))
  fi
}
# dpkg refuses to run while another dpkg or apt holds its lock: wait for it.
dpkg_run() {
  local i out
  for i in $(seq 1 30); do
    if out="$(dpkg "$@" 2>&1)"; then
      echo "$out"
      return 0
    fi
    grep -q 'lock' <<<"$out" || { echo "$out" >&2; return 1; }
    sleep 1
  done
  echo "$out" >&2
  return 1
}

deb="$(bash "$root/scripts/package.sh" --no-build --build-dir "$build_dir" --output "$work" 2>"$work/cpack.log")" || {
  cat "$work/cpack.log"; echo "FAIL: scripts/package.sh"; exit 1; }
echo "package: $(basename "$deb")"
check "package's conffiles list the config" \
  bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/actormq/actormq.json"

dpkg_run -i "$deb" >"$work/install.log" || { cat "$work/install.log"; echo "FAIL: dpkg -i"; exit 1; }

check "binary installed" test -x /usr/bin/actormq
check "config installed" test -f /etc/actormq/actormq.json
check "config listens on 1883 and stores in /var/lib/actormq" \
  bash -c 'grep -q "\"port\": 1883" /etc/actormq/actormq.json && grep -q "\"data_dir\": \"/var/lib/actormq\"" /etc/actormq/actormq.json'
check "unit installed" test -f /lib/systemd/system/actormq.service
check "system user actormq" bash -c '[ "$(id -u actormq)" -lt 1000 ] && [ "$(id -gn actormq)" = actormq ]'
check "data directory owned by actormq, mode 750" \
  bash -c '[ "$(stat -c %U:%G:%a /var/lib/actormq)" = actormq:actormq:750 ]'
check "unit enabled" test -L /etc/systemd/system/multi-user.target.wants/actormq.service
unit=/lib/systemd/system/actormq.service
for line in User=actormq Restart=on-failure 'ExecReload=/bin/kill -HUP $MAINPID' KillSignal=SIGTERM \
            NoNewPrivileges=yes 'ExecStart=/usr/bin/actormq --config /etc/actormq/actormq.json'; do
  check "unit has $line" grep -qxF "$line" "$unit"
done
check "unit has LimitNOFILE" grep -q '^LimitNOFILE=[0-9]' "$unit"
check "systemd-analyze verify accepts the unit" bash -c "systemd-analyze verify '$unit' >'$work/verify.log' 2>&1"
[ -s "$work/verify.log" ] && cat "$work/verify.log"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
start_broker() {  # as the unit runs it, on $port
  (cd /var/lib/actormq && exec setpriv --reuid=actormq --regid=actormq --clear-groups \
     /usr/bin/actormq --config /etc/actormq/actormq.json --port "$port") >>"$work/broker.log" 2>&1 &
  broker_pid=$!
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$broker_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_broker() {  # SIGTERM; true if it exits 0 within 10 s
  kill -TERM "$broker_pid"
  local i
  for i in $(seq 1 100); do
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  wait "$broker_pid"
  local rc=$?
  broker_pid=""
  [ "$rc" -eq 0 ]
}
if start_broker; then
  echo "ok: installed broker started on 127.0.0.1:$port as $(ps -o user= -p "$broker_pid")"
  check "runs as actormq" bash -c "[ \"\$(ps -o user= -p $broker_pid)\" = actormq ]"
  mosquitto_sub -p "$port" -t pkg/live -C 1 -W 10 -q 1 >"$work/live.out" 2>&1 &
  sub_pid=$!
  sleep 0.5
  mosquitto_pub -p "$port" -t pkg/live -m hello -q 1
  mosquitto_pub -p "$port" -t pkg/kept -m stored -q 1 -r
  wait "$sub_pid"
  check "subscriber got the publish" grep -qx hello "$work/live.out"
  kill -HUP "$broker_pid"
  sleep 0.5
  check "SIGHUP reloads and the broker goes on" \
    bash -c "kill -0 $broker_pid && grep -q 'received SIGHUP; reloading' '$work/broker.log' && mosquitto_pub -p $port -t pkg/after-hup -m x"
  check "SIGTERM stops it with exit code 0" stop_broker
  check "SIGTERM logged" grep -q 'received SIGTERM; stopping' "$work/broker.log"
  check "store written in /var/lib/actormq as actormq" bash -c '[ "$(stat -c %U /var/lib/actormq/data.mdb)" = actormq ]'
  if start_broker; then
    check "retained message kept across the restart" \
      bash -c "[ \"\$(mosquitto_sub -p $port -t pkg/kept -C 1 -W 5)\" = stored ]"
    check "SIGTERM stops it again" stop_broker
  else
    check "installed broker restarts" false
  fi
else
  check "installed broker starts" false
fi
[ "$failures" -eq 0 ] || cat "$work/broker.log"

dpkg_run -r actormq >"$work/remove.log" || { cat "$work/remove.log"; failures=$((failures + 1)); }
check "remove: binary gone" test ! -e /usr/bin/actormq
check "remove: unit gone" test ! -e /lib/systemd/system/actormq.service
check "remove: config kept" test -f /etc/actormq/actormq.json
check "remove: data and user kept" bash -c 'test -d /var/lib/actormq && getent passwd actormq >/dev/null'

dpkg_run -P actormq >"$work/purge.log" || { cat "$work/purge.log"; failures=$((failures + 1)); }
check "purge: package gone" \
  bash -c '[ -z "$(dpkg-query -W -f="\${db:Status-Status}" actormq 2>/dev/null | grep -v not-installed)" ]'
check "purge: /etc/actormq gone" test ! -e /etc/actormq
check "purge: /var/lib/actormq gone" test ! -e /var/lib/actormq
check "purge: user and group gone" bash -c '! getent passwd actormq && ! getent group actormq'
check "purge: no unit links left" \
  bash -c '[ -z "$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked -name "*actormq*" 2>/dev/null)" ]'

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "package test passed"
