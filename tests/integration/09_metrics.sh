# 09_metrics: --metrics serves Prometheus text while the programs run.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
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
check_match "producer: TYPE line" "$m" "# TYPE rydeflow_producer_sent_total counter"
check_match "producer: sent counter moves" "$m" "rydeflow_producer_sent_total\\{topic=\"$T\"\\} [1-9][0-9]*"
check_match "producer: delivered counter" "$m" "rydeflow_producer_delivered_total\\{topic=\"$T\"\\} [1-9][0-9]*"
check_eq "unknown path: 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P1/nope")" 404

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" --follow --metrics "127.0.0.1:$P2" >/dev/null 2>&1 &
cp=$!
wait_for 10 "consumer metrics" curl -sf "http://127.0.0.1:$P2/healthz"
records_counted() { curl -s "http://127.0.0.1:$P2/metrics" | grep -qE "rydeflow_consumer_records_total\\{topic=\"$T\"\\} [1-9][0-9]*"; }
check "consumer: records counter moves" wait_for 60 "the consumer's records counter" records_counted
kill -TERM $pp $cp; wait $pp; r1=$?; wait $cp; r2=$?
check_eq "both exit 0 on SIGTERM" "$r1:$r2" "0:0"

# A port in use is a clear error.
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1", '"$P1"')); s.listen(); time.sleep(5)' &
sleep 0.5
err=$("$RF_BIN/producer" --print -c 1 --metrics "127.0.0.1:$P1" 2>&1 >/dev/null); rc=$?
check_eq "metrics port in use: exit 1" "$rc" 1
check_match "says it cannot listen" "$err" "cannot listen on 127.0.0.1:$P1"
kill %3 2>/dev/null
finish
