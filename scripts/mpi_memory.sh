#!/usr/bin/env bash
# Issue 21's memory check: a long dataset (45 takes of MINUTES each from the demo amp: 15 settings x
# 3 playing seeds; 3 minutes each makes 2 h 15 min of audio) trained on RANKS MPI ranks of one
# thread, STEPS steps of the standard FiLM model; prints each rank's peak resident memory, which
# must stay under 1 GiB. The audio is mapped from float32 cache files next to the dataset (made on
# the first run), so a rank holds only what it touched lately. Long; not in CI.
#   scripts/mpi_memory.sh [MINUTES] [RANKS] [STEPS] [NAM_KNOBS_BINARY]   default 3 2 80
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-3}"
ranks="${2:-2}"
steps="${3:-80}"
bin="${4:-}"
if [[ -z "$bin" ]]; then
  for b in build-native/apps/nam-knobs build/apps/nam-knobs; do [[ -x "$b" ]] && bin="$b" && break; done
fi
[[ -n "$bin" ]] || { echo "mpi_memory.sh: no nam-knobs binary; build first (scripts/build.sh build)" >&2; exit 2; }
bin=$(realpath "$bin")
[[ -x /usr/bin/time ]] || { echo "mpi_memory.sh: needs /usr/bin/time (Debian: time)" >&2; exit 2; }
work="${NAMK_MEMORY_DIR:-$(mktemp -d)}"
mkdir -p "$work"
seconds=$(awk "BEGIN { print $minutes * 60 }")

# Three demo datasets of 15 settings, merged into one dataset of 45 training takes (none held out:
# the check is about memory, and scoring held-out hours at the end would only take time).
if [[ ! -f "$work/dataset.json" ]]; then
  for seed in 1 2 3; do
    [[ -f "$work/s$seed/dataset.json" ]] ||
      "$bin" synth --out "$work/s$seed" --seed "$seed" --seconds "$seconds" >/dev/null
  done
  python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
merged = None
for seed in (1, 2, 3):
    d = json.load(open(f"{work}/s{seed}/dataset.json"))
    for e in d["entries"]:
        e["input_file"] = f"s{seed}/" + e["input_file"]
        e["output_file"] = f"s{seed}/" + e["output_file"]
        e["split"] = "train"
    if merged is None:
        merged = d
    else:
        merged["entries"] += d["entries"]
json.dump(merged, open(f"{work}/dataset.json", "w"), indent=1)
json.dump({"dataset": "dataset.json", "sample_rate": 48000, "delay": 0, "validation_tail_seconds": 1.0},
          open(f"{work}/data.json", "w"))
PY
fi
cat >"$work/learn.json" <<JSON
{"epochs": 1, "steps_per_epoch": $steps, "batch_size": 16, "threads": 1}
JSON
audio_mib=$(du -cm "$work"/s*/*.wav | tail -1 | cut -f1)
echo "mpi_memory.sh: 45 takes of $minutes min ($audio_mib MiB of WAV), $ranks ranks x 1 thread, $steps steps"
rm -rf "$work/run"
start=$(date +%s)
mpirun --oversubscribe --allow-run-as-root --bind-to none -np "$ranks" \
  /usr/bin/time -f "peak RSS %M KiB" "$bin" train --data "$work/data.json" --model standard \
  --learning "$work/learn.json" --out "$work/run" --quiet 2>&1 | tee "$work/log" |
  grep -v -e "^  " -e "has the same knob setting as"  # the 3 takes of each setting
echo "mpi_memory.sh: $(( $(date +%s) - start )) s"
worst=$(grep -o "peak RSS [0-9]* KiB" "$work/log" | awk '{ if ($3 > m) m = $3 } END { print m }')
echo "mpi_memory.sh: largest peak RSS of a rank: $((worst / 1024)) MiB (limit 1024 MiB)"
[[ "$worst" -lt $((1024 * 1024)) ]]
