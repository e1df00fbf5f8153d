# 28_processor_txn_start: a restarted processor whose predecessor's
# transaction is still being aborted (the coordinator answers
# CONCURRENT_TRANSACTIONS, a retriable error) keeps trying and starts,
# instead of giving up; a fatal error would still stop it. On the dev broker,
# with InitProducerId failing for longer than --timeout.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need devbroker
B=$RF_DEVBROKER
test_workdir W
T=$(uniq_topic src)
for t in "$T" "$T-summary" "$T-late" "$T-dead"; do devbroker_cmd "topic $t 1" >/dev/null; done
"$RF_BIN/producer" -b "$B" -t "$T" -n 5 --start-time "2026-11-22 07:00:00" -d 3m 2>/dev/null
check_eq "a backlog" "$?" 0
cat >"$W/q.sql" <<SQL
CREATE STREAM wildrydes WITH (topic='$T');
CREATE STREAM summary WITH (topic='$T-summary') AS
SELECT Name, WINDOW_START AS m, COUNT(*) AS n FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name;
SQL
check_eq "the coordinator is busy aborting for a while" "$(devbroker_cmd 'error InitProducerId CONCURRENT_TRANSACTIONS 25')" ok
timeout 120 "$RF_BIN/processor" -b "$B" -f "$W/q.sql" -G "g-$T" --late-topic "$T-late" --deadletter-topic "$T-dead" \
    --timeout 2s --status-interval 1h --exit-at-end 2>"$W/processor.err"
check_eq "the processor keeps trying, starts and runs to the end (exit 0)" "$?" 0
check_match "  it said it was retrying" "$(cat "$W/processor.err")" "cannot start transactions yet .*: retrying"
check_eq "  and wrote the closed windows" "$("$RF_BIN/consumer" -b "$B" -t "$T-summary" 2>/dev/null | wc -l)" 10

# A broker answers a produce request with a sequence error (as after a broker
# restart librdkafka's sequence numbers do not survive): the transactional
# producer fails fatally; the processor starts a new one, redoes the work
# since its last commit, and each window is written once.
for t in "$T-2summary" "$T-2late" "$T-2dead"; do devbroker_cmd "topic $t 1" >/dev/null; done
sed "s/topic='$T-summary'/topic='$T-2summary'/" "$W/q.sql" >"$W/q2.sql"
check_eq "the next produce request gets a sequence error" \
    "$(devbroker_cmd 'error Produce OUT_OF_ORDER_SEQUENCE_NUMBER 1')" ok
timeout 120 "$RF_BIN/processor" -b "$B" -f "$W/q2.sql" -G "g2-$T" --late-topic "$T-2late" --deadletter-topic "$T-2dead" \
    --timeout 10s --status-interval 1h --exit-at-end 2>"$W/processor2.err"
check_eq "the processor renews its producer and runs to the end (exit 0)" "$?" 0
check_match "  saying why" "$(cat "$W/processor2.err")" \
    "the transactional producer failed fatally .*: starting a new producer and redoing the work since the last commit"
"$RF_BIN/consumer" -b "$B" -t "$T-2summary" 2>/dev/null | sort >"$W/summary2"
check_eq "  each closed window once" "$(sort -u "$W/summary2" | wc -l):$(wc -l <"$W/summary2")" 10:10
finish
