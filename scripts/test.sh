#!/usr/bin/env bash
# README command 2: install what is missing, build, and run the whole test suite three times: a
# Release build, a Release build for this CPU (NAMK_NATIVE: the AVX-512 and FMA kernel paths, which
# the portable build never takes), then an AddressSanitizer + UndefinedBehaviorSanitizer build.
# Exit code = test result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

start=$(date +%s)
bash scripts/build.sh build
(cd build && ctest --output-on-failure -j "$(nproc)")

bash scripts/build.sh build-native -DNAMK_NATIVE=ON -DNAMK_BUILD_DOUBLE=OFF
(cd build-native && ctest --output-on-failure -j "$(nproc)")

# The sanitizer build runs at -O1 with debug info (fast enough for the suite, exact stack traces)
# and without the double twins: their gradient checks run above, and the float suites cover the
# same code under the sanitizers.
bash scripts/build.sh build-asan -DNAMK_SANITIZE=ON -DNAMK_BUILD_DOUBLE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)")
echo "test.sh: release, native and sanitizer suites passed in $(( $(date +%s) - start )) s"
