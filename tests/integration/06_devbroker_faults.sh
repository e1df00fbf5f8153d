# 06_devbroker_faults: the dev broker's fault injection, and what the
# producer and consumer do about it: retried errors lose and duplicate
# nothing (idempotent producer); a dead cluster is reported, not hidden.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
RF_DEVBROKER_NODES=3 env_need devbroker
B=$RF_DEVBROKER
test_workdir W
SIM=(-n 20 --start-time 2026-11-22 -c 4000 --seed 9)

check_match "three brokers in the bootstrap list" "$B" '^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$'
check_eq "create a topic" "$(devbroker_cmd 'topic faults 4')" ok
check_eq "inject Produce errors" "$(devbroker_cmd 'error Produce NOT_LEADER_FOR_PARTITION 5')" ok
"$RF_BIN/producer" -b "$B" -t faults "${SIM[@]}" 2>"$W/err"; rc=$?
check_eq "producer rides over retriable errors, exit 0" "$rc" 0
"$RF_BIN/consumer" -b "$B" -t faults 2>/dev/null | sort >"$W/got"
check "exactly the 4000 events, none doubled" cmp -s "$W/got" <("$RF_BIN/producer" --print "${SIM[@]}" 2>/dev/null | sort)

check_eq "move a partition leader" "$(devbroker_cmd 'leader faults 0 3')" ok
check_eq "slow broker 1 by 200 ms" "$(devbroker_cmd 'rtt 1 200')" ok
"$RF_BIN/producer" -b "$B" -t faults "${SIM[@]}" 2>/dev/null; rc=$?
check_eq "producer delivers through a leader move and a slow broker" "$rc" 0
check_eq "8000 events now" "$("$RF_BIN/consumer" -b "$B" -t faults 2>/dev/null | wc -l)" 8000
devbroker_cmd 'rtt 1 0' >/dev/null
check_match "a bad command is refused with a reason" "$(devbroker_cmd 'down 9')" '^error: down: broker must be 1\.\.3'

# The cluster dies mid-run: undelivered events are counted and reported, exit 1.
"$RF_BIN/producer" -b "$B" -t faults -n 10 --rate 500 -c 2000 -X message.timeout.ms=2000 2>"$W/err" &
ppid=$!
sleep 1
for b in 1 2 3; do devbroker_cmd "down $b" >/dev/null; done
wait $ppid; rc=$?
check_eq "cluster down mid-run: producer exits 1" "$rc" 1
check_match "and reports the failed deliveries" "$(cat "$W/err")" "delivery to faults \[[0-9]+\] failed: Local: Message timed out"
check_match "summary counts them" "$(cat "$W/err")" "delivered [0-9]+, failed [1-9][0-9]*"
"$RF_BIN/producer" -b "$B" -t faults -c 10 --timeout 2s 2>"$W/err"; rc=$?
check_eq "cluster down at start: producer exits 1" "$rc" 1
check_match "naming the brokers" "$(cat "$W/err")" "cannot reach Kafka at $B"
for b in 1 2 3; do devbroker_cmd "up $b" >/dev/null; done
"$RF_BIN/producer" -b "$B" -t faults -c 10 --start-time 2026-11-22 2>/dev/null; rc=$?
check_eq "brokers back: producer delivers again" "$rc" 0

# The idempotent producer fails fatally (librdkafka gives up when a broker's
# sequence numbers disagree with its own, as after a broker restart): a new
# producer sends what the old one had not delivered, once.
check_eq "a topic for fatal errors" "$(devbroker_cmd 'topic fatal 4')" ok
P=(-n 5 --start-time "2026-11-22 07:00:00" -d 1m)
"$RF_BIN/producer" "${P[@]}" --print 2>/dev/null | sort >"$W/fatal.want"
check_eq "a sequence error on the next produce request" \
    "$(devbroker_cmd 'error Produce OUT_OF_ORDER_SEQUENCE_NUMBER 1')" ok
"$RF_BIN/producer" -b "$B" -t fatal "${P[@]}" 2>"$W/fatal.err"; rc=$?
check_eq "the producer renews itself and exits 0" "$rc" 0
check_match "  saying why" "$(cat "$W/fatal.err")" \
    "the Kafka producer failed fatally \(.*sequence.*\); starting a new one"
check_match "  and what it sent again" "$(cat "$W/fatal.err")" "[0-9]+ of the [1-9][0-9]* undelivered records were in the log after all; sending [1-9]"
check_eq "  every event is in the topic exactly once" \
    "$("$RF_BIN/consumer" -b "$B" -t fatal 2>/dev/null | sort | cmp - "$W/fatal.want" && echo same)" same
check_eq "every produce request fails" "$(devbroker_cmd 'error Produce OUT_OF_ORDER_SEQUENCE_NUMBER 100000')" ok
devbroker_cmd 'topic fatal2 4' >/dev/null
"$RF_BIN/producer" -b "$B" -t fatal2 "${P[@]}" 2>"$W/fatal2.err"; rc=$?
devbroker_cmd clear-errors >/dev/null
check_eq "ten renewals in five minutes, then the producer stops: exit 1" "$rc" 1
check_match "  saying so" "$(cat "$W/fatal2.err")" "failed fatally 10 times in 300 s; stopping"
check_match "  and counting every event it could not deliver" "$(cat "$W/fatal2.err")" \
    "sent 300 events .* delivered 0, failed 300, undelivered 0"

# SIGTERM stops the dev broker cleanly.
pid=$RF_DEVBROKER_PID
kill -TERM "$pid"; wait "$pid" 2>/dev/null; rc=$?
check_eq "devbroker exits 0 on SIGTERM" "$rc" 0
check "devbroker stops on SIGTERM" bash -c "! kill -0 $pid 2>/dev/null"
check_match "and says so" "$(cat "$RF_ENV_DIR/devbroker.err")" "stopping"
finish
