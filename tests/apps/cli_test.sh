#!/usr/bin/env bash
# End-to-end tests of the nam-knobs command, as a user runs it: bad inputs exit non-zero with a
# message naming the file and field; a training run killed with SIGKILL at an arbitrary moment
# resumes to the same final weights as an uninterrupted run; render gives identical files at any
# block size; export bakes a knob setting into a plain NAM file.
# Usage: cli_test.sh NAM_KNOBS_BINARY SOURCE_DIR CASE
set -uo pipefail
nk="$1"
src="$2"
case_name="$3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect_error "fragment" command...: the command must fail and print the fragment on stderr.
expect_error() {
  local fragment="$1"
  shift
  if "$@" >"$work/out" 2>"$work/err"; then fail "expected failure: $*"; fi
  grep -qF -- "$fragment" "$work/err" || { cat "$work/err"; fail "message lacks '$fragment': $*"; }
}

# A small dataset and learning schedule, so each training run takes seconds.
make_data() {
  "$nk" synth --out "$work/data" --seconds 4 >/dev/null || fail "synth"
  cat >"$work/learn.json" <<JSON
{"epochs": 4, "steps_per_epoch": 6, "batch_size": 4, "lr": 0.005, "seed": 7, "threads": 2,
 "loss": {"mse": 0, "esr": 1, "pre_emphasis_mrstft": 0}}
JSON
  cat >"$work/model.json" <<JSON
{"architecture": "WaveNet", "config": {"layers": [
  {"input_size": 1, "condition_size": 1, "head_size": 1, "channels": 4, "kernel_size": 3,
   "dilations": [1, 2, 4, 8, 16], "activation": "Tanh", "gated": false, "head_bias": true}],
  "head": null, "head_scale": 0.1}}
JSON
  sed -i 's/"ny": 8192/"ny": 2048/' "$work/data/data.json"
}

train() {  # train OUT [extra args]
  local out="$1"
  shift
  "$nk" train --data "$work/data/data.json" --model "$work/model.json" --learning "$work/learn.json" \
    --out "$out" --quiet "$@"
}

# The same run started in the background with $! the trainer's own pid (a function run with & would
# give the pid of a subshell, and a signal sent there would not reach the trainer).
train_in_background() {  # train_in_background OUT
  "$nk" train --data "$work/data/data.json" --model "$work/model.json" --learning "$work/learn.json" \
    --out "$1" --quiet >/dev/null 2>&1 &
}

# signal_then_resume SIGNAL NAME DELAY: trains in $work/NAME, sends SIGNAL DELAY seconds after its
# first checkpoint exists, resumes it, and requires the weights of the uninterrupted run in
# $work/whole and no temp file left. Sets signalled_status to the signalled run's exit status, or to
# "finished" when it ended before the signal.
signal_then_resume() {
  local dir="$work/$2"
  train_in_background "$dir"
  local pid=$!
  for _ in $(seq 1 600); do
    [ -e "$dir/checkpoint.bin" ] && break
    sleep 0.05
  done
  sleep "$3"
  kill "-$1" "$pid" 2>/dev/null
  signalled_status=0
  wait "$pid" 2>/dev/null || signalled_status=$?
  [ -e "$dir/model.nam" ] && signalled_status=finished
  train "$dir" --resume >/dev/null || fail "resumed run"
  [ "$(weights "$work/whole/model.nam")" = "$(weights "$dir/model.nam")" ] ||
    fail "resumed weights differ from the uninterrupted run's"
  if ls "$dir" | grep -q tmp; then fail "a temp file was left behind"; fi
}

weights() { grep -o '"weights": \[[^]]*\]' "$1"; grep -o '"conditioning_weights": \[[^]]*\]' "$1"; }

