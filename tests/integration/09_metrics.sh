# 09_metrics: --metrics serves Prometheus text while the programs run.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
env_need kafka
test_workdir W
T=$(uniq_topic metrics)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P1=$(port); P2=$(port)

"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -n 10 --rate 200 --metrics "127.0.0.1:$P1" 2>/dev/null &
pp=$!
wait_for 10 "producer metrics" curl -sf "http://127.0.0.1:$P1/healthz"
# The first deliveries wait for Kafka to create the topic and elect a leader.
delivered() { curl -s "http://127.0.0.1:$P1/metrics" | grep -qE '^rydeflow_producer_delivered_total\{.*\} [1-9]'; }
wait_for 15 "first deliveries" delivered
m=$(curl -s "http://127.0.0.1:$P1/metrics")
echo "$m" >"$W/producer.prom"
check_match "producer: TYPE line" "$m" "# TYPE rydeflow_producer_sent_total counter"
check_match "producer: sent counter moves" "$m" "rydeflow_producer_sent_total\\{topic=\"$T\"\\} [1-9][0-9]*"
check_match "producer: delivered counter" "$m" "rydeflow_producer_delivered_total\\{topic=\"$T\"\\} [1-9][0-9]*"
check_eq "unknown path: 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P1/nope")" 404

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" --follow --metrics "127.0.0.1:$P2" >/dev/null 2>&1 &
cp=$!
wait_for 10 "consumer metrics" curl -sf "http://127.0.0.1:$P2/healthz"
records_counted() { curl -s "http://127.0.0.1:$P2/metrics" | grep -qE "rydeflow_consumer_records_total\\{topic=\"$T\"\\} [1-9][0-9]*"; }
check "consumer: records counter moves" wait_for 60 "the consumer's records counter" records_counted
curl -s "http://127.0.0.1:$P2/metrics" >"$W/consumer.prom"
kill -TERM $pp $cp; wait $pp; r1=$?; wait $cp; r2=$?
check_eq "both exit 0 on SIGTERM" "$r1:$r2" "0:0"

# The processor and the sink: histograms of the delay from a window's close
# to its result being readable, of commit times and of batch times.
P3=$(port); P4=$(port)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T-src" -n 5 --start-time "2026-11-22 07:00:00" -d 3m 2>/dev/null
summary_sql "$T-src" >"$W/q.sql"
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/q.sql" -G "g-$T" --status-interval 1h --metrics "127.0.0.1:$P3" \
    2>"$W/processor.err" &
prp=$!
counted() { curl -s "http://127.0.0.1:$1/metrics" | grep -qE "^$2_count [1-9]"; }
check "processor: the result delay histogram counts commits with results" \
    wait_for 60 "a result delay" counted "$P3" rydeflow_processor_result_delay_seconds
curl -s "http://127.0.0.1:$P3/metrics" >"$W/processor.prom"
m=$(cat "$W/processor.prom")
check_match "  as a Prometheus histogram" "$m" "# TYPE rydeflow_processor_result_delay_seconds histogram"
check_match "  with cumulative buckets up to +Inf" "$m" \
    'rydeflow_processor_result_delay_seconds_bucket\{le="\+Inf"\} [1-9][0-9]*'
check_match "processor: commit times too" "$m" "rydeflow_processor_commit_seconds_count [1-9]"
"$RF_BIN/sink" -b "$RF_BROKERS" -t "$T-src" --to "file://$W/archive" -G "g-$T-sink" --status-interval 1h \
    --metrics "127.0.0.1:$P4" 2>"$W/sink.err" &
skp=$!
check "sink: the batch time histogram counts batches" \
    wait_for 60 "a sink batch" counted "$P4" rydeflow_sink_batch_seconds
curl -s "http://127.0.0.1:$P4/metrics" >"$W/sink.prom"
kill -TERM $prp $skp; wait $prp; r1=$?; wait $skp; r2=$?
check_eq "processor and sink exit 0 on SIGTERM" "$r1:$r2" "0:0"
# The Grafana dashboard graphs only what the programs expose.
missing=$(grep -oE 'rydeflow_[a-z_]+' "$RF_ROOT/dashboard/grafana.json" | sed -E 's/_bucket$//' | sort -u |
    while read -r name; do grep -qE "^# TYPE $name " "$W"/*.prom || echo "$name"; done)
check_eq "dashboard/grafana.json: every metric it graphs is exposed" "$missing" ""

# A port in use is a clear error.
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1", '"$P1"')); s.listen(); time.sleep(5)' &
holder=$!
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$P1") 2>/dev/null; }
wait_for 5 "the port holder" listening
err=$("$RF_BIN/producer" --print -c 1 --metrics "127.0.0.1:$P1" 2>&1 >/dev/null); rc=$?
check_eq "metrics port in use: exit 1" "$rc" 1
check_match "says it cannot listen" "$err" "cannot listen on 127.0.0.1:$P1"
kill $holder 2>/dev/null
finish
