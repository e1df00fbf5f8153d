# 15_processor_scaleout: two processors in one group share the partitions; a
# second one joins mid-run and the first is killed mid-run: together they
# produce exactly the results of one processor (checked against the
# independent reference), each EMIT FINAL window once.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
env_need kafka
test_workdir W
SRC=$(uniq_topic src)
summary_sql "$SRC" >"$W/q.sql"
P=(-b "$RF_BROKERS" -f "$W/q.sql" -G "g-$SRC" --status-interval 1h --idle-timeout 0 --commit-interval 200ms
   --late-topic "$SRC-late" --deadletter-topic "$SRC-dead" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500)

"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC" -p 6 -n 30 --start-time "2026-11-22 07:00:00" -d 30m --seed 15 \
    --disorder-ms 2000 -r 5000 2>/dev/null &
producer=$!
"$RF_BIN/processor" "${P[@]}" -i a 2>"$W/a.err" &
a=$!
sleep 3
"$RF_BIN/processor" "${P[@]}" -i b 2>"$W/b.err" &
b=$!
check "the second instance joined and got partitions" wait_for 60 "b's partitions" grep -q "partition $SRC \[" "$W/b.err"
check "a was still running when killed" kill -9 "$a" || cat "$W/a.err"
wait "$a" 2>/dev/null
wait "$producer"
check_eq "the producer delivered every event" "$?" 0
send_sentinels "$RF_BROKERS" "$SRC" 60
sleep 12  # the dead instance's session (6 s) and open transaction (10 s) time out
check "b is still running after a died" kill -0 "$b"
kill -TERM "$b"
wait "$b"
check_eq "b stops cleanly on SIGTERM (exit 0)" "$?" 0
timeout 120 "$RF_BIN/processor" "${P[@]}" -i b --exit-at-end 2>>"$W/b.err"
check_eq "b finishes the input" "$?" 0
check "b resumed partitions a had committed" grep -q "resuming from its commit" "$W/b.err"

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC" --show partition,offset >"$W/events.jsonl" 2>/dev/null
mkdir -p "$W/out"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-summary" --show key >"$W/out/summary.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-late" --show key >"$W/out/late.jsonl" 2>/dev/null
truth_checks "$W/events.jsonl" "$W/out"
finish
