# Shared by run.sh, test.sh and the benchmark scripts: install what is missing,
# configure and build. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Build dependencies, then the peers that tests and benchmarks drive.
DEPS=(cmake g++ ninja-build pkg-config libuv1-dev libmbedtls-dev nlohmann-json3-dev
      liblmdb-dev doctest-dev libcli11-dev libwslay-dev
      mosquitto mosquitto-clients python3-paho-mqtt erlang-base procps iproute2 openssl
      systemd    # systemd-analyze, for the package test's unit check
      chromium)  # headless, for the dashboard's browser test

ensure_deps() {
  local missing=()
  for p in "${DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # Debian's mosquitto package may start a system broker on 1883; tests and
  # benchmarks start their own on ephemeral ports, so it is left as it is.
}

# build DIR [extra cmake args...]: configure once, then incremental builds.
build() {
  local dir="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >&2
  fi
  cmake --build "$dir" -j "$(nproc)" >&2
}
