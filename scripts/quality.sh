#!/usr/bin/env bash
# The quality protocol (issue 13): scripts/quality.sh [MINUTES] [CANDIDATE...]
# Builds the harder synthetic amp's dataset (`nam-knobs synth --amp hard`: preamp clipper -> bass/
# mid/treble tone stack -> sagging power amp -> cab, 3 samples of latency), recorded as one-knob
# sweeps of a 5 s DI; the test is 5 mixed settings never recorded for training, played with a
# different 10 s DI. Trains each candidate recipe/architecture for about MINUTES minutes (default
# 3) on every core and prints a table: held-out ESR (mean over the test settings), best validation
# ESR, training time, epochs, and late-epoch stability (max - min of the last 20 epochs' validation
# ESR, or of the last half when fewer). Long: not part of CI. Everything lands in quality-out/.
#
# NAMK_QUALITY_SEED=N trains every candidate with seed N (default 0): run two seeds before calling a
# difference between candidates real.
#
# Epochs are sized per candidate from a three-epoch probe of its training speed: the time its
# second and third epochs took (validation included), after the first's start-up (NAMK_QUALITY_EPOCHS=N
# fixes them instead); each recipe's learning-rate decay is rescaled so the whole run decays as much
# as the recipe's own epochs do.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-3}"
shift || true
out="${NAMK_QUALITY_OUT:-quality-out}"
if [[ -z "${NK:-}" ]]; then
  bash scripts/setup.sh >/dev/null
  bash scripts/build.sh build-quality -DNAMK_NATIVE=ON -DNAMK_BUILD_TESTS=OFF
  NK=build-quality/apps/nam-knobs
fi
seed="${NAMK_QUALITY_SEED:-0}"

"$NK" synth --amp hard --out "$out/data" --seconds 5 >/dev/null
latency=3  # kHardAmpLatency in data/demo_amp.h
# The same data aligned 2 samples late: what the correlation-peak rule estimated for this amp.
sed "s/\"delay\": \"auto\"/\"delay\": $((latency + 2))/" "$out/data/data.json" >"$out/data/data_late.json"

# name | model | recipe | data config | extra learning keys | extra loss keys
# A name ending in -init starts from a plain capture (train --init) of its architecture (standard
# for the WaveNets), trained on a long take at the all-5 setting played differently (60 s), the
# few-data session of issue 13.
# A data config data_anchorS.json adds the first S seconds of that take to the knob run's data, as
# the capture planner's anchor take (docs/capture.md): the whole session trains the knob model.
# standard-nam-before is the default when issue 13 was filed: the delay the correlation peak gave
# (2 samples late) and no moving average of the weights.
all_candidates=(
  "standard-nam-before|configs/models/wavenet_film.json|nam|data_late.json|\"ema_decay\": 0, |"
  "standard-nam-noema|configs/models/wavenet_film.json|nam|data.json|\"ema_decay\": 0, |"
  "standard-nam|configs/models/wavenet_film.json|nam|data.json||"
  "standard-nam-b4|configs/models/wavenet_film.json|nam-b4|data.json||"
  "standard-nam-anchor60|configs/models/wavenet_film.json|nam|data_anchor60.json||"
  "standard-nam-separable|configs/models/wavenet_film_separable.json|nam|data.json||"
  "standard-nam-smooth|configs/models/wavenet_film.json|nam|data.json||\"knob_smoothness\": 0.1, "
  "tonestack-nam|configs/models/tonestack_film.json|nam|data.json||"
  "tonestack-nam-separable|configs/models/tonestack_film_separable.json|nam|data.json||"
  "tonestack-nam-separable-b4|configs/models/tonestack_film_separable.json|nam-b4|data.json||"
  "tonestack-nam-routed|configs/models/tonestack_film_routed.json|nam|data.json||"
  "tonestack-nam-separable-init|configs/models/tonestack_film_separable.json|nam|data.json||"
  "tonestack-nam-separable-init-b4|configs/models/tonestack_film_separable.json|nam-b4|data.json||"
  "tonestack-nam-separable-init-b4-anchor10|configs/models/tonestack_film_separable.json|nam-b4|data_anchor10.json||"
  "tonestack-nam-routed-init|configs/models/tonestack_film_routed.json|nam|data.json||"
  "tonestack-nam-routed-init-b4|configs/models/tonestack_film_routed.json|nam-b4|data.json||"
  "tonestack-nam-routed-gains-init-b4|configs/models/tonestack_film_routed_gains.json|nam-b4|data.json||"
  "tonestack-nam-routed-init-b4-anchor10|configs/models/tonestack_film_routed.json|nam-b4|data_anchor10.json||"
  "standard-nam-init|configs/models/wavenet_film.json|nam|data.json||"
  "standard-nam-separable-init|configs/models/wavenet_film_separable.json|nam|data.json||"
  "standard-nam-separable-init-b8|configs/models/wavenet_film_separable.json|nam-b8|data.json||"
  "standard-nam-separable-init-b4|configs/models/wavenet_film_separable.json|nam-b4|data.json||"
  "standard-nam-separable-init-b4-anchor10|configs/models/wavenet_film_separable.json|nam-b4|data_anchor10.json||"
  "standard-nam-separable-init-b4-anchor60|configs/models/wavenet_film_separable.json|nam-b4|data_anchor60.json||"
  "standard-nam-separable-init-b2|configs/models/wavenet_film_separable.json|nam-b2|data.json||"
  "standard-nam-separable-init-b4-lr0.002|configs/models/wavenet_film_separable.json|nam-b4-lr0.002|data.json||"
  "standard-nam-separable-init-b4-lr0.008|configs/models/wavenet_film_separable.json|nam-b4-lr0.008|data.json||"
  "standard-nam-b4-lr0.008|configs/models/wavenet_film.json|nam-b4-lr0.008|data.json||"
  "tonestack-prefilm-nam|configs/models/tonestack_prefilm.json|nam|data.json||"
  "feather-nam|configs/models/feather_film.json|nam|data.json||"
  "nano-demo|configs/models/demo_film.json|demo|data.json||"
  "feather-demo|configs/models/feather_film.json|demo|data.json||"
)
selected=("$@")

