#!/usr/bin/env bash
# README command 2: install what is missing, build, and run the whole test suite three times: a
# Release build, a Release build for this CPU (NAMK_NATIVE: the AVX-512 and FMA kernel paths, which
# the portable build never takes), then an AddressSanitizer + UndefinedBehaviorSanitizer build; the
# core and nn suites once more on the reference kernels (NAMK_TUNED_KERNELS=OFF), and that build's
# inference-only command renders as the full one does;
# then the C API threads test under ThreadSanitizer, and each fuzz target for 20 seconds.
# Exit code = test result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# ctest -j runs as many tests at once as there are cores, and a training test runs as many OpenMP
# threads: a thread spinning at a barrier (libgomp's default while it waits) takes the core another
# test needs. Waiting passively sleeps instead: a tiny training run beside another process took
# 1.3-1.6 s instead of 2.3-2.5 s. For the tests only; a user's training keeps libgomp's default.
export OMP_WAIT_POLICY=PASSIVE

start=$(date +%s)
# Each stage's wall time, so that the CI budget (45 minutes on 2 cores) can be planned from a log.
stage_start=$start
stage_done() { echo "test.sh: $1 stage: $(( $(date +%s) - stage_start )) s"; stage_start=$(date +%s); }

bash scripts/build.sh build
(cd build && ctest --output-on-failure -j "$(nproc)")
stage_done "portable Release"

# The native build exists for its kernel paths: it leaves out what only exercises processes, signals
# and MPI (labels mpi, soak) and the end-to-end plan-against-grid run (slow), which the portable
# build has just run on the same code.
bash scripts/build.sh build-native -DNAMK_NATIVE=ON -DNAMK_BUILD_DOUBLE=OFF
(cd build-native && ctest --output-on-failure -j "$(nproc)" -LE '^(mpi|soak|slow)$')
stage_done "native"

# The reference kernels: NAMK_TUNED_KERNELS=OFF sends every conv, FFT and STFT call to its plain
# loops (core/kernels/*_reference.cpp), and the core and nn suites must pass on them too, so a tuned
# kernel cannot quietly become the definition. Float, inference libraries only, two test binaries
# (about 120 cases): a few minutes on 2 cores. The render fixtures are left out: they hash the tuned
# kernels' bits (stored for the native build only, so the portable build would skip them anyway).
# Without the LV2 plugin too, as on a machine without its headers: every other build finds them, and
# a command that compiled only beside the plugin (bench's streaming part, until 2026-12) went unseen.
cmake -S . -B build-reference -DCMAKE_BUILD_TYPE=Release -DNAMK_TUNED_KERNELS=OFF -DNAMK_BUILD_TRAINING=OFF \
  -DNAMK_BUILD_DOUBLE=OFF -DNAMK_BUILD_LV2=OFF >build-reference.configure.log 2>&1 || { cat build-reference.configure.log; exit 1; }
cmake --build build-reference -j "$(nproc)" --target namk_core_tests_f32 namk_nn_tests -- --no-print-directory \
  >build-reference.build.log 2>&1 || { tail -40 build-reference.build.log; exit 1; }
(cd build-reference && ctest --output-on-failure -j "$(nproc)" -R '^namk_(core_tests_f32|nn_tests):' \
  -E 'render bit-identically to the stored fixtures')

# render without the training libraries: the reference build above is inference-only, so its
# nam-knobs has render only through audio/ (libsndfile). It renders a knob model and must print an
# ESR of 0.0000 against the Release build's render of the same input (the kernels differ in the
# last bits, not more).
cmake --build build-reference -j "$(nproc)" --target nam-knobs -- --no-print-directory \
  >>build-reference.build.log 2>&1 || { tail -40 build-reference.build.log; exit 1; }
render_args=(--model tests/fixtures/c_api/knob_wavenet.nam --input tests/fixtures/parity/input.flac)
build/apps/nam-knobs render "${render_args[@]}" --output build/inference_render.wav >/dev/null
build-reference/apps/nam-knobs render "${render_args[@]}" --output build-reference/inference_render.wav \
  --reference build/inference_render.wav | tee build-reference/inference_render.log
grep -q 'ESR against .*: 0\.0000$' build-reference/inference_render.log \
  || { echo "test.sh: the inference-only render differs from the full build's"; exit 1; }
stage_done "reference-kernel and inference-only"

# The sanitizer build runs at -O1 with line tables only (-g1: every frame of a report keeps its
# function, file and line; full debug info, -g, about doubled each file's compile time for
# variables and types that no report prints) and without the double twins: their gradient checks
# run above, and the float suites cover the same code under the sanitizers.
bash scripts/build.sh build-asan -DNAMK_SANITIZE=ON -DNAMK_BUILD_DOUBLE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"
# Left out here: the kill soak and the MPI resume-after-kill cases, which exist to check that
# resumed weights are bit-exact (the portable stage checks that) and run through the same code as
# kill_resume, interrupt_resume and mpi_equal, which the sanitizers do see.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)" -E '^nam-knobs:(kill_soak|mpi_resume|mpi_kill)$')
stage_done "sanitizer"

# ThreadSanitizer: only the C API threads test and the inference libraries it links (8 threads, one
# handle each, at once). TSan reports make it exit non-zero.
cmake -S . -B build-tsan -DNAMK_TSAN=ON -DNAMK_BUILD_TRAINING=OFF -DNAMK_BUILD_DOUBLE=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >build-tsan.configure.log 2>&1 \
  || { cat build-tsan.configure.log; exit 1; }
cmake --build build-tsan -j "$(nproc)" --target namk_c_api_threads_test -- --no-print-directory \
  >build-tsan.build.log 2>&1 || { tail -40 build-tsan.build.log; exit 1; }
TSAN_OPTIONS=halt_on_error=1:exitcode=66 build-tsan/tests/c_api/namk_c_api_threads_test tests/fixtures
stage_done "thread-sanitizer"

# Fuzzing (clang's libFuzzer + ASan + UBSan): every target for NAMK_FUZZ_SECONDS (default 20; a
# slice: longer runs are `scripts/fuzz.sh all SECONDS`), as many at once as there are cores, from the
# committed seeds; any crash or sanitizer report fails the run (scripts/fuzz.sh).
bash scripts/fuzz.sh all "${NAMK_FUZZ_SECONDS:-20}"
stage_done "fuzz"
echo "test.sh: release, native, reference-kernel, sanitizer, thread-sanitizer and fuzz suites passed in $(( $(date +%s) - start )) s"
