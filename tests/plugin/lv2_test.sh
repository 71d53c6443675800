#!/usr/bin/env bash
# The exported LV2 bundles in third-party tools, as a user meets them.
#   lv2_test.sh NAM_KNOBS WAV_TOOL SOURCE_DIR CASE [BUNDLE_DIR]
# Cases: bundles (export the fixture models into BUNDLE_DIR for the lilv test host), validate
# (lv2_validate against the LV2 spec), lv2file (lv2file renders through the bundle with -p knob
# values and equals nam-knobs render), jalv (jalv headless on JACK's dummy driver), export_errors
# (refusals and their messages).
set -uo pipefail
nk="$1"
wav="$2"
src="$3"
case_name="$4"
fixtures="$src/tests/fixtures"
# shellcheck source=../shell_test_lib.sh
source "$src/tests/shell_test_lib.sh"

export_bundles() {  # export_bundles DIR: the knob fixture, a smoothed copy of it, a plain NAM model, a slimmable one
  local dir="$1"
  mkdir -p "$dir"
  # The fixture has no smoothing (its tests want knob jumps); the zipper test wants the 20 ms default.
  sed -e 's/"smoothing_ms": 0,/"smoothing_ms": 20,/' \
      -e 's/"name": "C API test knob WaveNet"/"name": "C API test knob WaveNet smoothed"/' \
      "$fixtures/c_api/knob_wavenet.nam" >"$work/knob_smoothed.nam"
  grep -q '"smoothing_ms": 20' "$work/knob_smoothed.nam" || fail "could not make the smoothed fixture"
  "$nk" export --model "$fixtures/c_api/knob_wavenet.nam" --lv2 "$dir/knob.lv2" --force >/dev/null || fail "export knob"
  "$nk" export --model "$work/knob_smoothed.nam" --lv2 "$dir/knob_smoothed.lv2" --force >/dev/null || fail "export smoothed"
  "$nk" export --model "$fixtures/nam/wavenet.nam" --lv2 "$dir/plain.lv2" --force >/dev/null || fail "export plain"
  "$nk" export --model "$fixtures/nam_models/slimmable_container.nam" --lv2 "$dir/slim.lv2" --force >/dev/null ||
    fail "export slimmable"
}

# expect_error "fragment" command...: the command must fail and print the fragment on stderr.
expect_error() {
  local fragment="$1"
  shift
  if "$@" >"$work/out" 2>"$work/err"; then fail "expected failure: $*"; fi
  grep -qF -- "$fragment" "$work/err" || { cat "$work/err"; fail "message lacks '$fragment': $*"; }
}

knob_uri="urn:nam-knobs:model:c-api-test-knob-wavenet"
plain_uri="urn:nam-knobs:model:test-model"

