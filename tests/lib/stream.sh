# stream.sh - helpers shared by the processor's integration tests.

# summary_sql SRC: the source re-pointed at topic SRC, and the workshop's
# per-minute summary as stream `summary` into SRC-summary (the stream
# tests/lib/stream_truth.py calls "summary").
summary_sql() {
    cat <<SQL
CREATE STREAM wildrydes WITH (topic='$1');
CREATE STREAM summary WITH (topic='$1-summary') AS
SELECT Name, WINDOW_START AS StatusTime, SUM(Distance) AS Distance,
       MIN(MagicPoints) AS MinMagicPoints, MAX(MagicPoints) AS MaxMagicPoints,
       MIN(HealthPoints) AS MinHealthPoints, MAX(HealthPoints) AS MaxHealthPoints
FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 5 SECONDS) GROUP BY Name EMIT FINAL;
SQL
}

# send_sentinels BROKERS TOPIC N: N events a day ahead, under names that
# spread over every partition, so that every real window closes. Returns the
# producer's status; on failure its messages go to standard error. (Through
# a file: a producer that fails must not leave a writer on a broken pipe.)
send_sentinels() {
    local f; f=$(mktemp)
    python3 -c '
import sys
for i in range(int(sys.argv[1])):
    print("{\"Name\":\"sentinel-%d\",\"StatusTime\":\"2026-11-23 07:00:00.000\",\"Latitude\":40.7,\"Longitude\":-73.9,"
          "\"Distance\":0,\"MagicPoints\":1,\"HealthPoints\":1}" % i)' "$3" >"$f"
    "$RF_BIN/producer" -b "$1" -t "$2" --timeout 60s --input "$f" 2>"$f.err"
    local rc=$?
    [ "$rc" = 0 ] || cat "$f.err" >&2
    rm -f "$f" "$f.err"
    return "$rc"
}

# kill_loop PRODUCER_PID MAX_SLEEP LOG PROCESSOR_ARGS...: while the producer
# runs (and at least 6 times), start the processor and kill -9 it after a
# random 0.3-MAX_SLEEP s. Sets $kills.
kill_loop() {
    local producer=$1 max=$2 log=$3 pid
    shift 3
    kills=0
    while kill -0 "$producer" 2>/dev/null || [ "$kills" -lt 6 ]; do
        "$RF_BIN/processor" "$@" 2>>"$log" &
        pid=$!
        sleep "$(python3 -c 'import random, sys; print(round(random.uniform(0.3, float(sys.argv[1])), 2))' "$max")"
        kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
        wait "$pid" 2>/dev/null
    done
}
