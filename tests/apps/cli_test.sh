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
# shellcheck source=../shell_test_lib.sh
source "$src/tests/shell_test_lib.sh"

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
  # The tiny WaveNet every end-to-end script trains (a few seconds per run).
  cp "$(dirname "$0")/../fixtures/configs/tiny_wavenet.json" "$work/model.json"
  sed -i 's/"ny": 8192/"ny": 2048/' "$work/data/data.json"
}

# The signal tests' runs: 12 epochs instead of 4. A tiny epoch takes some 30 ms, and with three
# left after the first checkpoint a signal sent on the next poll (every 50 ms) could land after the
# last one, while the run evaluated and wrote its report, and find it finishing with status 0.
signal_runs_longer() {
  sed -i 's/"epochs": 4,/"epochs": 12,/' "$work/learn.json"
  grep -q '"epochs": 12,' "$work/learn.json" || fail "learn.json's epochs not found"
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

# signal_then_resume SIGNAL NAME DELAY EXPECTED_STATUS: trains in $work/NAME, sends SIGNAL DELAY
# seconds after its first checkpoint exists, resumes it, and requires the weights of the
# uninterrupted run in $work/whole and no temp file left. The signalled run must exit with
# EXPECTED_STATUS (137 for a SIGKILL, 130 for an interrupt): a run that finished first (status 0)
# would prove nothing about resuming, so it fails the test instead of passing it.
signal_then_resume() {
  local dir="$work/$2"
  train_in_background "$dir"
  local pid=$!
  for _ in $(seq 1 600); do
    [ -e "$dir/checkpoint.bin" ] && break
    sleep 0.05
  done
  sleep "$3"
  [ -e "$dir/checkpoint.bin" ] || fail "no checkpoint appeared within 30 s"
  kill "-$1" "$pid" 2>/dev/null || fail "SIG$1 could not be sent: the run had already ended"
  local status=0
  wait "$pid" 2>/dev/null || status=$?
  [ "$status" -ne 0 ] || fail "the run finished before SIG$1 landed (exit 0)"
  [ "$status" -eq "$4" ] || fail "the SIG$1 run exited with $status, expected $4"
  if [ "$1" = KILL ]; then
    [ -e "$dir/model.nam" ] && fail "a killed run wrote model.nam"
  else
    # Ctrl-C and SIGTERM write the best weights so far, as a loadable model.
    [ -e "$dir/model.nam" ] || fail "SIG$1 after a finished epoch left no model.nam"
    "$nk" info --model "$dir/model.nam" >/dev/null || fail "the model SIG$1 wrote does not load"
  fi
  train "$dir" --resume >/dev/null || fail "resumed run"
  [ "$(weights "$work/whole/model.nam")" = "$(weights "$dir/model.nam")" ] ||
    fail "resumed weights differ from the uninterrupted run's"
  if ls "$dir" | grep -q tmp; then fail "a temp file was left behind"; fi
}

# Little-endian WAV writing in plain bash, for inputs no tool would write (NaN samples, no frames).
le32() {
  local v=$1
  printf "\\x$(printf %02x $((v & 255)))\\x$(printf %02x $(((v >> 8) & 255)))\\x$(printf %02x $(((v >> 16) & 255)))\\x$(printf %02x $(((v >> 24) & 255)))"
}
float_wav() {  # float_wav FILE 'SAMPLE BYTES as \xNN escapes': a mono 48 kHz float32 WAV
  local n=$((${#2} / 16))
  { printf 'RIFF'; le32 $((36 + n * 4)); printf 'WAVEfmt '; le32 16; printf '\x03\x00\x01\x00'
    le32 48000; le32 192000; printf '\x04\x00\x20\x00data'; le32 $((n * 4)); printf "$2"; } >"$1"
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
    # info takes what train takes: a preset or a model config, and lists the parameter layout.
    "$nk" info --model nano --layout >"$work/info.txt" || fail "info --model nano"
    grep -q "^parameters    841 " "$work/info.txt" || fail "info --model nano: parameter count"
    grep -q "layers\[1\].head_rechannel.bias  *840  (1)" "$work/info.txt" || fail "info --layout: last tensor"
    "$nk" info --model "$work/model.json" >/dev/null || fail "info --model CONFIG"
    expect_error "preset" "$nk" info --model nanoo
    # --tone-stack: a tone-stack model's filters (an untrained config without knobs: a flat fixed EQ
    # at each section's middle frequency); a model without one is refused, naming it.
    "$nk" info --model "$src/configs/models/tonestack_film.json" --tone-stack >"$work/info.txt" ||
      fail "info --tone-stack"
    grep -q "^tone stack    3 sections, a fixed EQ (no knobs)" "$work/info.txt" || fail "info --tone-stack: heading"
    grep -qF "  low shelf    +0.0 dB    126 Hz  Q 0.95  peak         +0.0 dB    775 Hz  Q 0.95  high shelf   +0.0 dB   4243 Hz  Q 0.95" \
      "$work/info.txt" || { cat "$work/info.txt"; fail "info --tone-stack: the flat sections"; }
    expect_error "info --tone-stack: nano has no tone stack (architecture WaveNet" "$nk" info --model nano --tone-stack
    expect_error "--loss: expected nam or mse, found 'bogus'" "$nk" bench --loss bogus
    # bench itself, briefly: one kernel figure and one streaming model, as JSON.
    "$nk" bench --section kernels --seconds 0.02 --json >"$work/bench.json" || fail "bench kernels"
    grep -q '"conv1d_c16_k3": {"forward_gflops"' "$work/bench.json" || fail "bench --json has no kernel figure"
    "$nk" bench --section inference --model nano --seconds 0.02 --json >"$work/bench.json" || fail "bench inference"
    grep -q '"model": "nano", "knobs": 2, "block": 2048, "realtime_factor"' "$work/bench.json" ||
      fail "bench --json has no nano streaming figure"
    # info and render run a file that uses a condition_dsp and every NAM 0.6 layer option.
    "$nk" info --model "$src/tests/fixtures/nam_models/wavenet_a2_max.nam" >"$work/info.txt" || fail "info a2_max"
    grep -q "FiLM at 8 sites\]; condition from a WaveNet" "$work/info.txt" || fail "info a2_max: options"
    "$nk" render --model "$src/tests/fixtures/nam_models/wavenet_a2_max.nam" --input "$work/data/input.wav" \
      --output "$work/a2_max.wav" >/dev/null || fail "render a2_max"
    # A condition_dsp runs for inference only: train refuses it before reading any audio.
    zeros="$(printf '0, %.0s' $(seq 136))0"  # the condition model's 137 weights
    cat >"$work/condition_dsp.json" <<EOF
{"architecture": "WaveNet", "config": {"layers": [
  {"input_size": 1, "condition_size": 3, "head_size": 2, "channels": 3, "kernel_size": 3, "dilations": [1, 2],
   "activation": "Tanh", "gated": false, "head_bias": false},
  {"input_size": 3, "condition_size": 3, "head_size": 1, "channels": 2, "kernel_size": 3, "dilations": [8],
   "activation": "Tanh", "gated": false, "head_bias": true}],
 "head": null, "head_scale": 0.02,
 "condition_dsp": {"version": "0.6.0", "architecture": "WaveNet", "sample_rate": 48000, "weights": [$zeros],
  "config": {"layers": [
   {"input_size": 1, "condition_size": 1, "head_size": 2, "channels": 3, "kernel_size": 3, "dilations": [1, 2],
    "activation": "Tanh", "gated": false, "head_bias": false},
   {"input_size": 3, "condition_size": 1, "head_size": 3, "channels": 2, "kernel_size": 3, "dilations": [8],
    "activation": "Tanh", "gated": false, "head_bias": true}],
   "head": null, "head_scale": 0.02}}}}
EOF
    expect_error "condition_dsp.json: config.condition_dsp: expected null (a WaveNet this runtime can train)" \
      "$nk" train --data "$work/data/data.json" --model "$work/condition_dsp.json" --out "$work/r"
    [ -e "$work/r/model.nam" ] && fail "a failed run wrote a model"
    # --resume needs a checkpoint (a mistyped --out must not start afresh); --resume=auto does not.
    expect_error "$work/fresh/checkpoint.bin: expected a checkpoint to resume from" train "$work/fresh" --resume
    expect_error "--resume: expected --resume or --resume=auto, found --resume=yes" train "$work/fresh" --resume=yes
    echo "bad inputs rejected"
    ;;
  hostile_inputs)
    # Issue 18: each case from its "Why" list that the command line can show.
    make_data
    touch "$work/a_file"
    expect_error "a_file (a parent of --out $work/a_file/run): expected a folder for --out" \
      train "$work/a_file/run" --epochs 1
    expect_error "--threads: expected an integer in [0, 1024], found '-4'" train "$work/r" --threads -4
    expect_error "--seed: expected an integer in [0, 9223372036854775807], found '99999999999999999999' (too large)" \
      train "$work/r" --seed 99999999999999999999
    expect_error "--epochs: expected an integer in [1, 1000000], found ' 3'" train "$work/r" --epochs " 3"
    expect_error "--block: expected an integer in [1, 1048576], found '64k'" \
      "$nk" render --model m.nam --input x.wav --output y.wav --block 64k
    expect_error "--seconds: expected a number in [1, 600], found 'nan'" "$nk" synth --out "$work/s" --seconds nan
    # A dataset entry naming a folder.
    cp -r "$work/data" "$work/folder_data"
    sed -i 's/"output_gain0_tone0.wav"/"."/' "$work/folder_data/dataset.json"
    expect_error "expected an audio file, found a folder" \
      "$nk" train --data "$work/folder_data/data.json" --model nano --out "$work/r"
    # .nam files: a sample rate of 0, weights beyond float32.
    lin='"architecture": "Linear", "config": {"receptive_field": 2, "bias": false}'
    echo "{\"version\": \"0.5.4\", $lin, \"weights\": [0.5, 0.5], \"sample_rate\": 0}" >"$work/rate0.nam"
    expect_error "rate0.nam: sample_rate: expected a sample rate in [1000, 768000] Hz, found the number 0" \
      "$nk" info --model "$work/rate0.nam"
    echo "{\"version\": \"0.5.4\", $lin, \"weights\": [1e300, 0.5]}" >"$work/huge.nam"
    expect_error "huge.nam: weights[0]: expected a finite number" "$nk" info --model "$work/huge.nam"
    echo "{\"version\": \"0.5.4\", $lin, \"weights\": [0.5, 0.5], \"sample_rate\": 48000}" >"$work/lin.nam"
    # render: NaN input becomes silence and is reported; empty input is refused; truncated warned.
    one='\x00\x00\x80\x3f'
    nan='\x00\x00\xc0\x7f'
    float_wav "$work/nan.wav" "$one$one$nan$one$one$one$nan$nan"
    "$nk" render --model "$work/lin.nam" --input "$work/nan.wav" --output "$work/nan_out.wav" \
      >/dev/null 2>"$work/err" || fail "render of NaN input"
    grep -qF "nan.wav: 3 non-finite samples (NaN or infinite) were rendered as silence" "$work/err" ||
      fail "no warning about NaN input"
    # 0.5 x (1, 1, 0, 1, 1, 1, 0, 0) filtered by (0.5, 0.5): the last 8 floats of the file.
    tail -c 32 "$work/nan_out.wav" | od -An -v -tf4 | tr -s ' ' '\n' | grep -v '^$' >"$work/nan_out.txt"
    [ "$(tr '\n' ' ' <"$work/nan_out.txt")" = "0.5 1 0.5 0.5 1 1 0.5 0 " ] ||
      fail "render of NaN input gave $(tr '\n' ' ' <"$work/nan_out.txt")"
    float_wav "$work/empty.wav" ""
    expect_error "empty.wav: expected audio with at least one sample, found an empty file (0 frames)" \
      "$nk" render --model "$work/lin.nam" --input "$work/empty.wav" --output "$work/empty_out.wav"
    head -c 5000 "$work/data/input.wav" >"$work/truncated.wav"
    "$nk" render --model "$work/lin.nam" --input "$work/truncated.wav" --output "$work/t_out.wav" \
      >/dev/null 2>"$work/err" || fail "render of a truncated file"
    grep -qF "truncated.wav: truncated file: the header declares" "$work/err" || fail "no warning about truncation"
    echo "hostile inputs rejected or handled as documented"
    ;;
  kill_resume)
    make_data
    signal_runs_longer
    train "$work/whole" >/dev/null || fail "uninterrupted run"
    # Killed as soon as the first checkpoint exists, with epochs to go: a fixed delay after it
    # (0.3 s until 2026-12) outlasted the whole tiny run on a fast build, whose kill then landed
    # after model.nam was written. Kills at arbitrary moments mid-epoch are kill_soak's, which
    # times them from the run's own epochs.
    signal_then_resume KILL killed 0 137
    echo "killed run resumed to identical weights"
    ;;
  interrupt_resume)
    make_data
    signal_runs_longer
    train "$work/whole" >/dev/null || fail "uninterrupted run"
    # Ctrl-C and SIGTERM must checkpoint where the run stands, write the best model so far and
    # exit 130 by themselves.
    signal_then_resume INT stopped 0 130
    signal_then_resume TERM terminated 0 130
    echo "interrupted and terminated runs checkpointed, wrote their best model, exited 130 and resumed to identical weights"
    ;;
  kill_soak)
    # Issue 18: one run SIGKILLed NAMK_SOAK_KILLS times in a row (default 5; scripts/kill_soak.sh
    # runs more), each time restarted with --resume=auto, then finished with --resume: its weights
    # must equal an uninterrupted run's. Each restart is killed at a random moment within one and a
    # half epochs after it logs a new epoch, so every kill lands mid-training (in a step, a
    # validation, a log, report or checkpoint write) and the run moves on between kills.
    # Four epochs a kill: each restart moves on about 2.25 epochs before its kill (the epoch it
    # must log, the polling's lag on these 30 ms epochs, the delay). With two a kill the run ran
    # out of epochs at about 20 kills and finished before its kill (exit 0 instead of 137:
    # scripts/kill_soak.sh 40 failed so at kill 38).
    kills="${NAMK_SOAK_KILLS:-5}"
    epochs=$((4 * kills + 8))
    make_data
    sed -i "s/\"epochs\": 4/\"epochs\": $epochs/" "$work/learn.json"
    start=$(date +%s%N)
    train "$work/whole" >/dev/null || fail "uninterrupted run"
    epoch_ms=$(( ($(date +%s%N) - start) / 1000000 / epochs ))
    log="$work/soak/training_log.csv"
    logged() { if [ -f "$log" ]; then wc -l <"$log"; else echo 0; fi; }
    for i in $(seq 1 "$kills"); do
      before=$(logged)
      "$nk" train --data "$work/data/data.json" --model "$work/model.json" --learning "$work/learn.json" \
        --out "$work/soak" --quiet --resume=auto >/dev/null 2>&1 &
      pid=$!
      for _ in $(seq 1 3000); do
        [ "$(logged)" -gt "$before" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
      done
      delay_ms=$(( RANDOM % (epoch_ms * 3 / 2 + 1) ))
      sleep "$(awk -v m="$delay_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
      kill -KILL "$pid" 2>/dev/null
      status=0
      wait "$pid" 2>/dev/null || status=$?
      [ "$status" -eq 137 ] || fail "kill $i did not land: the run exited with $status"
    done
    train "$work/soak" --resume >/dev/null || fail "the final resume"
    [ "$(weights "$work/whole/model.nam")" = "$(weights "$work/soak/model.nam")" ] ||
      fail "after $kills kills the resumed weights differ from the uninterrupted run's"
    # A kill during a write leaves a temp file; the next run clears it away.
    if ls "$work/soak" | grep -q tmp; then ls "$work/soak"; fail "temp files remain after the final resume"; fi
    echo "$kills SIGKILLs in a row at random moments of a $epochs-epoch run ($epoch_ms ms per epoch), then --resume: identical weights"
    ;;
  render_export)
    make_data
    train "$work/run" >/dev/null || fail "train"
    for b in 1 7 64 4096; do
      "$nk" render --model "$work/run/model.nam" --input "$work/data/input.wav" --output "$work/r$b.wav" \
        --knob gain=2.5 --knob tone=5 --block "$b" >/dev/null || fail "render block $b"
    done
    for b in 7 64 4096; do cmp -s "$work/r1.wav" "$work/r$b.wav" || fail "block $b differs from block 1"; done
    expect_error "--knob gain=2@1e308s: expected a time within 9e15 samples" "$nk" render --model "$work/run/model.nam" \
      --input "$work/data/input.wav" --output "$work/far.wav" --knob gain=2@1e308s
    expect_error "knob model" "$nk" export --model "$work/run/model.nam" --out "$work/plain.nam"
    "$nk" export --model "$work/run/model.nam" --out "$work/plain.nam" --knob gain=2.5 --knob tone=5 >/dev/null ||
      fail "export"
    grep -q '"version": "0.5.4"' "$work/plain.nam" || fail "export is not a NAM 0.5.4 file"
    # Loudness (and gain): train writes the model's at its default knobs, a baked export its setting's own.
    grep -q '"loudness": -\?[0-9]' "$work/run/model.nam" || fail "train wrote no loudness"
    grep -q '"loudness": -\?[0-9]' "$work/plain.nam" || fail "the baked export has no loudness"
    grep -q '"gain": [0-9]' "$work/run/model.nam" || fail "train wrote no gain"
    "$nk" render --model "$work/plain.nam" --input "$work/data/input.wav" --output "$work/plain.wav" \
      --reference "$work/r64.wav" >"$work/out" || fail "render baked"
    esr=$(grep -o 'ESR against [^:]*: [0-9.e-]*' "$work/out" | awk '{print $NF}')
    awk -v e="$esr" 'BEGIN { exit !(e < 1e-6) }' || fail "baked model differs from the knob model (ESR $esr)"
    # --init: a knob model started from the plain capture (at lr 0 it stays there, so its
    # architecture weights are the capture's); a capture of another architecture is refused.
    sed 's/"lr": 0.005/"lr": 0/' "$work/learn.json" >"$work/learn0.json"
    train "$work/init" --init "$work/plain.nam" --learning "$work/learn0.json" --epochs 1 >/dev/null ||
      fail "train --init"
    [ "$(grep -o '"weights": \[[^]]*\]' "$work/init/model.nam")" = "$(grep -o '"weights": \[[^]]*\]' "$work/plain.nam")" ] ||
      fail "train --init did not start from the capture's weights"
    grep -q "plain.nam (--init)" "$work/init/report.html" || fail "the report does not name the --init model"
    sed -i 's/"channels": 4/"channels": 5/' "$work/model.json"
    expect_error "plain.nam: layers[0].rechannel.weight: expected shape (5, 1)" \
      train "$work/init2" --init "$work/plain.nam" --epochs 1
    "$nk" eval --model "$work/run/model.nam" --data "$work/data/data.json" --json >"$work/eval.json" || fail "eval"
    grep -q '"test": {"mean_esr"' "$work/eval.json" || fail "eval --json has no test summary"
    echo "render identical at every block size; baked export matches"
    ;;
  metadata)
    # info prints every metadata key of a NAM-made file, and export of it keeps them all.
    fixtures="$src/tests/fixtures"
    "$nk" info --model "$fixtures/nam/lstm.nam" >"$work/info.txt" || fail "info lstm.nam"
    for line in "^loudness      -37.8407 dB" "^gain          0.135088 " "^date          2024-10-09T18:44:41" \
      "^gear          amp Darkglass Electronics Microtubes 900 v2 (clean)" "^levels        input 18.3 dBu, output 12.3 dBu" \
      '^metadata      training.data: {"latency": {"manual": null, "calibration": {"algorithm_version": 1'; do
      grep -q "$line" "$work/info.txt" || { cat "$work/info.txt"; fail "info lacks: $line"; }
    done
    "$nk" export --model "$fixtures/nam/lstm.nam" --out "$work/lstm.nam" >/dev/null || fail "export lstm.nam"
    "$nk" info --model "$work/lstm.nam" | grep -v "^file" >"$work/info2.txt" || fail "info of the export"
    grep -v "^file" "$work/info.txt" | diff - "$work/info2.txt" || fail "info differs after export"
    "$nk" info --model "$fixtures/nam_models/A2.nam" >"$work/a2.txt" || fail "info A2.nam"
    grep -q "^loudness      -26.3839 dB" "$work/a2.txt" || { cat "$work/a2.txt"; fail "A2.nam's loudness"; }
    echo "info shows every metadata key; export keeps them"
    ;;
  plan)
    k="--knob gain:0:10 --knob bass:0:10:5"
    expect_error "--knob gain:10:0: expected min < max, found min 10 and max 0" \
      "$nk" plan --knob gain:10:0 --settings 4 --out "$work/s"
    expect_error "--knob bass:0:10:11: expected a default within [0, 10], found 11" \
      "$nk" plan --knob bass:0:10:11 --settings 4 --out "$work/s"
    expect_error "--settings: expected at least 3 (the number of knobs + 1), found 2" \
      "$nk" plan $k --settings 2 --out "$work/s"
    "$nk" plan $k --knob voice:low,high --settings 10 --test 2 --seconds 8 --out "$work/s" >"$work/out" ||
      fail "plan"
    grep -q "knob travel .* a random order" "$work/out" || fail "plan does not report knob travel"
    for f in plan.csv plan.txt input.wav dataset.json README.txt; do [ -s "$work/s/$f" ] || fail "no $f"; done
    expect_error "expected a new or empty folder" "$nk" plan $k --settings 4 --out "$work/s"
    "$nk" plan $k --settings 4 --out "$work/s" --force >/dev/null || fail "plan --force"
    # Nothing recorded yet: every take is reported missing, by its setting, and the exit code says so.
    if "$nk" plan --check "$work/s" >"$work/out"; then fail "--check passed a session without takes"; fi
    grep -q "MISSING  gain=" "$work/out" || fail "--check does not name the missing takes"
    echo "plan refuses bad knobs and a used folder, writes a session, and --check names missing takes"
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
  knob_inputs)
    # export --knobs-as-inputs: a knob WaveNet (FiLM or concat) as a NAM 0.7 WaveNet whose input
    # channels 1..n are the knobs; what the format cannot express is refused with the file and why.
    fixtures="$src/tests/fixtures"
    "$nk" export --model "$fixtures/c_api/knob_wavenet.nam" --out "$work/film.nam" --knobs-as-inputs \
      >"$work/out" || fail "export --knobs-as-inputs (FiLM)"
    grep -qF "input channel 0 the audio, 1 gain, 2 bass" "$work/out" || fail "export does not list the channels"
    for want in '"version": "0.7.0"' '"architecture": "WaveNet"' '"in_channels": 3' '"condition_dsp": {' \
      '"activation_pre_film": {"active": true, "shift": true' \
      '"namk_knob_inputs": [{"channel": 1, "name": "gain", "min": 0, "max": 10, "default": 5, "units": "clock position"}, {"channel": 2, "name": "bass", "min": -12, "max": 12'; do
      grep -qF "$want" "$work/film.nam" || fail "the FiLM export lacks $want"
    done
    # The fixture's metadata has a null loudness (an older writer), which NAM's runtime refuses.
    grep -q '"loudness": null' "$fixtures/c_api/knob_wavenet.nam" || fail "the fixture no longer has a null loudness"
    if grep -qF '"loudness": null' "$work/film.nam"; then fail "the export keeps a null loudness"; fi
    "$nk" export --model "$fixtures/renders/trained_concat.nam" --out "$work/concat.nam" --knobs-as-inputs \
      >/dev/null || fail "export --knobs-as-inputs (concat)"
    grep -qF '"in_channels": 3' "$work/concat.nam" || fail "the concat export lacks in_channels 3"
    if grep -qF '"condition_dsp"' "$work/concat.nam"; then fail "the concat export needs no condition_dsp"; fi
    expect_error "$fixtures/renders/trained_film.nam: conditioning.head: expected false (NAM has no FiLM site" \
      "$nk" export --model "$fixtures/renders/trained_film.nam" --out "$work/x.nam" --knobs-as-inputs
    expect_error "$fixtures/renders/trained_lstm_film.nam: architecture" \
      "$nk" export --model "$fixtures/renders/trained_lstm_film.nam" --out "$work/x.nam" --knobs-as-inputs
    expect_error "has no knobs to make input channels of" \
      "$nk" export --model "$fixtures/nam/wavenet.nam" --out "$work/x.nam" --knobs-as-inputs
    expect_error "drop --knob" "$nk" export --model "$fixtures/c_api/knob_wavenet.nam" --out "$work/x.nam" \
      --knobs-as-inputs --knob gain=3
    expect_error "pick one" "$nk" export --model "$fixtures/c_api/knob_wavenet.nam" --lv2 "$work/x.lv2" --knobs-as-inputs
    [ ! -e "$work/x.nam" ] || fail "a refused export wrote a file"
    # nam-knobs reads the file back as a knob model whose knobs are the input channels: info lists
    # them, render takes --knob, export writes it back unchanged, train and bake refuse it.
    "$nk" info --model "$work/film.nam" >"$work/info.txt" || fail "info of the exported file"
    grep -q "gain" "$work/info.txt" && grep -q "bass" "$work/info.txt" || fail "info lacks the knob channels"
    pulse='\x00\x00\x80\x3f\x00\x00\x00\xbf\x00\x00\x00\x00\x00\x00\x00\x3f\x00\x00\x00\x00\x00\x00\x00\x00'
    float_wav "$work/pulse.wav" "$pulse$pulse$pulse$pulse"
    for setting in "gain=3 --knob bass=-6" "gain=9 --knob bass=6"; do
      # shellcheck disable=SC2086
      "$nk" render --model "$work/film.nam" --input "$work/pulse.wav" --output "$work/r_${setting%% *}.wav" \
        --knob $setting >/dev/null || fail "render --knob $setting of the exported file"
    done
    if cmp -s "$work/r_gain=3.wav" "$work/r_gain=9.wav"; then fail "the knob channels change nothing"; fi
    "$nk" export --model "$work/film.nam" --out "$work/film2.nam" >/dev/null || fail "export of the exported file"
    cmp -s "$work/film.nam" "$work/film2.nam" || fail "the exported file does not write back unchanged"
    expect_error "reads its knobs as input channels" "$nk" export --model "$work/film.nam" --out "$work/x.nam" \
      --knob gain=3
    # Without the knob list, extra input channels stay refused, naming the key and the file.
    sed 's/"namk_knob_inputs"/"other"/' "$work/film.nam" >"$work/unlisted.nam"
    expect_error "$work/unlisted.nam: metadata.namk_knob_inputs: expected the knobs feeding input channels 1..2" \
      "$nk" info --model "$work/unlisted.nam"
    # Without --knobs-as-inputs export still bakes a setting.
    "$nk" export --model "$fixtures/c_api/knob_wavenet.nam" --out "$work/baked.nam" --knob gain=3 >/dev/null ||
      fail "export --knob"
    grep -qF '"in_channels"' "$work/baked.nam" && fail "a baked export has in_channels"
    echo "knob models export with their knobs as input channels; refusals name the file and the reason"
    ;;
  *) fail "unknown case $case_name" ;;
esac
