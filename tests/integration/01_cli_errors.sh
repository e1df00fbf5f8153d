# 01_cli_errors: bad flags get usage and exit 2; --help exits 0; an
# unreachable broker gets a clear message naming it, within the timeout, exit 1.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"

# program, arguments, expected exit code, text expected on stderr
cases=(
    "producer|--bogus|2|unknown option '--bogus'"
    "producer|--unicorns 0|2|--unicorns: 0 is out of range"
    "producer|--rate fast|2|--rate: 'fast' is not a number"
    "producer|--duration soon|2|is not a duration"
    "producer|--count 5 --duration 1m|2|cannot be combined"
    "producer|--late-fraction 2|2|--late-fraction: 2 is out of range"
    "producer|--input x --disorder-ms 5|2|apply to the simulator"
    "producer|--input x --burst|2|--burst applies to the simulator"
    "producer|--progress maybe|2|not one of auto|on|off"
    "producer|--print extra|2|unexpected argument 'extra'"
    "producer|--topic|2|--topic needs a value"
    "consumer|--bogus|2|unknown option '--bogus'"
    "consumer|--from tomorrow|2|--from: expected"
    "consumer|--group g --from 5|2|needs no --group"
    "consumer|--format xml|2|not one of json|table|csv"
    "consumer|--show key,colour|2|--show: expected"
    "consumer|--count -1|2|out of range"
    "devbroker|--brokers 0|2|out of range"
    "devbroker|--topic nopartitions|2|expected NAME:PARTITIONS"
    "producer|-X no.such.property=1 --print -c 1|2|-X no.such.property=1"
    "consumer|-X fetch.wait.max.ms=forever|2|-X fetch.wait.max.ms=forever"
    "sink|--to postgresql://h/db?connections=0|2|connections=0: expected a number of connections from 1 to 16"
    "sink|--to postgresql://h/db?table=Bad&connections=2|2|table=Bad: expected a lower-case SQL name"
)
for c in "${cases[@]}"; do
    IFS='|' read -r prog args want text <<<"$c"
    # shellcheck disable=SC2086
    err=$("$RF_BIN/$prog" $args 2>&1 >/dev/null </dev/null); rc=$?
    check_eq "$prog $args: exit code" "$rc" "$want"
    check_match "$prog $args: says what is wrong" "$err" "$(printf '%s' "$text" | sed 's/[|.*+?()]/\\&/g')"
    [ "$want" = 2 ] && check_match "$prog $args: prints usage" "$err" "Usage: $prog"
done

for prog in producer consumer devbroker; do
    out=$("$RF_BIN/$prog" --help); rc=$?
    check_eq "$prog --help exits 0" "$rc" 0
    check_match "$prog --help documents --help" "$out" "--help"
done

# An unreachable broker: a clear message naming it, within the timeout.
for prog in "producer -c 1" "consumer"; do
    t0=$(date +%s%N)
    err=$($RF_BIN/$prog --brokers 127.0.0.1:1 --timeout 2s 2>&1 >/dev/null); rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    check_eq "$prog: unreachable broker exits 1" "$rc" 1
    check_match "$prog: names the broker" "$err" "cannot reach Kafka at 127.0.0.1:1"
    check "$prog: gives up within the timeout (${ms} ms)" test "$ms" -lt 6000
done

# A missing input file and a missing topic are errors, not crashes.
err=$("$RF_BIN/producer" --print --input /nonexistent 2>&1 >/dev/null); rc=$?
check_eq "producer --input missing file exits 1" "$rc" 1
check_match "producer names the missing file" "$err" "cannot open --input /nonexistent"
env_need kafka
err=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "no-such-topic-$$" -X allow.auto.create.topics=false 2>&1 >/dev/null); rc=$?
check_eq "consumer on a missing topic exits 1" "$rc" 1
check_match "consumer says the topic does not exist" "$err" "does not exist"
finish