case "$case_name" in
  bundles)
    export_bundles "$5"
    ;;
  validate)
    export_bundles "$work/b"
    lv2_validate "$work"/b/*.lv2/*.ttl >"$work/log" 2>&1 || { cat "$work/log"; fail "lv2_validate"; }
    grep -q "Found 0 errors" "$work/log" || { cat "$work/log"; fail "lv2_validate found errors"; }
    # Stable URI: a second export of the same model announces the same plugin.
    "$nk" export --model "$fixtures/c_api/knob_wavenet.nam" --lv2 "$work/again.lv2" >/dev/null || fail "export again"
    cmp -s "$work/b/knob.lv2/manifest.ttl" "$work/again.lv2/manifest.ttl" || fail "URI changed between exports"
    ;;
  lv2file)
    if [ -n "${NAMK_LV2_SKIP:-}" ]; then echo "skipped: $NAMK_LV2_SKIP"; exit 77; fi
    export_bundles "$work/b"
    export LV2_PATH="$work/b"
    for rate in 48000 44100; do
      "$wav" signal "$work/in$rate.wav" $rate 1.5 || fail "signal"
      # Knob model at a setting away from the defaults, and a plain model.
      lv2file -b 300 -i "$work/in$rate.wav" -o "$work/lv_knob$rate.wav" -p gain:7.5 -p bass:-6 "$knob_uri" \
        >/dev/null 2>&1 || fail "lv2file knob at $rate Hz"
      "$nk" render --model "$fixtures/c_api/knob_wavenet.nam" --input "$work/in$rate.wav" \
        --output "$work/r_knob$rate.wav" --knob gain=7.5 --knob bass=-6 >"$work/render.log" || fail "render"
      lv2file -i "$work/in$rate.wav" -o "$work/lv_plain$rate.wav" "$plain_uri" >/dev/null 2>&1 \
        || fail "lv2file plain at $rate Hz"
      "$nk" render --model "$fixtures/nam/wavenet.nam" --input "$work/in$rate.wav" \
        --output "$work/r_plain$rate.wav" >/dev/null || fail "render plain"
      shift_by=0
      if [ $rate = 44100 ]; then
        # render removes the converters' latency; the plugin reports it and the host leaves it in.
        grep -q "resampled 44100 Hz" "$work/render.log" || fail "render did not say it resampled"
        [ "$(grep -c resampled "$work/render.log")" = 1 ] || fail "render should say it resampled in one line"
        expect_error "44100 Hz" "$nk" render --model "$fixtures/nam/wavenet.nam" --input "$work/in$rate.wav" \
          --output "$work/refused.wav" --no-resample
        expect_error "contradict" "$nk" render --model "$fixtures/nam/wavenet.nam" --input "$work/in$rate.wav" \
          --output "$work/refused.wav" --resample --no-resample
        # --resample (the issue's name for the default) renders exactly what no flag renders.
        "$nk" render --model "$fixtures/nam/wavenet.nam" --input "$work/in$rate.wav" \
          --output "$work/r_plain_flag.wav" --resample >/dev/null || fail "render --resample"
        cmp -s "$work/r_plain_flag.wav" "$work/r_plain$rate.wav" || fail "render --resample differs from the default"
        [ ! -e "$work/refused.wav" ] || fail "a refused render wrote its output"
        shift_by=$(sed -n 's/.*latency of \([0-9]*\) samples.*/\1/p' "$work/render.log")
        [ -n "$shift_by" ] && [ "$shift_by" -gt 0 ] || fail "no latency in: $(cat "$work/render.log")"
      fi
      for m in knob plain; do
        "$wav" compare "$work/lv_$m$rate.wav" "$work/r_$m$rate.wav" 1e-6 "$shift_by" \
          || fail "$m model at $rate Hz: lv2file differs from render"
      done
    done
    ;;
  jalv)
    # jalv (the LV2 reference host) headless against a JACK server with the dummy driver (no sound
    # card): loads the bundle at 44.1 kHz (so through the resampler), takes a control change on its
    # console, runs a few seconds and exits cleanly.
    if [ -n "${NAMK_LV2_SKIP:-}" ]; then echo "skipped: $NAMK_LV2_SKIP"; exit 77; fi
    command -v jalv >/dev/null && command -v jackd >/dev/null || { echo "skipped: jalv or jackd missing"; exit 77; }
    export_bundles "$work/b"
    export JACK_DEFAULT_SERVER="namk-lv2-test-$$" JACK_NO_AUDIO_RESERVATION=1
    jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 44100 -p 256 >"$work/jackd.log" 2>&1 &
    jackd_pid=$!
    trap 'kill $jackd_pid 2>/dev/null; wait $jackd_pid 2>/dev/null; rm -rf "$work"' EXIT
    sleep 2
    (echo "gain = 7.5"; sleep 3) | LV2_PATH="$work/b" timeout 30 jalv -c bass=-3 "$knob_uri" >"$work/jalv.log" 2>&1 \
      || { cat "$work/jackd.log" "$work/jalv.log"; fail "jalv did not run and exit cleanly"; }
    grep -q "Sample rate: *44100" "$work/jalv.log" || { cat "$work/jalv.log"; fail "jalv did not run at 44.1 kHz"; }
    grep -q "gain = 7.5" "$work/jalv.log" || { cat "$work/jalv.log"; fail "jalv did not take the control"; }
    ;;
  export_errors)
    "$nk" export --model "$fixtures/nam/wavenet.nam" --lv2 "$work/a.lv2" >/dev/null || fail "first export"
    expect_error "already exists; add --force" "$nk" export --model "$fixtures/nam/wavenet.nam" --lv2 "$work/a.lv2"
    touch "$work/a.lv2/stale-file"
    "$nk" export --model "$fixtures/c_api/knob_wavenet.nam" --lv2 "$work/a.lv2" --force >/dev/null || fail "--force"
    [ ! -e "$work/a.lv2/stale-file" ] || fail "--force kept the old bundle's files"
    grep -q "c-api-test-knob-wavenet" "$work/a.lv2/manifest.ttl" || fail "--force did not replace"
    expect_error "cannot create the bundle there" "$nk" export --model "$fixtures/nam/wavenet.nam" \
      --lv2 "$work/no/such/folder/b.lv2"
    mkdir "$work/ro" && chmod 500 "$work/ro"
    if [ "$(id -u)" -ne 0 ]; then  # root writes anywhere
      expect_error "cannot create the bundle there" "$nk" export --model "$fixtures/nam/wavenet.nam" --lv2 "$work/ro/b.lv2"
    fi
    expect_error "not a folder" "$nk" export --model "$fixtures/nam/wavenet.nam" --lv2 "$work/a.lv2/model.nam" --force
    expect_error "$work/missing.nam" "$nk" export --model "$work/missing.nam" --lv2 "$work/c.lv2"
    expect_error "drop --out and --knob" "$nk" export --model "$fixtures/nam/wavenet.nam" --lv2 "$work/d.lv2" --out x.nam
    expect_error "cannot read the LV2 plugin library" "$nk" export --model "$fixtures/nam/wavenet.nam" --lv2 "$work/e.lv2" --plugin "$work/none.so"
    # Nothing half-written: no temporary folders left next to the bundles.
    leftovers=$(find "$work" -maxdepth 1 -name '.*.tmp-*' -o -maxdepth 1 -name '.*.old-*')
    [ -z "$leftovers" ] || fail "left behind: $leftovers"
    for d in c d e; do [ ! -e "$work/$d.lv2" ] || fail "a failed export left $d.lv2"; done
    ;;
  *)
    fail "unknown case $case_name"
    ;;
esac
echo "ok: $case_name"
