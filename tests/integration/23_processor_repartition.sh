# 23_processor_repartition: queries whose GROUP BY lacks the source's key
# (fleet-wide totals per minute, counts per MagicPoints value) run on an
# internal topic every source partition feeds. The processor is killed -9
# again and again while the fleet produces with disorder and late events;
# afterwards the internal topic holds each event once, and the fleet-wide
# results and late events equal tests/lib/merged_truth.py's model of that
# topic, value for value, each window once. A backlog read from scratch by
# a second group gives the same totals (the watermark waits for the slowest
# source partition instead of following whichever the consumer read first).
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
env_need kafka
test_workdir W
SRC=$(uniq_topic src)
cat >"$W/q.sql" <<SQL
CREATE STREAM wildrydes WITH (topic='$SRC');
CREATE STREAM fleet WITH (topic='$SRC-fleet') AS
SELECT WINDOW_START AS Minute, COUNT(*) AS Reports, SUM(Distance) AS Distance
FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 5 SECONDS);
CREATE STREAM magic WITH (topic='$SRC-magic') AS
SELECT MagicPoints, FLOOR(StatusTime TO MINUTE) AS Minute, COUNT(*) AS n
FROM wildrydes GROUP BY FLOOR(StatusTime TO MINUTE), MagicPoints;
SQL
BASE=(-b "$RF_BROKERS" -f "$W/q.sql" --status-interval 1h --idle-timeout 0 --commit-interval 200ms
      --late-topic "$SRC-late" --deadletter-topic "$SRC-dead" -X session.timeout.ms=6000)
P=("${BASE[@]}" -i one)

# 1. Refused: a SESSION window over repartitioned events.
printf "CREATE STREAM s AS SELECT COUNT(*) AS n FROM wildrydes\nWINDOW SESSION (30 SECONDS);\n" >"$W/bad.sql"
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/bad.sql" 2>"$W/bad.err"
check_eq "a SESSION window without the key is refused with exit code 2" "$?" 2
check "the error says where and why" grep -q \
    "line 2, column 8: a SESSION window must GROUP BY the source's key column \"Name\"" "$W/bad.err"

# 2. The fleet: 30 unicorns, 20 minutes of event time at 12,000 events/s.
#    Two instances share the partitions (source and internal topics): "two"
#    runs throughout, "one" is killed -9 again and again meanwhile, so
#    partitions move between them at every turn.
"$RF_BIN/processor" "${BASE[@]}" -i two -G "g-$SRC" 2>>"$W/two.err" &
two=$!
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC" -p 4 -n 30 --start-time "2026-11-22 07:00:00" -d 20m --seed 23 \
    --disorder-ms 3000 --late-fraction 0.005 --late-by 75s -r 12000 2>/dev/null &
producer=$!
kill_loop "$producer" 1.5 "$W/proc.err" "${P[@]}" -G "g-$SRC"
wait "$producer"
check_eq "the producer delivered every event" "$?" 0
kill -TERM "$two"
wait "$two"
check_eq "instance two stops on SIGTERM with exit 0" "$?" 0
# A static member that stops stays in the group until its session times
# out; then its partitions go to the others.
sleep 7
check "instance two had partitions of the source and of the internal topics" \
    grep -q "partition g-$SRC-fleet-repartition" "$W/two.err"
check "the processor was killed many times mid-run ($kills)" test "$kills" -ge 6
send_sentinels "$RF_BROKERS" "$SRC" 40
timeout 180 "$RF_BIN/processor" "${P[@]}" -G "g-$SRC" --exit-at-end 2>>"$W/proc.err"
check_eq "a last run finishes the input and exits 0" "$?" 0
check "the internal topics were created" grep -q "repartitioned through topic g-$SRC-fleet-repartition (4 partitions)" "$W/proc.err"
check "the restarts resumed from their commits" grep -q "resuming from its commit" "$W/proc.err"
test_no_match() { ! grep -q "$@"; }
check "every commit was read back as this query file's" test_no_match "different query file\|unreadable commit" \
    "$W/proc.err" "$W/two.err"

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC" --show partition,offset >"$W/source.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "g-$SRC-fleet-repartition" --show partition,offset,headers \
    >"$W/internal.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-fleet" >"$W/fleet.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-late" >"$W/late.jsonl" 2>/dev/null
check_eq "every event is in the source topic" "$(grep -vc sentinel "$W/source.jsonl")" 36000
model_checks merged_truth.py "$W/source.jsonl" "$W/internal.jsonl" "$W/fleet.jsonl" "$W/late.jsonl"

# 3. GROUP BY another column: every event counted once, in a result or late.
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-magic" >"$W/magic.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "g-$SRC-magic-repartition" --show partition,offset,headers \
    >"$W/magic-internal.jsonl" 2>/dev/null  # kept with the logs when a check fails
check_eq "per (minute, MagicPoints): each group once, and every event counted once" "$(python3 -c '
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1])]
late = sum(1 for l in open(sys.argv[2]) if json.loads(l)["stream"] == "magic")
groups = collections.Counter((r["Minute"], r["MagicPoints"]) for r in rows)
print(max(groups.values()), sum(r["n"] for r in rows) + late)' "$W/magic.jsonl" "$W/late.jsonl")" "1 36000"

# 4. The same backlog from scratch in one run (another group, other output
#    topics): each window once, every event counted once, and no more late
#    events than each partition's own watermark would make (the merged
#    watermark is never ahead of a source partition's). A watermark that
#    followed whichever partition the consumer read first would make
#    thousands late here.
sed "s/$SRC-fleet/$SRC-fleet2/; s/$SRC-magic/$SRC-magic2/" "$W/q.sql" >"$W/q2.sql"
timeout 180 "$RF_BIN/processor" "${P[@]}" -f "$W/q2.sql" -G "h-$SRC" --late-topic "$SRC-late2" --exit-at-end \
    2>"$W/backlog.err"
check_eq "a second group reads the whole backlog and exits 0" "$?" 0
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-fleet2" >"$W/fleet2.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-late2" >"$W/late2.jsonl" 2>/dev/null
read -r once windows counted late bound < <(python3 -c '
import json, sys, collections, datetime
def ms(t):
    return int(datetime.datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
rows = [json.loads(l) for l in open(sys.argv[1])]
late = sum(1 for l in open(sys.argv[2]) if json.loads(l)["stream"] == "fleet")
per = collections.Counter(r["Minute"] for r in rows)
high, bound = {}, 0  # late by each partition'"'"'s own watermark
for e in sorted((json.loads(l) for l in open(sys.argv[3])), key=lambda e: (e["partition"], e["offset"])):
    t, p = ms(e["value"]["StatusTime"]), e["partition"]
    if p in high and t // 60000 * 60000 + 60000 <= high[p] - 5000:
        bound += 1
    high[p] = max(high.get(p, t), t)
print(max(per.values()), len(per), sum(r["Reports"] for r in rows) + late, late, bound)' \
    "$W/fleet2.jsonl" "$W/late2.jsonl" "$W/source.jsonl")
check_eq "backlog: each window once" "$once" 1
check_eq "backlog: every minute has a result" "$windows" 20
check_eq "backlog: every event in a result or late" "$counted" 36000
check "backlog: late events ($late) no more than by the partitions' own watermarks ($bound)" test "$late" -le "$bound"
finish
