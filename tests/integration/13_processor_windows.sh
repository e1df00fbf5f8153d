# 13_processor_windows: the processor's windows against an independent
# reference (tests/lib/stream_truth.py): TUMBLING, HOPPING (with HAVING),
# SESSION, EMIT FINAL and EMIT CHANGES, GRACE, late events to the late topic,
# malformed events to the dead-letter topic with a reason, idle partitions,
# and query errors with line:column and exit code 2.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
env_need kafka
test_workdir W
SRC=$(uniq_topic src)
P=(-b "$RF_BROKERS" --status-interval 1h --exit-at-end --idle-timeout 0 -G "g-$SRC")

# the source on this test's topic, the workshop's summary, and three more
{ summary_sql "$SRC"; cat; } >"$W/q.sql" <<SQL
CREATE STREAM hopping WITH (topic='$SRC-hopping') AS
SELECT Name, WINDOW_START, WINDOW_END, COUNT(*) AS n, MIN(HealthPoints) AS low
FROM wildrydes WINDOW HOPPING (SIZE 2 MINUTES, ADVANCE BY 30 SECONDS, GRACE 2 SECONDS)
GROUP BY Name HAVING MIN(HealthPoints) < 148;
CREATE STREAM sessions WITH (topic='$SRC-sessions') AS
SELECT Name, WINDOW_START AS RideStart, WINDOW_END AS RideEnd, COUNT(*) AS n, SUM(Distance) AS d
FROM wildrydes WINDOW SESSION (20 SECONDS, GRACE 3 SECONDS) GROUP BY Name;
CREATE STREAM changes WITH (topic='$SRC-changes') AS
SELECT Name, WINDOW_START AS w, COUNT(*) AS n
FROM wildrydes WINDOW TUMBLING (SIZE 30 SECONDS) GROUP BY Name EMIT CHANGES;
SQL

# 1. Events: 12 unicorns for 15 minutes, out of order by up to 4 s, 1% held
# back 70 s (late for most windows), some silent stretches (sessions), then
# three malformed records and sentinels far ahead that close every window.
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC" -p 4 -n 12 --start-time "2026-11-22 07:00:00" -d 15m --seed 13 \
    --disorder-ms 4000 --late-fraction 0.01 --late-by 70s 2>/dev/null
check_eq "producer sends the fleet" "$?" 0
printf '%s\n' 'not json at all' '{"Name":"NoTime","Distance":1}' \
    '{"Name":"BadTime","StatusTime":"yesterday","Latitude":1,"Longitude":1,"Distance":1,"MagicPoints":1,"HealthPoints":1}' \
    | kcat -P -b "$RF_BROKERS" -t "$SRC" -p 0
send_sentinels "$RF_BROKERS" "$SRC" 40
check_eq "sentinels sent" "$?" 0

# 2. Run to the end of the input.
timeout 120 "$RF_BIN/processor" "${P[@]}" -f "$W/q.sql" 2>"$W/proc.err"
check_eq "processor runs to the end and exits 0" "$?" 0
check_match "it reports what it did" "$(tail -1 "$W/proc.err")" "done: [0-9]+ events .* results, [0-9]+ late, 3 dead letters"

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC" --show partition,offset >"$W/events.jsonl" 2>/dev/null
mkdir -p "$W/out"
for s in summary hopping sessions changes; do
    "$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-$s" --show key >"$W/out/$s.jsonl" 2>/dev/null
done
"$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes-late --show key \
    | python3 -c "import sys,json; [print(l, end='') for l in sys.stdin if json.loads(l)['value']['topic'] == '$SRC']" \
    >"$W/out/late.jsonl" 2>/dev/null
truth_checks "$W/events.jsonl" "$W/out"

# 3. Dead letters: each with its reason and the record as it came.
"$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes-deadletter 2>/dev/null | grep "\"$SRC\"" >"$W/dead.jsonl"
check_eq "three dead letters, one per malformed record" "$(wc -l <"$W/dead.jsonl")" 3
check_match "a non-JSON record is dead-lettered with its reason" "$(grep -F 'not json at all' "$W/dead.jsonl")" '"stage":"decode","error":"[^"]*JSON'
check_match "a record without StatusTime names the field" "$(grep -F NoTime "$W/dead.jsonl")" '"error":"[^"]*StatusTime'
check_match "a bad StatusTime names the field" "$(grep -F BadTime "$W/dead.jsonl")" '"error":"[^"]*StatusTime'

