#!/usr/bin/env bash
# Renders a report.html in headless Chromium (Debian's chromium) to a PNG, to look at it without a
# desktop or to check it in CI: scripts/report_shot.sh REPORT.html [OUT.png] [WIDTH] [HEIGHT]
# (default OUT: REPORT.png beside it, 1280 x 5600 CSS pixels, taller than the demo's page). A fresh
# browser profile each time, no network, no GPU; prints the PNG's path. Exit 77 when chromium is
# not installed (scripts/setup.sh installs it).
set -euo pipefail
html="$1"
png="${2:-${html%.html}.png}"
width="${3:-1280}"
height="${4:-5600}"
command -v chromium >/dev/null || { echo "report_shot: chromium is not installed (Debian package chromium)" >&2; exit 77; }
[ -f "$html" ] || { echo "report_shot: no such file: $html" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$png"
# --headless renders without a display; the other flags keep it from reaching the network or
# starting background services, so the render depends on the page alone.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --user-data-dir="$profile" --window-size="$width,$height" --screenshot="$(realpath -m "$png")" \
  "file://$(realpath "$html")" >"$profile/chromium.log" 2>&1 || { cat "$profile/chromium.log" >&2; exit 1; }
[ -s "$png" ] || { cat "$profile/chromium.log" >&2; echo "report_shot: chromium wrote no $png" >&2; exit 1; }
echo "$png"
