# 07_sigterm: SIGTERM stops consuming/producing, flushes, commits, exits 0.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
T=$(uniq_topic sigterm)
test_workdir W

# A live producer: everything it sent is delivered before it exits.
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -p 2 -n 20 --rate 400 2>"$W/p.err" &
pid=$!
sleep 2.5
kill -TERM $pid; wait $pid; rc=$?
check_eq "producer exits 0 on SIGTERM" "$rc" 0
summary=$(cat "$W/p.err")
check_match "summary: everything sent was delivered" "$summary" "sent ([0-9]+) events .* delivered \\1, failed 0, undelivered 0"
sent=$(sed -nE 's/.*sent ([0-9]+) events.*/\1/p' <<<"$summary")
check "it had sent a fair number (${sent})" test "${sent:-0}" -gt 400
check_eq "Kafka holds exactly what it sent" "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" 2>/dev/null | wc -l)" "$sent"

# A following group consumer: SIGTERM commits what it printed.
G="g-$$-$RANDOM"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" -G "$G" --follow >"$W/c.out" 2>"$W/c.err" &
pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$W/c.out")" -ge "$sent" ] && break; sleep 0.1; done
kill -TERM $pid; wait $pid; rc=$?
check_eq "consumer --follow exits 0 on SIGTERM" "$rc" 0
check_eq "it had printed every record" "$(wc -l <"$W/c.out")" "$sent"
check_eq "the group resumes after them: nothing left" "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" -G "$G" 2>/dev/null | wc -l)" 0

# SIGINT works the same way.
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -n 5 2>/dev/null &
pid=$!
sleep 1.5
kill -INT $pid; wait $pid; rc=$?
check_eq "producer exits 0 on SIGINT" "$rc" 0
finish
