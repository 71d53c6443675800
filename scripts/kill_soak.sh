#!/usr/bin/env bash
# Issue 18's soak: one training run SIGKILLed KILLS times in a row at random moments, resumed each
# time, must end with the weights of an uninterrupted run (tests/apps/cli_test.sh, case kill_soak;
# CI runs 5 kills, this runs as many as asked).
#   scripts/kill_soak.sh [KILLS] [NAM_KNOBS_BINARY]     default 20, build-native or build
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-20}"
bin="${2:-}"
if [[ -z "$bin" ]]; then
  for b in build-native/apps/nam-knobs build/apps/nam-knobs; do [[ -x "$b" ]] && bin="$b" && break; done
fi
[[ -n "$bin" ]] || { echo "kill_soak.sh: no nam-knobs binary; build first (scripts/build.sh build)" >&2; exit 2; }
NAMK_SOAK_KILLS="$kills" exec bash tests/apps/cli_test.sh "$bin" "$PWD" kill_soak
