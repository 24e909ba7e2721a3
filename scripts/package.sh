#!/usr/bin/env bash
# Build the Debian package of the broker with CPack: actormq_<version>_<arch>.deb
# (packaging/: binary, /etc/actormq/actormq.json, the actormq.service unit,
# the actormq user). Prints the package's path on stdout.
#   --static         a statically linked binary (-DACTORMQ_STATIC=ON, build-static/);
#                    checks that it is static and serves a publish before packaging
#   --build-dir DIR  build there (default build/, or build-static/ with --static)
#   --output DIR     where the .deb goes (default the build directory)
#   --no-build       package the build directory as it is (no apt-get, no build)
source "$(dirname "$0")/lib.sh"
static=0 build_dir="" output="" no_build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --static) static=1 ;;
    --build-dir) build_dir="$2"; shift ;;
    --output) output="$2"; shift ;;
    --no-build) no_build=1 ;;
    *) echo "usage: $0 [--static] [--build-dir DIR] [--output DIR] [--no-build]" >&2; exit 2 ;;
  esac
  shift
done
args=(-DCMAKE_BUILD_TYPE=Release)
if [ "$static" = 1 ]; then
  build_dir="${build_dir:-$ROOT/build-static}"
  args+=(-DACTORMQ_STATIC=ON)
else
  build_dir="${build_dir:-$ROOT/build}"
fi
output="${output:-$build_dir}"
if [ "$no_build" = 0 ]; then
  ensure_deps
  if [ "$static" = 1 ]; then
    # Only the binary: the tests and the shared library are the dynamic build's.
    [ -f "$build_dir/build.ninja" ] || cmake -S "$ROOT" -B "$build_dir" -G Ninja "${args[@]}" >&2
    cmake --build "$build_dir" -j "$(nproc)" --target actormq >&2
  else
    build "$build_dir" "${args[@]}"
  fi
fi
if [ "$static" = 1 ]; then
  (cd "$build_dir" && ctest -R '^package_static_binary$' --output-on-failure) >&2
fi
mkdir -p "$output"
cpack --config "$build_dir/CPackConfig.cmake" -B "$output" >&2
rm -rf "$output/_CPack_Packages"
ls -t "$output"/actormq_*.deb | head -1
