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
finish