# learning_json RECIPE EPOCHS EXTRA: NAM's recipe (configs/learning/default.json: 100 epochs) or the
# demo's learning rate, decay and loss (configs/learning/demo.json: 40 epochs; its batches of 4 are
# not taken here, so the demo candidates stay comparable with earlier runs), with the run's epochs
# and rescaled decay. An epoch is 16 batches of 16 windows (of the data config's ny samples); "nam-bN" is NAM's recipe in batches of N, as many
# more of them per epoch, so an epoch still trains on the same number of samples; a recipe ending
# in -lrX (nam-b4-lr0.008) takes learning rate X instead of the recipe's.
learning_json() {
  local recipe="$1" epochs="$2" extra="$3" extra_loss="${4:-}" lr decay0 epochs0 loss
  local batch=16 steps=16 lr_override=""
  if [[ "$recipe" == *-lr* ]]; then
    lr_override="${recipe##*-lr}" recipe="${recipe%-lr*}"
  fi
  if [[ "$recipe" == nam-b* ]]; then
    batch="${recipe#nam-b}" steps=$((256 / batch)) recipe=nam
  fi
  if [[ "$recipe" == nam ]]; then
    lr=0.004 decay0=0.993 epochs0=100
    loss="{${extra_loss}\"mse\": 1.0, \"pre_emphasis_mrstft\": 0.0002, \"pre_emphasis_coef\": 0.85}"
  else
    lr=0.005 decay0=0.953 epochs0=40
    loss="{${extra_loss}\"mse\": 0.0, \"setting_esr\": 1.0, \"pre_emphasis_mrstft\": 0.0}"
  fi
  lr="${lr_override:-$lr}"
  local decay
  decay=$(awk -v d="$decay0" -v e0="$epochs0" -v e="$epochs" 'BEGIN { printf "%.6f", d ^ (e0 / e) }')
  printf '{"epochs": %d, "steps_per_epoch": %d, "batch_size": %d, "lr": %s, "lr_decay": %s,\n' \
    "$epochs" "$steps" "$batch" "$lr" "$decay"
  printf ' "seed": %d, "threads": 0, %s"loss": %s}\n' "$seed" "$extra" "$loss"
}

# csv_stats LOG: "time spread" from training_log.csv (elapsed_s of the last epoch; max - min of
# the last 20 validation ESRs, or of the last half when fewer epochs ran).
csv_stats() {
  awk -F, 'NR > 1 { n++; v[n] = $3; t = $6 }
    END { k = n >= 40 ? 20 : int(n / 2); if (k < 1) k = 1
          lo = 1e30; hi = -1e30
          for (i = n - k + 1; i <= n; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i] }
          printf "%.0f %.4f %d", t, hi - lo, k }' "$1"
}

