#!/usr/bin/env bash
# run.sh - run every test: unit tests and integration tests, on the plain build
# (bin/) and on the AddressSanitizer + UBSan build (build/asan/bin/).
#
#   tests/run.sh [--unit-only] [--build release|asan|both] [NAME_PATTERN]
#
# The libFuzzer targets (tests/fuzz/) run for FUZZ_SECONDS (20) each.
# Integration tests share one Kafka broker (started here, on a free port);
# a test that needs more (Redis, PostgreSQL, S3, a dev broker, three Kafka
# nodes) starts it through tests/lib/env.sh. Each test's output goes to
# var/test-logs/<build>/<test>.log; failures print their log's tail.
# The last line is "tests: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
UNIT_ONLY=0; BUILDS="release asan"; PATTERN=""
while [ $# -gt 0 ]; do
    case "$1" in
        --unit-only) UNIT_ONLY=1; shift ;;
        --build) case "$2" in both) BUILDS="release asan" ;; *) BUILDS="$2" ;; esac; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) PATTERN="$1"; shift ;;
    esac
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LOGS="$ROOT/var/test-logs"
# A whole run starts with no logs; a run of some tests replaces only theirs
# (another run's logs, still being written, stay).
if [ -z "$PATTERN" ]; then rm -rf "$LOGS"; else rm -f "$LOGS"/*/*"$PATTERN"*.log; fi
mkdir -p "$LOGS"
PASS=0; FAIL=0; FAILED_TESTS=()

bindir() { [ "$1" = asan ] && echo "$ROOT/build/asan/bin" || echo "$ROOT/bin"; }

# count LOGFILE: add the "N passed, N failed" line of a finished test.
count() {
    local line p f
    line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+'); f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
    PASS=$((PASS + ${p:-0})); FAIL=$((FAIL + ${f:-0}))
}

run_one() { # run_one BUILD NAME LOG COMMAND...
    local build=$1 name=$2 log=$3; shift 3
    local t0=$SECONDS
    "$@" >"$log" 2>&1; local rc=$?
    count "$log"
    if [ $rc -ne 0 ] || ! grep -qE '[0-9]+ passed, [0-9]+ failed' "$log"; then
        if ! grep -qE '[0-9]+ passed, [1-9][0-9]* failed' "$log"; then FAIL=$((FAIL + 1)); fi
        FAILED_TESTS+=("$build/$name")
        printf '%-8s %-40s FAIL (exit %d, %ds)\n' "$build" "$name" "$rc" $((SECONDS - t0))
        # The failed checks first (with the diagnostics they print), then the
        # end of the log: CI shows only what this prints.
        grep -A4 '^not ok' "$log" | head -40 | sed 's/^/    ! /'
        tail -25 "$log" | sed 's/^/    | /'
    else
        printf '%-8s %-40s ok   (%s, %ds)\n' "$build" "$name" "$(grep -E '[0-9]+ passed' "$log" | tail -1 | sed 's/.*: //')" $((SECONDS - t0))
    fi
}

for build in $BUILDS; do
    mkdir -p "$LOGS/$build"
    for t in "$(bindir "$build")"/tests/test_*; do
        [ -x "$t" ] || continue
        name=unit/$(basename "$t")
        [ -n "$PATTERN" ] && [[ "$name" != *$PATTERN* ]] && continue
        run_one "$build" "$name" "$LOGS/$build/$(basename "$t").log" "$t"
    done
done

# Fuzzing: the event decoder and the SQL module, a short run on the corpus.
if [ -z "$PATTERN" ] || [[ fuzz == *$PATTERN* ]]; then
    mkdir -p "$LOGS/fuzz"
    run_one clang fuzz "$LOGS/fuzz/fuzz.log" tests/fuzz/run.sh "${FUZZ_SECONDS:-20}"
fi

if [ $UNIT_ONLY = 0 ]; then
    source "$ROOT/tests/lib/env.sh"
    if ! env_need kafka; then
        echo "run.sh: could not start Kafka" >&2
        FAIL=$((FAIL + 1)); FAILED_TESTS+=("environment/kafka")
    else
        echo "run.sh: Kafka at $RF_BROKERS"
        for build in $BUILDS; do
            for t in tests/integration/[0-9]*.sh; do
                name=integration/$(basename "$t" .sh)
                [ -n "$PATTERN" ] && [[ "$name" != *$PATTERN* ]] && continue
                RF_BIN=$(bindir "$build") RF_BUILD=$build run_one "$build" "$name" "$LOGS/$build/$(basename "$t" .sh).log" \
                    timeout --kill-after=10 "${RF_TEST_TIMEOUT:-600}" bash "$t"
            done
        done
    fi
fi

echo
[ ${#FAILED_TESTS[@]} -gt 0 ] && echo "failed: ${FAILED_TESTS[*]} (logs in var/test-logs/)"
echo "tests: $PASS passed, $FAIL failed"
[ $FAIL = 0 ] && [ ${#FAILED_TESTS[@]} = 0 ]
