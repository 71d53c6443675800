#!/usr/bin/env bash
# Fuzzes one reader of untrusted input with libFuzzer + ASan + UBSan: scripts/fuzz.sh TARGET SECONDS,
# or `all` to run every target for SECONDS each, as many at once as there are cores (each fuzzer is
# single-threaded). Targets: nam_file model_config data_config dataset_json learning_config audio
# knob_automation (fuzz/README.md). Builds build-fuzz with clang on first use. New inputs go to
# build-fuzz/corpus/TARGET (the seeds in fuzz/corpus/TARGET are only read); a crash leaves
# build-fuzz/artifacts/TARGET-crash-* and exits non-zero. Prints the executions run and the coverage
# reached.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(nam_file model_config data_config dataset_json learning_config audio knob_automation)
[ $# -eq 2 ] || { echo "usage: scripts/fuzz.sh TARGET|all SECONDS (targets: ${targets[*]})"; exit 2; }
target="$1"
seconds="$2"
[[ "$target" == all || " ${targets[*]} " == *" $target "* ]] ||
  { echo "fuzz.sh: unknown target '$target' (targets: ${targets[*]})"; exit 2; }

dir=build-fuzz
# The build happens once, here, even for `all`: the runs below share one build folder, and two
# builds of it at once would race.
if [ -z "${NAMK_FUZZ_BUILT:-}" ]; then
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DNAMK_FUZZ=ON \
      -DNAMK_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
      >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  fi
  if [ "$target" = all ]; then build_targets=("${targets[@]/#/fuzz_}"); else build_targets=("fuzz_$target"); fi
  cmake --build "$dir" -j "$(nproc)" --target "${build_targets[@]}" -- --no-print-directory >"$dir.build.log" 2>&1 ||
    { grep -E -A5 "error|Error" "$dir.build.log" | head -60; echo "fuzz build failed: see $dir.build.log"; exit 1; }
fi
if [ "$target" = all ]; then
  # xargs exits non-zero when any run does; each run prints its own verdict.
  printf '%s\n' "${targets[@]}" | NAMK_FUZZ_BUILT=1 xargs -P "$(nproc)" -I{} bash "$0" {} "$seconds"
  exit 0
fi

mkdir -p "$dir/corpus/$target" "$dir/artifacts"
log="$dir/fuzz_$target.log"
# rss_limit: a reader that tries to allocate beyond this on a small input is a finding.
status=0
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=fuzz/ubsan.supp ASAN_OPTIONS=detect_leaks=1 \
  "$dir/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=16384 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$dir/artifacts/$target-" "$dir/corpus/$target" "fuzz/corpus/$target" \
  >"$log" 2>&1 || status=$?
runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' || true)
cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]*' | awk '{print $2}' || true)
features=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'ft: [0-9]*' | awk '{print $2}' || true)
if [ "$status" -ne 0 ]; then
  grep -E -A30 "ERROR|runtime error|deadly signal|Uncaught" "$log" | head -60
  echo "fuzz.sh: $target FAILED after ${runs:-?} executions (log: $log)"
  exit 1
fi
echo "fuzz.sh: $target: ${runs:-?} executions in $seconds s, coverage ${cov:-?} edges, ${features:-?} features, 0 crashes"
