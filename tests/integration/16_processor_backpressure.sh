# 16_processor_backpressure: Kafka freezes (SIGSTOP) for 12 s in the middle of
# a run: the processor waits (it neither crashes nor buffers without bound),
# resumes when Kafka is back, and its results are still exactly the
# reference's. A private broker, so no other test is disturbed.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
_rf_env_dir
_rf_start_kafka 1 BP_BROKERS || exit 1
KPID=$(awk 'NR == 1 {print $2}' "$RF_ENV_DIR/kafka1/nodes")
test_workdir W
SRC=$(uniq_topic src)
summary_sql "$SRC" >"$W/q.sql"
P=(-b "$BP_BROKERS" -f "$W/q.sql" -G "g-$SRC" -i bp --status-interval 1s --idle-timeout 0 --commit-interval 200ms
   --late-topic "$SRC-late" --deadletter-topic "$SRC-dead")

"$RF_BIN/producer" -b "$BP_BROKERS" -t "$SRC" -p 3 -n 20 --start-time "2026-11-22 07:00:00" -d 15m --seed 16 \
    --disorder-ms 1000 -r 1500 2>/dev/null &
producer=$!
MPORT=$(_rf_free_port)
"$RF_BIN/processor" "${P[@]}" --metrics "127.0.0.1:$MPORT" 2>"$W/proc.err" &
proc=$!
# Wait for what the checks read (an ASAN build on a busy machine is slow).
metrics_ready() {
    curl -s "http://127.0.0.1:$MPORT/metrics" >"$W/metrics" &&
        grep -q "rydeflow_processor_open_windows [1-9]" "$W/metrics" &&
        grep -qE "rydeflow_processor_lag\{topic=\"$SRC\",partition=\"0\"\} [0-9]+" "$W/metrics"
}
wait_for 90 "the processor's first windows" metrics_ready
check_match "metrics: events read" "$(cat "$W/metrics")" "rydeflow_processor_events_total [1-9]"
check_match "metrics: lag per partition" "$(cat "$W/metrics")" "rydeflow_processor_lag\\{topic=\"$SRC\",partition=\"0\"\\} [0-9]+"
check_match "metrics: open windows" "$(cat "$W/metrics")" "rydeflow_processor_open_windows [1-9]"
check_match "metrics: per stream" "$(cat "$W/metrics")" "rydeflow_processor_stream_events_total\\{stream=\"summary\"\\} [1-9]"
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$proc/status")
kill -STOP "$KPID"
sleep 12  # the outage itself: its length is what is tested
check "the processor is alive after 12 s without Kafka" kill -0 "$proc"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$proc/status")
# Growth, not size: an ASAN build's quarantine alone can hold 256 MB.
check "its memory stays bounded (${rss0} kB -> ${rss} kB, < +100 MB)" test $((rss - rss0)) -lt 102400
before=$(grep -c "events" "$W/proc.err")
commits() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "rydeflow_processor_commits_total" {print $2}'; }
commits0=$(commits)
kill -CONT "$KPID"
wait "$producer"
check_eq "the producer delivered every event once Kafka was back" "$?" 0
send_sentinels "$BP_BROKERS" "$SRC" 40
check_eq "sentinels sent" "$?" 0
committed_since() { [ "$(commits)" -gt "$commits0" ]; }
check "the processor commits again once Kafka is back" wait_for 120 "a commit after the outage" committed_since
kill -TERM "$proc"
wait "$proc"
check_eq "the processor, back at work, stops cleanly on SIGTERM (exit 0)" "$?" 0
# Kafka away for longer than transaction.timeout.ms (10 s) usually has the
# coordinator abort the open transaction: the processor renews its producer.
echo "# producers renewed after a fencing: $(grep -c 'starting a new producer' "$W/proc.err")"
timeout 120 "$RF_BIN/processor" "${P[@]}" --exit-at-end 2>>"$W/proc.err"
check_eq "a last run finds the end" "$?" 0
"$RF_BIN/consumer" -b "$BP_BROKERS" -t "$SRC" --show partition,offset >"$W/events.jsonl" 2>/dev/null
mkdir -p "$W/out"
"$RF_BIN/consumer" -b "$BP_BROKERS" -t "$SRC-summary" --show key >"$W/out/summary.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$BP_BROKERS" -t "$SRC-late" --show key >"$W/out/late.jsonl" 2>/dev/null
truth_checks "$W/events.jsonl" "$W/out"
finish
