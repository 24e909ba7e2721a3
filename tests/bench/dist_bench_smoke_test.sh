#!/usr/bin/env bash
# dist_bench briefly: two nodes link, both workloads finish, the RESULT line
# holds four positive figures, and the receiving node ends by itself.
set -u
bench="$1"
out="$(mktemp)"
"$bench" receive --max-seconds 60 >"$out" 2>/dev/null &
receiver=$!
trap 'kill $receiver 2>/dev/null; rm -f "$out"' EXIT
ready=""
for _ in $(seq 1 200); do
  ready="$(grep -m1 '^READY' "$out" || true)"
  [ -n "$ready" ] && break
  sleep 0.05
done
[ -n "$ready" ] || { echo "FAIL: the receiving node printed no READY line"; exit 1; }
read -r _ port pid <<<"$ready"
line="$("$bench" send --port "$port" --to "$pid" --seconds 1 --roundtrips 500 2>/dev/null | grep '^RESULT')"
echo "$line"
[[ "$line" =~ ^RESULT\ remote_msgs_per_s=([0-9]+)\ remote_rtt_p50_us=([0-9]+)\ remote_rtt_p90_us=([0-9]+)\ remote_rtt_p99_us=([0-9]+)$ ]] ||
  { echo "FAIL: malformed RESULT line"; exit 1; }
for v in "${BASH_REMATCH[@]:1}"; do
  [ "$v" -gt 0 ] || { echo "FAIL: a figure is zero"; exit 1; }
done
for _ in $(seq 1 100); do
  kill -0 "$receiver" 2>/dev/null || break
  sleep 0.05
done
if kill -0 "$receiver" 2>/dev/null; then
  echo "FAIL: the receiving node did not end after the sender's goodbye"
  exit 1
fi
wait "$receiver"
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: the receiving node exited with $rc"; exit 1; }
echo "ok"
