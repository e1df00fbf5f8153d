# 08_kafka_failover: a three-node Kafka cluster loses the leader of a
# partition mid-run (kill -9); the partition moves, and the idempotent
# producer (acks=all) delivers every event exactly once.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka3
B=$RF_KAFKA3_BROKERS
T=$(uniq_topic failover)
test_workdir W
SIM=(-n 30 --start-time 2026-11-22 -c 30000 --seed 4)

check_eq "three nodes" "$(wc -l <"$RF_KAFKA3_DIR/nodes")" 3
"$RF_BIN/producer" -b "$B" -t "$T" -p 3 "${SIM[@]}" --rate 3000 2>"$W/p.err" &
ppid=$!
sleep 3
leader=$(kcat -b "$B" -L -t "$T" 2>/dev/null | sed -nE 's/.*partition 0, leader ([0-9]+),.*/\1/p' | head -1)
check_match "partition 0 has a leader" "${leader:-none}" '^[1-3]$'
victim=$(awk -v id="$leader" '$1 == id {print $2}' "$RF_KAFKA3_DIR/nodes")
kill -9 "$victim"
# The controller fences the dead node after its session times out (seconds).
moved() {
    newleader=$(kcat -b "$B" -L -t "$T" 2>/dev/null | sed -nE 's/.*partition 0, leader ([0-9]+),.*/\1/p' | head -1)
    [ -n "$newleader" ] && [ "$newleader" != "$leader" ] && [ "$newleader" != "-1" ]
}
wait_for 30 "leader move" moved
check "the partition moved to another node ($leader -> ${newleader:-none})" test -n "$newleader" -a "$newleader" != "$leader" -a "$newleader" != "-1"
wait $ppid; rc=$?
check_eq "producer exits 0: every event delivered" "$rc" 0
check_match "summary" "$(cat "$W/p.err")" "delivered 30000, failed 0, undelivered 0"
"$RF_BIN/consumer" -b "$B" -t "$T" 2>/dev/null | sort >"$W/got"
check_eq "30000 records in the topic" "$(wc -l <"$W/got")" 30000
check "exactly the seeded events: none lost, none doubled" cmp -s "$W/got" <("$RF_BIN/producer" --print "${SIM[@]}" 2>/dev/null | sort)
finish
