#!/usr/bin/env bash
# What operations cost the broker: bench.sh's fan-in (8 publishers, 1
# subscriber, QoS 0, 64 B) against actormq alone, and the same while /metrics
# is scraped and /api/v1/clients listed once a second each (curl, over the
# broker's http listener, Basic auth). Runs alternate, each a fresh broker, so
# both kinds see the same noisy minutes; medians over --reps pairs.
#
#   scripts/bench_scrape.sh [--reps N] [--seconds S] [--build-dir DIR]
#
# Prints one RESULT line: plain and scraped msgs/s and the cost in percent.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench_lib.sh"

reps=5
seconds=10
build_dir="$ROOT/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    *) echo "usage: $0 [--reps N] [--seconds S] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done

DEPS+=(curl)
ensure_deps
bench_build "$build_dir" mqttbench actormq
BENCH="$build_dir/tests/bench/mqttbench"
ACTORMQ="$build_dir/core/actormq"
work="$(mktemp -d /tmp/actormq-scrape.XXXXXX)"
broker_pid=""
scraper_pid=""
cleanup() {
  [ -n "$scraper_pid" ] && kill "$scraper_pid" 2>/dev/null
  stop_broker KILL
  rm -rf "$work"
}
trap cleanup EXIT

mosquitto_passwd -b -c "$work/passwd" ops secret >/dev/null 2>&1

# One run: a fresh broker with an MQTT and an http listener; with `scrape`,
# the two requests a second while the load runs. Prints msgs_per_s.
run_once() {
  local mode="$1" port http
  port="$(free_port)"
  http="$(free_port)"
  rm -rf "$work/data"
  cat >"$work/actormq.json" <<CONF
{"listeners": [{"type": "tcp", "bind": "127.0.0.1", "port": $port},
               {"type": "http", "bind": "127.0.0.1", "port": $http, "password_file": "$work/passwd",
                "admin_users": ["ops"]}],
 "allow_anonymous": true, "durability": "none", "data_dir": "$work/data",
 "max_queued_messages": 100000, "max_inflight_messages": 65535, "log_level": "warning"}
CONF
  "$ACTORMQ" --config "$work/actormq.json" >"$work/broker.log" 2>&1 &
  broker_pid=$!
  wait_listening "$port" "$work/broker.log"
  if [ "$mode" = scrape ]; then
    (
      for _ in $(seq $((seconds + 5))); do
        curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$http/metrics"
        curl -s -o /dev/null -w '%{http_code}\n' -u ops:secret "http://127.0.0.1:$http/api/v1/clients?limit=100"
        sleep 1
      done
    ) >"$work/codes" &
    scraper_pid=$!
  fi
  local out
  out="$("$BENCH" fanin -P 8 -S 1 -Q 0 -s 64 -d "$seconds" -p "$port" -q)"
  if [ -n "$scraper_pid" ]; then
    kill "$scraper_pid" 2>/dev/null
    wait "$scraper_pid" 2>/dev/null || true
    scraper_pid=""
    # Every request answered 200, or the figure measures nothing.
    if grep -qv '^200$' "$work/codes" || ! grep -q '^200$' "$work/codes"; then
      echo "a scrape was not answered 200: $(sort "$work/codes" | uniq -c | tr '\n' ' ')" >&2
      exit 1
    fi
  fi
  stop_broker
  echo "$out" | grep '^RESULT ' | tr ' ' '\n' | sed -n 's/^msgs_per_s=//p'
}

plain=()
scraped=()
for i in $(seq "$reps"); do
  plain+=("$(run_once plain)")
  scraped+=("$(run_once scrape)")
  echo "round $i: plain ${plain[-1]} msgs/s, scraped ${scraped[-1]} msgs/s" >&2
done

/usr/bin/python3 - "${plain[*]}" "${scraped[*]}" <<'PY'
import statistics, sys
plain = [float(x) for x in sys.argv[1].split()]
scraped = [float(x) for x in sys.argv[2].split()]
p, s = statistics.median(plain), statistics.median(scraped)
print(f"RESULT bench=scrape scenario=fanin_q0 reps={len(plain)} plain_msgs_per_s={p:.0f} "
      f"scraped_msgs_per_s={s:.0f} cost_pct={100 * (1 - s / p):.2f}")
PY
