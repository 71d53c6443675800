#!/usr/bin/env bash
# End-to-end tests of training across MPI ranks (issue 21), as a user runs it under mpirun:
#   equal   1, 2 and 4 ranks train the same weights, bit for bit, as one process (with the same
#           global batch), and rank 0's log holds the same numbers
#   resume  a checkpoint written by 2 ranks resumes with 1 rank, and one written by 1 with 2, to
#           the weights of an uninterrupted run
#   kill    a rank killed mid-run (SIGKILL, by the NAMK_TEST_KILL_RANK hook) ends the job non-zero
#           with a message naming that rank and its host; the last checkpoint is intact and
#           --resume finishes the run with the weights of an uninterrupted one
# Usage: mpi_test.sh NAM_KNOBS_BINARY MPIEXEC NAMK_MPI CASE. Exits 77 (skipped) without MPI.
set -uo pipefail
nk="$1"
mpiexec="$2"
with_mpi="$3"
case_name="$4"
case "$with_mpi" in ON | on | 1 | TRUE | true) ;; *) echo "SKIP: built without MPI (NAMK_MPI off)"; exit 77 ;; esac
command -v "$mpiexec" >/dev/null || { echo "SKIP: no $mpiexec"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The run of cli_test.sh's size: a 4-second dataset, windows of 2048, 6 steps of 4 items per epoch,
# with NAM's MRSTFT term on (its batch-wide norms are gathered across ranks too).
"$nk" synth --out "$work/data" --seconds 4 >/dev/null || fail "synth"
sed -i 's/"ny": 8192/"ny": 2048/' "$work/data/data.json"
cat >"$work/learn.json" <<JSON
{"epochs": 3, "steps_per_epoch": 6, "batch_size": 4, "lr": 0.005, "seed": 7, "threads": 1,
 "loss": {"mse": 1, "esr": 0.5, "pre_emphasis_mrstft": 2e-4}}
JSON
# The tiny WaveNet every end-to-end script trains (a few seconds per run).
cp "$(dirname "$0")/../fixtures/configs/tiny_wavenet.json" "$work/model.json"

train() {  # train OUT [extra args]: one process
  local out="$1"
  shift
  "$nk" train --data "$work/data/data.json" --model "$work/model.json" --learning "$work/learn.json" \
    --out "$out" --quiet "$@"
}
train_ranks() {  # train_ranks N OUT [extra args]: N ranks of 1 thread on this machine
  local n="$1" out="$2"
  shift 2
  # Under the sanitizer build, ranks skip the leak check: Open MPI keeps allocations past
  # MPI_Finalize in components it has unloaded, which no suppression can name. The same code
  # outside MPI keeps the check in every one-process run here and in cli_test.sh.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  "$mpiexec" --oversubscribe --allow-run-as-root -np "$n" \
    "$nk" train --data "$work/data/data.json" --model "$work/model.json" --learning "$work/learn.json" \
    --out "$out" --quiet --threads 1 "$@"
}
# same_weights A B: the two runs' final checkpoints hold the same bits, but for their last 16
# bytes (the run's wall time and the checksum that covers it), and their logs the same numbers
# (all but the time and speed columns).
same_weights() {
  cmp -s <(head -c -16 "$1/checkpoint.bin") <(head -c -16 "$2/checkpoint.bin") \
    || fail "$(basename "$2")'s checkpoint differs from $(basename "$1")'s"
  cmp -s <(cut -d, -f1-5,8 "$1/training_log.csv") <(cut -d, -f1-5,8 "$2/training_log.csv") \
    || fail "$(basename "$2")'s log differs from $(basename "$1")'s"
}

case "$case_name" in
  equal)
    train "$work/one" --threads 2 >/dev/null || fail "one process"
    for n in 1 2 4; do
      train_ranks "$n" "$work/ranks$n" >"$work/out$n" 2>"$work/err$n" || { cat "$work/err$n"; fail "$n ranks"; }
      same_weights "$work/one" "$work/ranks$n"
      # Rank 0 alone prints: one result, not n.
      [ "$(grep -c '^wrote ' "$work/out$n")" -eq 1 ] || { cat "$work/out$n"; fail "$n ranks printed the result other than once"; }
    done
    [ ! -s "$work/err2" ] || { cat "$work/err2"; fail "2 ranks with --quiet printed on stderr"; }
    echo "1, 2 and 4 ranks trained the same bits as one process"
    ;;
  resume)
    train "$work/whole" --epochs 4 >/dev/null || fail "uninterrupted run"
    train_ranks 2 "$work/from2" --epochs 2 >/dev/null || fail "2 ranks, 2 epochs"
    train "$work/from2" --epochs 4 --resume >/dev/null || fail "1 rank resuming 2 ranks' checkpoint"
    same_weights "$work/whole" "$work/from2"
    train "$work/from1" --epochs 2 >/dev/null || fail "1 rank, 2 epochs"
    train_ranks 2 "$work/from1" --epochs 4 --resume >/dev/null || fail "2 ranks resuming 1 rank's checkpoint"
    same_weights "$work/whole" "$work/from1"
    echo "checkpoints of 2 ranks resumed on 1 and of 1 on 2, to the weights of an uninterrupted run"
    ;;
  kill)
    train "$work/whole" --epochs 4 >/dev/null || fail "uninterrupted run"
    # Rank 1 dies in epoch 3 (steps 13-18), after the checkpoint of epoch 2.
    status=0
    NAMK_TEST_KILL_RANK=1:15 train_ranks 2 "$work/killed" --epochs 4 >"$work/out" 2>&1 || status=$?
    [ "$status" -ne 0 ] || fail "the job went on after rank 1 was killed (exit 0)"
    grep -q "rank 1" "$work/out" || { cat "$work/out"; fail "the message does not name rank 1"; }
    grep -qF "$(hostname)" "$work/out" || { cat "$work/out"; fail "the message does not name the host $(hostname)"; }
    [ -e "$work/killed/model.nam" ] && fail "a killed job wrote model.nam"
    [ "$(tail -n +2 "$work/killed/training_log.csv" | wc -l)" -eq 2 ] || fail "the log does not end at epoch 2"
    train_ranks 2 "$work/killed" --epochs 4 --resume >/dev/null || fail "resuming the killed job"
    same_weights "$work/whole" "$work/killed"
    echo "a killed rank ended the job (exit $status) naming it; the checkpoint resumed to identical weights"
    ;;
  *) fail "unknown case $case_name" ;;
esac
