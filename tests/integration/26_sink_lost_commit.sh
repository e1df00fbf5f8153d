# 26_sink_lost_commit: an archive object cut by age is not replay-stable, so
# the sink writes nothing past the cut until its offsets are committed. With
# every offset commit failing (injected on the dev broker), then kill -9 and
# a restart that replays from the last commit, the archive holds each event
# exactly once. A dead-letter producer that fails fatally is replaced and no
# dead letter is lost.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need devbroker
B=$RF_DEVBROKER
test_workdir W
T=$(uniq_topic raw)
A="$W/archive"
SIM=(-n 10 --seed 26 -c 100) # with a --start-time in hour 07
archived() { python3 -c 'import gzip, glob, sys; print(sum(1 for f in glob.glob(sys.argv[1] + "/**/*.ndjson.gz", recursive=True) for _ in gzip.open(f)))' "$A/$T"; }
objects() { find "$A/$T" -name '*.ndjson.gz' 2>/dev/null | wc -l; }

check_eq "create a topic of one partition" "$(devbroker_cmd "topic $T 1")" ok
devbroker_cmd "topic $T-dead 1" >/dev/null
"$RF_BIN/producer" -b "$B" -t "$T" "${SIM[@]}" --start-time "2026-11-22 07:00:00" 2>/dev/null
check_eq "every offset commit fails from now on" "$(devbroker_cmd 'error OffsetCommit COORDINATOR_NOT_AVAILABLE 100000')" ok
S=(-b "$B" -t "$T" --to "file://$A" -G "g-$T" --deadletter-topic "$T-dead" --batch-seconds 1 --status-interval 1h
   -X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
"$RF_BIN/sink" "${S[@]}" 2>"$W/sink1.err" &
sink=$!
on_exit "kill -9 $sink 2>/dev/null"
wait_for 20 "an object cut by age" bash -c "[ \$(find '$A/$T' -name '*.ndjson.gz' 2>/dev/null | wc -l) -ge 1 ]"
check_eq "the first object holds the first 100 events" "$(archived)" 100
wait_for 10 "the sink to say it cannot commit" grep -q "cannot be committed: retrying (consumption paused" "$W/sink1.err"
check_match "  it says why it holds back" "$(cat "$W/sink1.err")" "cut by age and its offsets cannot be committed"
"$RF_BIN/producer" -b "$B" -t "$T" "${SIM[@]}" --start-time "2026-11-22 07:30:00" 2>/dev/null # 100 more, same hour
sleep 3 # time for two more age cuts, which must not happen
check_eq "nothing past the cut is written while the commit fails" "$(objects)" 1
kill -9 "$sink"; wait "$sink" 2>/dev/null
check_eq "the commits work again" "$(devbroker_cmd 'clear-errors')" ok
timeout 60 "$RF_BIN/sink" "${S[@]}" --exit-at-end 2>"$W/sink2.err"
check_eq "a restarted sink replays from the last commit and exits 0" "$?" 0
check_eq "the archive holds 200 events" "$(archived)" 200
check_eq "  each exactly once" "$(python3 -c 'import gzip, glob, sys; l = [x for f in glob.glob(sys.argv[1] + "/**/*.ndjson.gz", recursive=True) for x in gzip.open(f)]; print(len(l) - len(set(l)))' "$A/$T")" 0

# 2. The dead-letter producer fails fatally (a sequence error, as after a
# broker restart): the sink starts a new one and writes the batch again.
T2=$(uniq_topic bad)
for t in "$T2" "$T2-dead"; do devbroker_cmd "topic $t 1" >/dev/null; done
{ "$RF_BIN/producer" --print -n 5 -c 5 --start-time "2026-11-22 07:00:00"; printf 'not json %d\n' 1 2 3; } 2>/dev/null |
    kcat -P -b "$B" -t "$T2"
check_eq "the next produce request gets a sequence error" \
    "$(devbroker_cmd 'error Produce OUT_OF_ORDER_SEQUENCE_NUMBER 1')" ok
timeout 60 "$RF_BIN/sink" -b "$B" -t "$T2" --to "file://$W/archive2" -G "g-$T2" --deadletter-topic "$T2-dead" \
    --status-interval 1h --exit-at-end 2>"$W/sink3.err"
check_eq "the sink goes on with a new dead-letter producer (exit 0)" "$?" 0
check_match "  saying why" "$(cat "$W/sink3.err")" "the dead-letter producer failed fatally .*: starting a new one"
check_eq "  every bad record has its dead letter" \
    "$("$RF_BIN/consumer" -b "$B" -t "$T2-dead" 2>/dev/null | python3 -c 'import json, sys; print(len({json.loads(l)["offset"] for l in sys.stdin}))')" 3
check "  no error reported" bash -c "! grep -q ': error: ' '$W/sink3.err'"
finish
