#!/usr/bin/env bash
# run.sh - build the libFuzzer targets (the event decoder, the SQL module,
# the dead-letter writer, the dashboard's HTTP request parser) with clang (plus ASan and UBSan) and
# run each for a short while on its committed corpus (tests/fuzz/corpus/).
#
#   tests/fuzz/run.sh [SECONDS]      (default 20 per target)
#
# New interesting inputs go to var/fuzz/corpus/<target> (not committed);
# a crash leaves its input in var/fuzz/ and fails the run. Ends with
# "fuzz: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SECS=${1:-20}
OUT=var/fuzz
mkdir -p "$OUT"
command -v clang >/dev/null || { echo "fuzz: clang not found (scripts/setup.sh installs it)"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
CFLAGS=(-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Icommon -Isqlcore -Idashboard)
SRC=(common/rf_event.c common/rf_jflat.c common/rf_time.c common/rf_json.c common/rf_buf.c common/rf_deadletter.c dashboard/http.c sqlcore/sql_*.c)
pass=0; fail=0
for target in event sql deadletter http; do
    bin="$OUT/fuzz_$target"
    if ! clang "${CFLAGS[@]}" -o "$bin" "tests/fuzz/fuzz_$target.c" "${SRC[@]}" -ljansson -lcrypto -lm 2>"$OUT/build_$target.log"; then
        echo "fuzz_$target: build failed:"; cat "$OUT/build_$target.log"; fail=$((fail + 1)); continue
    fi
    mkdir -p "$OUT/corpus/$target"
    if "$bin" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$OUT/crash_${target}_" \
        "$OUT/corpus/$target" "tests/fuzz/corpus/$target" >"$OUT/run_$target.log" 2>&1; then
        echo "fuzz_$target: ok ($(grep -oE 'Done [0-9]+ runs' "$OUT/run_$target.log" | tail -1) in ${SECS}s)"
        pass=$((pass + 1))
    else
        echo "fuzz_$target: FAILED"; tail -30 "$OUT/run_$target.log"; fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
