#!/usr/bin/env bash
# Installs what nam-knobs needs to build and test, from Debian's packages. Idempotent and silent
# when everything is present; needs root (or sudo) only when something is missing.
set -euo pipefail

# lv2-dev, libsoxr-dev and liblilv-dev build the LV2 plugin, its resampling and its test host;
# lilv-utils (lv2info), lv2file, jalv with jackd2 (its dummy driver needs no sound card) and sordi
# (sord_validate, behind lv2_validate) are the third-party hosts and checkers the plugin tests drive.
# clang, its runtime (libFuzzer, sanitizers) and LLVM's OpenMP: the fuzz build (scripts/fuzz.sh).
# chromium: the report test renders report.html headless (scripts/report_shot.sh); without it that
# one test is skipped. libopenmpi-dev and openmpi-bin (mpirun): training across processes and
# machines (NAMK_MPI, docs/distributed.md) and its tests.
packages=(g++ make cmake pkg-config git libeigen3-dev rapidjson-dev libsndfile1-dev doctest-dev
          lv2-dev libsoxr-dev liblilv-dev lilv-utils lv2file sordi jalv jackd2
          clang libclang-rt-14-dev libomp-dev chromium libopenmpi-dev openmpi-bin)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
