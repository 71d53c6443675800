#!/usr/bin/env bash
# README command 1: install what is missing, build in Release for this CPU, then the main job on the
# built-in default: generate the demo knob dataset (a virtual amp with gain and tone knobs), train
# a small FiLM-conditioned WaveNet on 2 cores for a few minutes, render a knob setting the model
# never saw in training, and print its ESR next to the trained settings', and the path of the
# training report (demo-out/run/report.html: open it in a browser, reload while it trains).
# Everything lands in demo-out/. Idempotent: each run regenerates the same data and trains afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build-demo -DNAMK_NATIVE=ON -DNAMK_BUILD_TESTS=OFF
nk=build-demo/apps/nam-knobs
out=demo-out

"$nk" synth --out "$out/data"
rm -rf "$out/run"
"$nk" train --data "$out/data/data.json" --model configs/models/demo_film.json \
  --learning configs/learning/demo.json --out "$out/run"
# gain 2.5, tone 5 is marked "split": "test" in the dataset: training never saw it.
"$nk" render --model "$out/run/model.nam" --input "$out/data/input.wav" \
  --output "$out/render_gain2.5_tone5.wav" --knob gain=2.5 --knob tone=5 \
  --reference "$out/data/output_gain2.5_tone5.wav"
echo "demo: done. Model: $out/run/model.nam; rendered unseen setting: $out/render_gain2.5_tone5.wav"
echo "demo: report: $out/run/report.html (open it in a browser)"