capture_take=output_gain5_bass5_mid5_treble5.wav  # the capture's long take, at the all-5 setting
# capture MODEL: the plain model --init starts from, trained once per output folder and architecture
# (60 epochs, NAM's recipe) on the take: standard for the WaveNet candidates; for the ToneStackWaveNet
# ones tonestack_film.json, which without knobs in the data is a plain model with a fixed EQ (every
# tonestack config has the same stages and stack; they differ only in how knobs reach them).
capture() {
  local data="$out/capture/data" dir="$out/capture" config=configs/models/standard.json
  if [[ "$1" == *tonestack* ]]; then dir="$out/capture-tonestack" config=configs/models/tonestack_film.json; fi
  if [[ ! -f "$data/capture.json" ]]; then
    "$NK" synth --amp hard --out "$data" --seconds 60 --seed 7 >/dev/null
    sed 's/"dataset.json"/"capture.json"/' "$data/data.json" >"$data/data_capture.json"
    printf '{"knobs": [], "entries": [{"input_file": "input.wav", "output_file": "%s"}]}\n' \
      "$capture_take" >"$data/capture.json"
  fi
  # An interrupted train still writes model.nam (the best epoch so far): only a finished run counts.
  if [[ ! -f "$dir/finished" ]]; then
    rm -rf "$dir/run"
    mkdir -p "$dir"
    seed=0 learning_json nam 60 "" "" >"$dir/learning.json"  # the player's one capture, whatever the seed
    "$NK" train --data "$data/data_capture.json" --model "$config" \
      --learning "$dir/learning.json" --out "$dir/run" >"$dir/train.txt" 2>&1
    touch "$dir/finished"
  fi
  echo "$dir/run/model.nam"
}

# anchor_data SECONDS: data_anchorS.json, the protocol's dataset plus the capture's take (its first
# SECONDS) as an anchor entry; paths relative to $out/data.
anchor_data() {
  local seconds="$1" entry
  capture configs/models/standard.json >/dev/null
  entry="    {\"input_file\": \"../capture/data/input.wav\", \"output_file\": \"../capture/data/$capture_take\","
  entry+=" \"knobs\": {\"gain\": 5, \"bass\": 5, \"mid\": 5, \"treble\": 5}, \"split\": \"train\","
  entry+=" \"start\": 0, \"stop\": \"${seconds}s\", \"anchor\": true}"
  awk -v e="$entry" 'NR > 1 { if ($0 == "  ]") print prev ",\n" e; else print prev } { prev = $0 } END { print prev }' \
    "$out/data/dataset.json" >"$out/data/dataset_anchor$seconds.json"
  sed "s/\"dataset.json\"/\"dataset_anchor$seconds.json\"/" "$out/data/data.json" >"$out/data/data_anchor$seconds.json"
}

rows=()
for c in "${all_candidates[@]}"; do
  IFS='|' read -r name model recipe data extra extra_loss <<<"$c"
  if ((${#selected[@]})) && [[ ! " ${selected[*]} " == *" $name "* ]]; then continue; fi
  dir="$out/$name"
  rm -rf "$dir" "$dir-probe"
  mkdir -p "$dir"
  init=()
  if [[ "$name" == *-init || "$name" == *-init-* ]]; then init=(--init "$(capture "$model")"); fi
  if [[ "$data" =~ ^data_anchor([0-9]+)\.json$ ]]; then anchor_data "${BASH_REMATCH[1]}"; fi
  # The first epoch's rate counts start-up and cold caches: on an idle machine it read 459k samples/s
  # where the run went on at 780k, and the budget came out 31 epochs in 83 s of a 3-minute budget.
  learning_json "$recipe" 3 "$extra" "$extra_loss" >"$dir/probe.json"
  "$NK" train --data "$out/data/$data" --model "$model" --learning "$dir/probe.json" \
    --out "$dir-probe" "${init[@]}" >/dev/null 2>&1
  epochs=$(awk -F, -v m="$minutes" 'NR == 2 { first = $6 } NR == 4 { per = ($6 - first) / 2 }
    END { e = int(0.95 * (m * 60 - first) / per); print e < 4 ? 4 : e }' "$dir-probe/training_log.csv")
  rm -rf "$dir-probe"
  # The probe still moves with the machine's load: NAMK_QUALITY_EPOCHS gives every candidate the same
  # length, to compare recipes rather than speed.
  epochs="${NAMK_QUALITY_EPOCHS:-$epochs}"
  learning_json "$recipe" "$epochs" "$extra" "$extra_loss" >"$dir/learning.json"
  echo "quality: $name: $epochs epochs ($model, $recipe recipe, $data)"
  "$NK" train --data "$out/data/$data" --model "$model" --learning "$dir/learning.json" \
    --out "$dir/run" "${init[@]}" >"$dir/train.txt" 2>&1
  test_esr=$(awk '/^test ESR/ { print $3 }' "$dir/train.txt")
  val_esr=$(awk '/^validation ESR/ { print $3 }' "$dir/train.txt")
  read -r seconds spread k <<<"$(csv_stats "$dir/run/training_log.csv")"
  rows+=("$(printf '%-20s %9s %9s %7ss %6s %9s (last %s)' "$name" "$test_esr" "$val_esr" \
    "$seconds" "$epochs" "$spread" "$k")")
done

echo
echo "quality: hard amp, one-knob sweeps of a 5 s DI; held out: 5 mixed settings, other playing"
printf '%-20s %9s %9s %8s %6s %9s\n' candidate held-out validation time epochs spread
for r in "${rows[@]}"; do echo "$r"; done
