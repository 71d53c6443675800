# Sourced by the shell tests (cli_test.sh, lv2_test.sh): a scratch folder, $work, removed on exit,
# and fail, which says why and stops the case.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
