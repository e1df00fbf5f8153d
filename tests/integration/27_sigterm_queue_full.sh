# 27_sigterm_queue_full: SIGTERM is honoured while Kafka takes nothing. A
# private broker is frozen (SIGSTOP) while the producer and the processor
# have records to deliver, so their output queues fill up and stay full; a
# SIGTERM must still end each within a bounded time, saying what was not
# delivered (exit 1: nothing is lost, the records are read again).
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
_rf_env_dir
_rf_start_kafka 1 QF_BROKERS || exit 1
KPID=$(awk 'NR == 1 {print $2}' "$RF_ENV_DIR/kafka1/nodes")
on_exit "kill -CONT $KPID 2>/dev/null"
test_workdir W
T=$(uniq_topic src)
# stops_within SECS PID: wait for PID to exit, at most SECS; its status in $rc (124: still running).
stops_within() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do kill -0 "$2" 2>/dev/null || { wait "$2"; rc=$?; return 0; }; sleep 0.1; done
    rc=124
    return 1
}
"$RF_BIN/producer" -b "$QF_BROKERS" -t "$T" -p 1 -n 50 --start-time "2026-11-22 07:00:00" -d 30m 2>/dev/null
check_eq "a backlog of 30 minutes of 50 unicorns" "$?" 0
"$RF_BIN/producer" -b "$QF_BROKERS" -t "$T-live" -p 1 --input /dev/null 2>/dev/null

# 1. The producer, its queue full.
"$RF_BIN/producer" -b "$QF_BROKERS" -t "$T-live" -n 50 --rate 2000 -X queue.buffering.max.messages=10 \
    --flush-timeout 2s 2>"$W/producer.err" &
pid=$!
sleep 1
kill -STOP "$KPID"
sleep 2 # its queue is full within milliseconds
kill -TERM "$pid"
start=$SECONDS
stops_within 15 "$pid"
check_eq "the producer stops on SIGTERM with its queue full, within 15 s (exit 1: undelivered; took $((SECONDS - start)) s)" "$rc" 1
check_match "  and says what was not delivered" "$(tail -1 "$W/producer.err")" "undelivered [1-9]"
kill -9 "$pid" 2>/dev/null
kill -CONT "$KPID"

# 2. The processor, its transactional output queue full of results.
cat >"$W/q.sql" <<SQL
CREATE STREAM wildrydes WITH (topic='$T');
CREATE STREAM summary WITH (topic='$T-summary') AS
SELECT Name, WINDOW_START AS m, COUNT(*) AS n FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name;
SQL
MPORT=$(_rf_free_port)
"$RF_BIN/processor" -b "$QF_BROKERS" -f "$W/q.sql" -G "g-$T" --late-topic "$T-late" --deadletter-topic "$T-dead" \
    -X queue.buffering.max.messages=10 --status-interval 1h --metrics "127.0.0.1:$MPORT" 2>"$W/processor.err" &
pid=$!
wait_for 30 "the processor to read events" bash -c \
    "curl -s http://127.0.0.1:$MPORT/metrics | grep -qE '^rydeflow_processor_events_total [1-9][0-9]{3}'"
kill -STOP "$KPID" # what it has fetched makes more results than its queue holds
wait_for 30 "the processor's queue to fill" grep -q "output queue full" "$W/processor.err"
kill -TERM "$pid"
start=$SECONDS
stops_within 30 "$pid"
check_eq "the processor stops on SIGTERM with its queue full, within 30 s (exit 1: nothing committed; took $((SECONDS - start)) s)" "$rc" 1
check_match "  saying why" "$(cat "$W/processor.err")" "output queue stayed full for 10 s after the shutdown began"
kill -9 "$pid" 2>/dev/null
kill -CONT "$KPID"
finish