# 4. A second run finds everything committed: no new output.
before=$(cat "$W/out/summary.jsonl" | wc -l)
timeout 60 "$RF_BIN/processor" "${P[@]}" -f "$W/q.sql" 2>"$W/proc2.err"
check_eq "a second run exits 0" "$?" 0
check_eq "a second run outputs nothing again" \
    "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-summary" 2>/dev/null | wc -l)" "$before"

# 5. Idle partitions: without --idle-timeout the last window stays open;
# with it, the watermark follows the wall clock and the window closes.
IDLE=$(uniq_topic idle)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$IDLE" -p 1 -n 2 --start-time "2026-11-22 08:00:00" -d 12s 2>/dev/null
cat >"$W/idle.sql" <<SQL
CREATE STREAM wildrydes WITH (topic='$IDLE');
CREATE STREAM w WITH (topic='$IDLE-out') AS SELECT Name, WINDOW_START, COUNT(*) AS n
FROM wildrydes WINDOW TUMBLING (SIZE 5 SECONDS) GROUP BY Name;
SQL
timeout 60 "$RF_BIN/processor" -b "$RF_BROKERS" -G "g-$IDLE" --status-interval 1h --exit-at-end --idle-timeout 0 \
    -f "$W/idle.sql" 2>/dev/null
check_eq "without idle advance: windows [0,5) and [5,10) closed, [10,15) open" \
    "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$IDLE-out" 2>/dev/null | wc -l)" 4
timeout -s TERM 12 "$RF_BIN/processor" -b "$RF_BROKERS" -G "g-$IDLE" --status-interval 1h --idle-timeout 1s \
    -f "$W/idle.sql" 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$IDLE-out" >"$W/idle.out" 2>/dev/null
check_eq "with --idle-timeout 1s the last window closes too" "$(wc -l <"$W/idle.out")" 6
check_match "  and holds the events of 08:00:10-08:00:12" "$(tail -1 "$W/idle.out")" '"WINDOW_START":"2026-11-22 08:00:10.000","n":2'

# Processing time: windows on arrival (the wall clock), not on StatusTime.
timeout -s TERM 9 "$RF_BIN/processor" -b "$RF_BROKERS" -G "g-$IDLE-pt" --status-interval 1h --idle-timeout 1s \
    --time processing -f "$W/idle.sql" 2>/dev/null
now_min=$(date -u +'%Y-%m-%d %H:%M')
check_match "--time processing puts the events in a window of the wall clock" \
    "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$IDLE-out" 2>/dev/null | tail -1)" "\"WINDOW_START\":\"(${now_min}|$(date -u -d '1 minute ago' +'%Y-%m-%d %H:%M'))"

# 6. Query errors stop start-up with line:column and exit code 2.
printf 'CREATE STREAM s AS\nSELECT Name, COUNT(*) FROM wildrydes\nGROUP BY Nmae;\n' >"$W/bad.sql"
out=$("$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/bad.sql" 2>&1); rc=$?
check_eq "a bad query exits 2" "$rc" 2
check_match "  with line:column" "$out" "line 3, column 10: unknown column 'Nmae'"
check_match "  and a suggestion" "$out" "Name"
printf 'CREATE STREAM s AS SELECT Name, COUNT(*) FROM wildrydes GROUP BY Name;\n' >"$W/nowin.sql"
check_match "a continuous aggregate without a window is refused, saying why" \
    "$("$RF_BIN/processor" -f "$W/nowin.sql" 2>&1)" "needs a WINDOW"
check_exit "--file is required (usage, exit 2)" 2 "$RF_BIN/processor" -b "$RF_BROKERS"
check_exit "a bad flag gets exit 2" 2 "$RF_BIN/processor" --time sideways -f "$W/q.sql"
finish
