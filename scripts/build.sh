#!/usr/bin/env bash
# Configures and builds one build directory: scripts/build.sh DIR [extra cmake arguments...]
# Shared by demo.sh and test.sh so both build the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$1"
shift
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.configure.log" 2>&1 \
  || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j "$(nproc)" -- --no-print-directory >"$dir.build.log" 2>&1 \
  || { grep -E -A5 "error|Error" "$dir.build.log" | head -80; echo "build failed: see $dir.build.log"; exit 1; }
echo "built $dir"
