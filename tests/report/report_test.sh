#!/usr/bin/env bash
# End-to-end tests of report.html, one CTest entry per case:
#   train_run  a short real training run (built-in synth data, a tiny WaveNet, 3 epochs) with
#              --quiet, which must print nothing on stderr; its report.html, and `nam-knobs report`
#              pages with and without the training log beside the model (the other cases read them)
#   data       each page read back by namk_report_check against `eval --json` and the dataset
#   browser    headless Chromium renders the page to report.png (left in this build folder) and an
#              empty page at the same size; the PNG must have the window's size and hold far more
#              than the empty page. Skipped (exit 77) when chromium is not installed.
# Usage: report_test.sh NAM_KNOBS REPORT_CHECK RUN_DIR CASE
set -uo pipefail
nk="$1"
check="$2"
run="$3"
case_name="$4"
here="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "FAIL: $*"; exit 1; }
epochs=3

case "$case_name" in
train_run)
  rm -rf "$run"
  mkdir -p "$run"
  "$nk" synth --out "$run/data" --seconds 4 >/dev/null || fail "synth"
  sed -i 's/"ny": 8192/"ny": 2048/' "$run/data/data.json"
  cat >"$run/learn.json" <<JSON
{"epochs": $epochs, "steps_per_epoch": 6, "batch_size": 4, "lr": 0.005, "seed": 7, "threads": 2,
 "loss": {"mse": 0, "esr": 1, "pre_emphasis_mrstft": 0}}
JSON
  # The tiny WaveNet every end-to-end script trains (a few seconds per run).
  cp "$(dirname "$0")/../fixtures/configs/tiny_wavenet.json" "$run/model.json"
  "$nk" train --data "$run/data/data.json" --model "$run/model.json" --learning "$run/learn.json" \
    --out "$run/train" --quiet >"$run/train.out" 2>"$run/train.err" || { cat "$run/train.err"; fail "train"; }
  [ ! -s "$run/train.err" ] || { cat "$run/train.err"; fail "--quiet printed on stderr"; }
  grep -qF "report: $run/train/report.html" "$run/train.out" || { cat "$run/train.out"; fail "train did not print the report's path"; }
  [ -s "$run/train/report.html" ] || fail "no report.html"
  if ls "$run/train" | grep -q tmp; then fail "a temp file was left behind"; fi
  "$nk" report --model "$run/train/model.nam" --data "$run/data/data.json" --out "$run/report_cmd.html" >/dev/null ||
    fail "report beside the training log"
  mkdir -p "$run/lone"
  cp "$run/train/model.nam" "$run/lone/model.nam"
  "$nk" report --model "$run/lone/model.nam" --data "$run/data/data.json" --out "$run/report_nolog.html" >/dev/null ||
    fail "report of a lone model"
  "$nk" eval --model "$run/train/model.nam" --data "$run/data/data.json" --json >"$run/eval.json" || fail "eval --json"
  ;;
data)
  for page in train/report.html:$epochs report_cmd.html:$epochs report_nolog.html:0; do
    "$check" html "$run/${page%%:*}" "$run/eval.json" "$run/data/dataset.json" "${page##*:}" || fail "${page%%:*}"
  done
  ;;
browser)
  command -v chromium >/dev/null || { echo "SKIP: chromium is not installed (Debian package chromium; scripts/setup.sh installs it)"; exit 77; }
  shot="$here/../../scripts/report_shot.sh"
  out="$(dirname "$run")/report.png"
  printf '<!DOCTYPE html>\n<html><body></body></html>\n' >"$run/empty.html"
  bash "$shot" "$run/empty.html" "$run/empty.png" 1280 5600 >/dev/null || fail "chromium on an empty page"
  bash "$shot" "$run/train/report.html" "$out" 1280 5600 >/dev/null || fail "chromium on report.html"
  "$check" png "$out" 1280 5600 "$run/empty.png" || fail "report.png"
  echo "report screenshot: $out"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