case "$case_name" in
  bad_inputs)
    make_data
    expect_error "$work/missing.json" train "$work/r" --data "$work/missing.json"
    echo '{"dataset": "dataset.json", "ny": 8192,' >"$work/data/broken.json"
    expect_error "column" "$nk" train --data "$work/data/broken.json" --model "$work/model.json" --out "$work/r"
    echo '{"epochs": 3, "epoch": 4}' >"$work/bad_learn.json"
    expect_error "unknown key \"epoch\"" "$nk" train --data "$work/data/data.json" --model "$work/model.json" \
      --learning "$work/bad_learn.json" --out "$work/r"
    expect_error "preset" "$nk" train --data "$work/data/data.json" --model nanoo --out "$work/r"
    expect_error "unknown option --epochz" "$nk" train --epochz 3
    expect_error "missing required option --out" "$nk" train --data x.json --model nano
    expect_error "no such file (or it cannot be read)" "$nk" info --model "$work/nothing.nam"
    expect_error "unknown command" "$nk" fly
    expect_error "--loss: expected nam or mse, found 'bogus'" "$nk" bench --loss bogus
    # bench itself, briefly: one kernel figure and one streaming model, as JSON.
    "$nk" bench --section kernels --seconds 0.02 --json >"$work/bench.json" || fail "bench kernels"
    grep -q '"conv1d_c16_k3": {"forward_gflops"' "$work/bench.json" || fail "bench --json has no kernel figure"
    "$nk" bench --section inference --model nano --seconds 0.02 --json >"$work/bench.json" || fail "bench inference"
    grep -q '"model": "nano", "knobs": 2, "block": 2048, "realtime_factor"' "$work/bench.json" ||
      fail "bench --json has no nano streaming figure"
    [ -e "$work/r/model.nam" ] && fail "a failed run wrote a model"
    echo "bad inputs rejected"
    ;;
  kill_resume)
    make_data
    train "$work/whole" >/dev/null || fail "uninterrupted run"
    signal_then_resume KILL killed 0.3
    [ "$signalled_status" = finished ] && echo "note: the run finished before the kill"
    echo "killed run resumed to identical weights"
    ;;
  interrupt_resume)
    make_data
    train "$work/whole" >/dev/null || fail "uninterrupted run"
    # Ctrl-C must checkpoint where the run stands and exit 130 by itself, without a model file.
    signal_then_resume INT stopped 0
    if [ "$signalled_status" = finished ]; then
      echo "note: the run finished before the interrupt"
    else
      [ "$signalled_status" -eq 130 ] || fail "an interrupted run exited with $signalled_status, expected 130"
    fi
    echo "interrupted run checkpointed, exited 130 and resumed to identical weights"
    ;;
  render_export)
    make_data
    train "$work/run" >/dev/null || fail "train"
    for b in 1 7 64 4096; do
      "$nk" render --model "$work/run/model.nam" --input "$work/data/input.wav" --output "$work/r$b.wav" \
        --knob gain=2.5 --knob tone=5 --block "$b" >/dev/null || fail "render block $b"
    done
    for b in 7 64 4096; do cmp -s "$work/r1.wav" "$work/r$b.wav" || fail "block $b differs from block 1"; done
    expect_error "knob model" "$nk" export --model "$work/run/model.nam" --out "$work/plain.nam"
    "$nk" export --model "$work/run/model.nam" --out "$work/plain.nam" --knob gain=2.5 --knob tone=5 >/dev/null ||
      fail "export"
    grep -q '"version": "0.5.4"' "$work/plain.nam" || fail "export is not a NAM 0.5.4 file"
    "$nk" render --model "$work/plain.nam" --input "$work/data/input.wav" --output "$work/plain.wav" \
      --reference "$work/r64.wav" >"$work/out" || fail "render baked"
    esr=$(grep -o 'ESR against [^:]*: [0-9.e-]*' "$work/out" | awk '{print $NF}')
    awk -v e="$esr" 'BEGIN { exit !(e < 1e-6) }' || fail "baked model differs from the knob model (ESR $esr)"
    "$nk" eval --model "$work/run/model.nam" --data "$work/data/data.json" --json >"$work/eval.json" || fail "eval"
    grep -q '"test": {"mean_esr"' "$work/eval.json" || fail "eval --json has no test summary"
    echo "render identical at every block size; baked export matches"
    ;;
  parity_curve)
    # NAM's recipe (the built-in learning config) on the standard model, 12 epochs of an excerpt of
    # the parity pair: 60 steps of 16 windows. The best validation ESR must stay inside a band:
    #   by epoch 6 <= 0.55 and by epoch 12 in [0.05, 0.40].
    # Measured: this trainer 0.41 and 0.29; with the MRSTFT's spectral convergence taken per item
    # instead of over the batch (issue 22) 0.68 and 0.49. Release builds only: the numbers
    # depend on the compiler's rounding, and the band is set for the portable build.
    fixture="$src/tests/fixtures/parity"
    cat >"$work/dataset.json" <<JSON
{"entries": [{"input_file": "$fixture/input.flac", "output_file": "$fixture/output.flac"}]}
JSON
    echo '{"dataset": "dataset.json", "delay": 0, "validation_tail_seconds": 2}' >"$work/data.json"
    "$nk" train --data "$work/data.json" --model standard --epochs 12 --threads 2 --seed 0 \
      --out "$work/run" --quiet >"$work/out" 2>&1 || { cat "$work/out"; fail "train"; }
    csv="$work/run/training_log.csv"
    cut -d, -f1,3,4 "$csv"
    best6=$(awk -F, '$1 == 6 { print $4 }' "$csv")
    best12=$(awk -F, '$1 == 12 { print $4 }' "$csv")
    [ -n "$best6" ] && [ -n "$best12" ] || fail "the log lacks epochs 6 and 12"
    awk -v e="$best6" 'BEGIN { exit !(e <= 0.55) }' || fail "best validation ESR by epoch 6 is $best6, above 0.55"
    awk -v e="$best12" 'BEGIN { exit !(e <= 0.40) }' || fail "best validation ESR by epoch 12 is $best12, above 0.40"
    awk -v e="$best12" 'BEGIN { exit !(e >= 0.05) }' ||
      fail "best validation ESR by epoch 12 is $best12, below 0.05: implausible for 60 steps, is validation broken?"
    echo "learning curve inside the band: best $best6 by epoch 6, $best12 by epoch 12"
    ;;
  *) fail "unknown case $case_name" ;;
esac
