#!/usr/bin/env bash
# Install what is missing, build from scratch if needed, run every test through
# CTest. --sanitize builds and runs the same tests under ASan+UBSan; --tsan
# builds under ThreadSanitizer and runs the unit tests (the runtime's threads
# meet there; the integration tests drive the same code from outside).
# --aarch64 cross-builds the broker and its unit tests for 64-bit ARM
# (Debian's cross compiler, the arm64 multiarch libraries), linked
# statically, and runs the unit tests under qemu-user. --openssl builds the
# listeners' TLS on OpenSSL 3 (-DACTORMQ_TLS=openssl, README: TLS backends)
# and runs every test against it. --mimalloc links the broker with mimalloc
# (-DACTORMQ_ALLOCATOR=mimalloc, README: Allocator) and runs every test.
source "$(dirname "$0")/lib.sh"
dir="$ROOT/build"
args=(-DCMAKE_BUILD_TYPE=Release)
select=()
for a in "$@"; do
  case "$a" in
    --sanitize) dir="$ROOT/build-asan"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DACTORMQ_SANITIZE=ON) ;;
    --tsan) dir="$ROOT/build-tsan"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DACTORMQ_TSAN=ON)
            select=(-E '^integration_|bench_smoke') ;;
    --openssl) dir="$ROOT/build-openssl"; args=(-DCMAKE_BUILD_TYPE=Release -DACTORMQ_TLS=openssl)
               DEPS+=(libssl-dev) ;;
    --mimalloc) dir="$ROOT/build-mimalloc"; args=(-DCMAKE_BUILD_TYPE=Release -DACTORMQ_ALLOCATOR=mimalloc)
                DEPS+=(libmimalloc-dev) ;;
    --aarch64) dir="$ROOT/build-aarch64"
               # Under qemu-user 7.2 (Debian 12) a dynamically linked aarch64
               # program hangs in its first pthread_create (five lines show it;
               # a static one runs): the binary and the unit tests are linked
               # statically (without ws/wss: Debian has no static libwslay).
               # The integration tests and benchmarks stay on the build machine.
               args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake"
                     -DACTORMQ_STATIC=ON -DACTORMQ_STATIC_TESTS=ON)
               select=(-E '^integration_|_smoke$|^package_')
               DEPS+=(g++-aarch64-linux-gnu qemu-user libc6-dev:arm64 libuv1-dev:arm64 libmbedtls-dev:arm64
                      liblmdb-dev:arm64 libwslay1:arm64)
               if ! dpkg --print-foreign-architectures | grep -qx arm64; then
                 sudo=""
                 [ "$(id -u)" -eq 0 ] || sudo="sudo"
                 $sudo dpkg --add-architecture arm64  # ensure_deps then updates the package lists
               fi ;;
    *) echo "usage: $0 [--sanitize | --tsan | --aarch64 | --openssl | --mimalloc]" >&2; exit 2 ;;
  esac
done
ensure_deps
# A build from scratch compiles the libraries in unity batches (CMakeLists.txt: ACTORMQ_UNITY).
build "$dir" "${args[@]}" -DACTORMQ_UNITY=ON
cd "$dir"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp"
ctest --output-on-failure -j "$(nproc)" --timeout 300 "${select[@]}"
