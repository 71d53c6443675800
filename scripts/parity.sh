#!/usr/bin/env bash
# Trains on the single-setting parity pair with NAM's recipe and prints the validation curve next to
# NAM's trainer's (the numbers in the pair's README), then the best validation ESR against NAM's.
#
#   scripts/parity.sh [options] LIMIT
#     LIMIT          N: train N epochs.  Ns (e.g. 300s): train for N seconds of wall time, then
#                    stop as Ctrl-C does (checkpoint, exit) and report what the finished epochs
#                    reached: "quality per minute".
#     --model M      preset or model config (default standard; NAM's best: standard 0.00089,
#                    feather 0.0032, nano 0.0081)
#     --seed S       seed of the initial weights and batches (default 0)
#     --threads T    training threads (default 2)
#     --learning F   learning config (default: the built-in recipe, NAM's)
#     --pair DIR     folder with input.flac and output.flac (default ../shared/parity beside the
#                    repository, or $NAMK_PARITY_DIR)
#     --bin PATH     the nam-knobs binary (default build-native/apps/nam-knobs, else build/...)
#     --out DIR      where the run goes (default a fresh temporary folder)
#
# The data is NAM's split: delay 0, training from 1.0 s to 10 s before the end, validation the last
# 10 s. Output: one line per epoch (val ESR, best, minutes, samples/s, NAM's ESR at that epoch when
# the README lists it), then a summary line `parity: ...`. Exit code 0 unless the run fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

model=standard seed=0 threads=2 learning="" out="" bin=""
pair="${NAMK_PARITY_DIR:-$root/../shared/parity}"
limit=""
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --learning) learning="$2"; shift 2 ;;
    --pair) pair="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "parity.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) limit="$1"; shift ;;
  esac
done
if ! [[ "$limit" =~ ^[0-9]+s?$ ]]; then
  echo "parity.sh: expected a limit: N epochs or Ns seconds (see --help)" >&2
  exit 2
fi
for f in input.flac output.flac; do
  [ -f "$pair/$f" ] || { echo "parity.sh: $pair/$f: not found (use --pair DIR)" >&2; exit 2; }
done
if [ -z "$bin" ]; then
  for b in "$root/build-native/apps/nam-knobs" "$root/build/apps/nam-knobs"; do
    [ -x "$b" ] && { bin="$b"; break; }
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "parity.sh: no nam-knobs binary (build first, or --bin)" >&2; exit 2; }
[ -n "$out" ] || out="$(mktemp -d "${TMPDIR:-/tmp}/namk-parity.XXXXXX")"
mkdir -p "$out"
pair="$(cd "$pair" && pwd)"

cat >"$out/dataset.json" <<EOF
{"entries": [{"input_file": "$pair/input.flac", "output_file": "$pair/output.flac", "start": "1s"}]}
EOF
cat >"$out/data.json" <<EOF
{"dataset": "dataset.json", "delay": 0, "validation_tail_seconds": 10}
EOF

args=(train --data "$out/data.json" --model "$model" --out "$out/run" --seed "$seed" --threads "$threads" --quiet)
[ -n "$learning" ] && args+=(--learning "$learning")
if [[ "$limit" == *s ]]; then
  seconds="${limit%s}"
  "$bin" "${args[@]}" --epochs 100000 >"$out/train.log" 2>&1 &
  pid=$!
  # Sleep in short steps so a run that ends early is noticed.
  for ((i = 0; i < seconds; ++i)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" || true
else
  "$bin" "${args[@]}" --epochs "$limit" >"$out/train.log" 2>&1 || { cat "$out/train.log" >&2; exit 1; }
fi
csv="$out/run/training_log.csv"
[ -s "$csv" ] || { cat "$out/train.log" >&2; echo "parity.sh: no training log" >&2; exit 1; }

# NAM's trainer on this pair (README of the pair): validation ESR by epoch, standard model.
nam_curve="1:0.0380 2:0.0178 3:0.0205 4:0.0133 5:0.0099 10:0.0094 15:0.0053 20:0.0096 30:0.0071 40:0.0026 50:0.0015 60:0.0022 70:0.0013 80:0.0022 90:0.0013 95:0.0014 97:0.00099 99:0.00089 100:0.00100"
case "$(basename "$model" .json)" in
  standard) nam_best=0.00089 ;;
  feather) nam_best=0.0032 ;;
  nano) nam_best=0.0081 ;;
  *) nam_best="" ;;
esac
awk -F, -v nam="$nam_curve" -v model="$(basename "$model" .json)" -v nam_best="$nam_best" \
    -v seed="$seed" -v threads="$threads" -v limit="$limit" '
  BEGIN {
    if (model == "standard") { n = split(nam, pairs, " "); for (i = 1; i <= n; ++i) { split(pairs[i], kv, ":"); ref[kv[1]] = kv[2] } }
    printf "%6s %11s %11s %8s %10s %11s\n", "epoch", "val_ESR", "best", "minutes", "samples/s", "NAM_val_ESR"
  }
  NR > 1 {
    printf "%6d %11.6f %11.6f %8.2f %10.0f %11s\n", $1, $3, $4, $6 / 60, $7, ($1 in ref) ? ref[$1] : ""
    best = $4; epochs = $1; minutes = $6 / 60; rate = $7
  }
  END {
    if (epochs == 0) { print "parity: no epoch finished"; exit 1 }
    ratio = nam_best != "" ? sprintf("  ratio to NAM %.3f (NAM best %s)", best / nam_best, nam_best) : ""
    printf "parity: model %s seed %s threads %s limit %s: best val ESR %.6f after %d epochs in %.2f min, %.0f samples/s%s\n",
           model, seed, threads, limit, best, epochs, minutes, rate, ratio
  }' "$csv"
