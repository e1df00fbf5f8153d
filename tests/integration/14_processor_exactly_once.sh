# 14_processor_exactly_once: kill -9 the processor again and again while the
# fleet is producing (disorder, late events); after a last run the outputs,
# taken as the latest per (stream, key, window), equal an independent
# reference value for value, EMIT FINAL streams hold each window once, and
# the late topic holds each late event once.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
env_need kafka
test_workdir W
SRC=$(uniq_topic src)
{ summary_sql "$SRC"; cat; } >"$W/q.sql" <<SQL
CREATE STREAM sessions WITH (topic='$SRC-sessions') AS
SELECT Name, WINDOW_START AS RideStart, WINDOW_END AS RideEnd, COUNT(*) AS n, SUM(Distance) AS d
FROM wildrydes WINDOW SESSION (20 SECONDS, GRACE 3 SECONDS) GROUP BY Name;
CREATE STREAM changes WITH (topic='$SRC-changes') AS
SELECT Name, WINDOW_START AS w, COUNT(*) AS n
FROM wildrydes WINDOW TUMBLING (SIZE 30 SECONDS) GROUP BY Name EMIT CHANGES;
SQL
P=(-b "$RF_BROKERS" -f "$W/q.sql" -G "g-$SRC" -i one --status-interval 1h --idle-timeout 0 --commit-interval 200ms
   --late-topic "$SRC-late" --deadletter-topic "$SRC-dead")

# The fleet: 30 unicorns, 40 minutes of event time, sent at 12,000 events/s.
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC" -p 4 -n 30 --start-time "2026-11-22 07:00:00" -d 40m --seed 14 \
    --disorder-ms 3000 --late-fraction 0.005 --late-by 75s -r 12000 2>/dev/null &
producer=$!
kill_loop "$producer" 1.8 "$W/proc.err" "${P[@]}"
wait "$producer"
check_eq "the producer delivered every event" "$?" 0
check "the processor was killed many times mid-run ($kills)" test "$kills" -ge 6
send_sentinels "$RF_BROKERS" "$SRC" 40
timeout 180 "$RF_BIN/processor" "${P[@]}" --exit-at-end 2>>"$W/proc.err"
check_eq "a last run finishes the input and exits 0" "$?" 0
check "the restarts resumed from their commits" grep -q "resuming from its commit" "$W/proc.err"

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC" --show partition,offset >"$W/events.jsonl" 2>/dev/null
check_eq "every event is in the source topic" "$(grep -vc sentinel "$W/events.jsonl")" 72000
mkdir -p "$W/out"
for s in summary sessions changes; do
    "$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-$s" --show key >"$W/out/$s.jsonl" 2>/dev/null
done
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-late" --show key >"$W/out/late.jsonl" 2>/dev/null
truth_checks "$W/events.jsonl" "$W/out"
finish
