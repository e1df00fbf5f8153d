# 34_processor_kda: Kinesis Data Analytics SQL applications on the processor.
# The workshop's application exactly as AWS printed it (processor/kda/
# workshop.sql, unchanged) runs with --map and its rows equal the independent
# reference (tests/lib/stream_truth.py --kda); two pumps chain through an
# in-application stream (a topic); sliding and stagger windows run on the
# fleet; what is not supported is refused with line:column and exit 2.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
env_need kafka
test_workdir W
SRC=$(uniq_topic kda)

# 1. The fleet, out of order by up to 4 s, 1% held back 70 s (late), a
# malformed record, then sentinels far ahead that close every window.
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC" -p 4 -n 10 --start-time "2026-11-22 07:00:00" -d 8m --seed 34 \
    --disorder-ms 4000 --late-fraction 0.01 --late-by 70s 2>/dev/null
check_eq "producer sends the fleet" "$?" 0
printf '%s\n' 'not json at all' | kcat -P -b "$RF_BROKERS" -t "$SRC" -p 0
send_sentinels "$RF_BROKERS" "$SRC" 40
check_eq "sentinels sent" "$?" 0

# 2. The workshop's application, unchanged, pointed at this test's topics.
check_match "the application is the workshop's, as printed" "$(grep -c 'GROUP BY FLOOR("SOURCE_SQL_STREAM_001"."ROWTIME" TO MINUTE), "Name";' "$RF_ROOT/processor/kda/workshop.sql")" '^1$'
timeout 120 "$RF_BIN/processor" -b "$RF_BROKERS" --status-interval 1h --exit-at-end --idle-timeout 0 -G "g-$SRC" \
    -f "$RF_ROOT/processor/kda/workshop.sql" --map SOURCE_SQL_STREAM_001="$SRC" \
    --map DESTINATION_SQL_STREAM="$SRC-summary" 2>"$W/proc.err"
check_eq "the workshop's application runs to the end and exits 0" "$?" 0
check_match "it reports what it did" "$(tail -1 "$W/proc.err")" "done: [0-9]+ events .* results, [0-9]+ late, 1 dead letters?"

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC" --show partition,offset >"$W/events.jsonl" 2>/dev/null
mkdir -p "$W/out"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-summary" --show key >"$W/out/STREAM_PUMP.jsonl" 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes-late --show key \
    | python3 -c "import sys,json; [print(l, end='') for l in sys.stdin if json.loads(l)['value']['topic'] == '$SRC']" \
    >"$W/out/late.jsonl" 2>/dev/null
model_checks stream_truth.py --kda "$W/events.jsonl" "$W/out"
check_match "a row has the declared columns, SMALLINTs as integers" "$(head -1 "$W/out/STREAM_PUMP.jsonl")" \
    '"value":\{"Name":"[^"]+","StatusTime":"2026-11-22 07:[0-9]{2}:00.000","Distance":[0-9]+,"MinMagicPoints":[0-9]+,"MaxMagicPoints":[0-9]+,"MinHealthPoints":[0-9]+,"MaxHealthPoints":[0-9]+\}'

# 3. Two pumps chained through an in-application stream: every low-health
# report reaches LOW_HEALTH (a topic) once; the per-minute counts of the
# second pump add up to those reports, less the second stage's late ones.
cat >"$W/chain.sql" <<'SQL'
CREATE OR REPLACE STREAM low_health (name VARCHAR(16), hp INTEGER, at TIMESTAMP);
CREATE OR REPLACE PUMP low_pump AS INSERT INTO low_health
  SELECT STREAM "Name", "HealthPoints", ROWTIME FROM SOURCE_SQL_STREAM_001 WHERE "HealthPoints" < 150;
CREATE OR REPLACE STREAM per_minute (name VARCHAR(16), minute TIMESTAMP, reports BIGINT);
CREATE OR REPLACE PUMP count_pump AS INSERT INTO per_minute
  SELECT STREAM l.name, STEP(l.ROWTIME BY INTERVAL '60' SECOND), COUNT(*)
  FROM low_health AS l GROUP BY l.name, STEP(l.ROWTIME BY INTERVAL '60' SECOND);
SQL
timeout 120 "$RF_BIN/processor" -b "$RF_BROKERS" --status-interval 1h --exit-at-end --idle-timeout 0 -G "g2-$SRC" \
    -f "$W/chain.sql" --map SOURCE_SQL_STREAM_001="$SRC" --map LOW_HEALTH="$SRC-low" \
    --map PER_MINUTE="$SRC-per-minute" 2>"$W/chain.err"
check_eq "the chained application exits 0" "$?" 0
want_low=$(python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    v = json.loads(l)["value"]
    if isinstance(v, dict) and isinstance(v.get("HealthPoints"), int) and v["HealthPoints"] < 150 and "StatusTime" in v:
        n += 1
print(n)' "$W/events.jsonl")
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-low" >"$W/low.jsonl" 2>/dev/null
check_eq "the first pump wrote each low-health report once" "$(wc -l <"$W/low.jsonl")" "$want_low"
check_match "with the declared, upper-cased columns" "$(head -1 "$W/low.jsonl")" '^\{"NAME":"[^"]+","HP":[0-9]+,"AT":"2026-11-2[23] '
# the same run also counted: a second one finds everything committed
timeout 120 "$RF_BIN/processor" -b "$RF_BROKERS" --status-interval 1h --exit-at-end --idle-timeout 0 -G "g2-$SRC" \
    -f "$W/chain.sql" --map SOURCE_SQL_STREAM_001="$SRC" --map LOW_HEALTH="$SRC-low" \
    --map PER_MINUTE="$SRC-per-minute" 2>>"$W/chain.err"
check_eq "a second run exits 0" "$?" 0
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-per-minute" >"$W/per_minute.jsonl" 2>/dev/null
# (the second pump groups across partitions: its late events are reported from its repartition topic)
late2=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes-late 2>/dev/null | grep -F "\"stream\":\"COUNT_PUMP\"" | grep -cF "g2-$SRC-")
counted=$(python3 -c '
import json, sys
print(sum(json.loads(l)["REPORTS"] for l in open(sys.argv[1]) if not json.loads(l)["NAME"].startswith("sentinel")))' "$W/per_minute.jsonl")
low_real=$(grep -vc '"NAME":"sentinel' "$W/low.jsonl")
check_eq "the second pump counted every low report once (closed windows + late)" "$((counted + late2))" "$low_real"
check_match "its rows: name, the window's start (STEP), the count" "$(head -1 "$W/per_minute.jsonl")" \
    '^\{"NAME":"[^"]+","MINUTE":"2026-11-22 07:[0-9]{2}:00.000","REPORTS":[0-9]+\}$'

# 4. A sliding window (AWS's example, on the fleet): a row per event, late
# and malformed ones apart; the unit tests check the values against a model.
cat >"$W/sliding.sql" <<'SQL'
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ("Name" VARCHAR(16), "HealthPoints" INTEGER,
  "Min_Health" INTEGER, "Max_Health" INTEGER, "Avg_Health" DOUBLE);
CREATE OR REPLACE PUMP "SLIDING_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM "Name", "HealthPoints", MIN("HealthPoints") OVER W1 AS Min_Health,
         MAX("HealthPoints") OVER W1 AS Max_Health, AVG("HealthPoints") OVER W1 AS Avg_Health
  FROM "SOURCE_SQL_STREAM_001"
  WINDOW W1 AS (PARTITION BY "Name" RANGE INTERVAL '1' MINUTE PRECEDING);
SQL
timeout 120 "$RF_BIN/processor" -b "$RF_BROKERS" --status-interval 1h --exit-at-end --idle-timeout 0 -G "g3-$SRC" \
    -f "$W/sliding.sql" --map SOURCE_SQL_STREAM_001="$SRC" --map DESTINATION_SQL_STREAM="$SRC-sliding" \
    2>"$W/sliding.err"
check_eq "a sliding-window application exits 0" "$?" 0
late3=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes-late 2>/dev/null | grep -F "\"topic\":\"$SRC\"" | grep -cF '"stream":"SLIDING_PUMP"')
total=$(grep -c '"StatusTime"' "$W/events.jsonl")
rows=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-sliding" 2>/dev/null | wc -l)
check_eq "a row for every event that was not late ($late3 late, 5 s grace)" "$((rows + late3))" "$total"
check_match "its rows: the event's health and its minute's range" \
    "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-sliding" -c 1 2>/dev/null)" \
    '^\{"Name":"[^"]+","HealthPoints":[0-9]+,"Min_Health":[0-9]+,"Max_Health":[0-9]+,"Avg_Health":[0-9.]+\}$'

# 5. A stagger window per unicorn and minute of event time: every event is
# counted once, in a window or as late.
cat >"$W/stagger.sql" <<'SQL'
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ("Name" VARCHAR(16), "Minute" TIMESTAMP, "Reports" INTEGER,
  "Closed" TIMESTAMP);
CREATE OR REPLACE PUMP "STAGGER_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM "Name", FLOOR("StatusTime" TO MINUTE), COUNT(*), ROWTIME FROM "SOURCE_SQL_STREAM_001"
  WINDOWED BY STAGGER (PARTITION BY FLOOR("StatusTime" TO MINUTE), "Name" RANGE INTERVAL '1' MINUTE);
SQL
timeout 120 "$RF_BIN/processor" -b "$RF_BROKERS" --status-interval 1h --exit-at-end --idle-timeout 0 -G "g4-$SRC" \
    -f "$W/stagger.sql" --map SOURCE_SQL_STREAM_001="$SRC" --map DESTINATION_SQL_STREAM="$SRC-stagger" \
    2>"$W/stagger.err"
check_eq "a stagger-window application exits 0" "$?" 0
late4=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes-late 2>/dev/null | grep -F "\"topic\":\"$SRC\"" | grep -cF '"stream":"STAGGER_PUMP"')
counted=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-stagger" 2>/dev/null | python3 -c '
import sys, json
print(sum(json.loads(l)["Reports"] for l in sys.stdin if not json.loads(l)["Name"].startswith("sentinel")))')
real=$(grep '"StatusTime"' "$W/events.jsonl" | grep -vc sentinel)
check_eq "every event counted once: in a closed window ($counted) or late ($late4)" "$((counted + late4))" "$real"
check_match "a window closes a minute after its first event (ROWTIME)" \
    "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-stagger" -c 1 2>/dev/null)" \
    '^\{"Name":"[^"]+","Minute":"2026-11-22 07:[0-9]{2}:00.000","Reports":[0-9]+,"Closed":"2026-11-22 07:[0-9:.]+"\}$'

# 6. A value that does not fit its declared column: that row is a dead
# letter with the reason, the others are written.
cat >"$W/narrow.sql" <<'SQL'
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ("Name" VARCHAR(4), "HP" TINYINT);
CREATE OR REPLACE PUMP "NARROW_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM "Name", "HealthPoints" FROM "SOURCE_SQL_STREAM_001";
SQL
timeout 120 "$RF_BIN/processor" -b "$RF_BROKERS" --status-interval 1h --exit-at-end --idle-timeout 0 -G "g5-$SRC" \
    -f "$W/narrow.sql" --map SOURCE_SQL_STREAM_001="$SRC" --map DESTINATION_SQL_STREAM="$SRC-narrow" 2>"$W/narrow.err"
check_eq "an application whose values overflow exits 0" "$?" 0
"$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes-deadletter 2>/dev/null | grep -F "\"$SRC\"" \
    | grep -F 'value does not fit TINYINT' >"$W/narrow.dead"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-narrow" >"$W/narrow.jsonl" 2>/dev/null
big=$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if isinstance(json.loads(l)["value"], dict) and json.loads(l)["value"].get("HealthPoints", 0) > 127))' "$W/events.jsonl")
check_eq "each row with HealthPoints above 127 is a dead letter naming TINYINT" "$(wc -l <"$W/narrow.dead")" "$big"
check_eq "the others are written" "$(($(wc -l <"$W/narrow.jsonl") + big))" "$total"
check_match "with names cut to VARCHAR(4)" "$(head -1 "$W/narrow.jsonl")" '^\{"Name":"[^"]{1,4}","HP":[0-9]+\}$'

# 7. --rowtime arrival: ROWTIME is when the processor read the record, as in
# Kinesis Analytics: windows of yesterday's events close on today's clock.
ARR=$(uniq_topic kdaarr)
cat >"$W/arrival.sql" <<'SQL'
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ("Name" VARCHAR(16), "Window" TIMESTAMP, "Reports" INTEGER);
CREATE OR REPLACE PUMP "ARRIVAL_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM "Name", ROWTIME, COUNT(*) FROM "SOURCE_SQL_STREAM_001"
  GROUP BY STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '2' SECOND), "Name";
SQL
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$ARR" -p 1 -n 3 --start-time "2026-11-22 07:00:00" -d 20s 2>/dev/null
"$RF_BIN/processor" -b "$RF_BROKERS" --status-interval 1h -G "g6-$SRC" -f "$W/arrival.sql" --rowtime arrival \
    --grace 1s --idle-timeout 1s --map SOURCE_SQL_STREAM_001="$ARR" --map DESTINATION_SQL_STREAM="$ARR-out" 2>"$W/arrival.err" &
APID=$!
on_exit "kill $APID"
arrived() { "$RF_BIN/consumer" -b "$RF_BROKERS" -t "$ARR-out" -c 1 >"$W/arrival.jsonl" 2>/dev/null && [ -s "$W/arrival.jsonl" ]; }
wait_for 60 "a window on arrival time closed" arrived
kill -TERM "$APID"; wait "$APID"
check_eq "an application on arrival time stops cleanly" "$?" 0
check_eq "its window is on the processor's clock, not the events' (2026-11-22)" "$(python3 -c '
import json, sys, datetime
w = json.loads(open(sys.argv[1]).readline())["Window"]
t = datetime.datetime.strptime(w, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
print(abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()) < 300)' "$W/arrival.jsonl")" True

# 8. Refused at start-up with line:column, exit 2.
cat >"$W/rcf.sql" <<'SQL'
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ("Health" INTEGER, "ANOMALY_SCORE" DOUBLE);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM "HealthPoints", ANOMALY_SCORE FROM TABLE(RANDOM_CUT_FOREST(
  CURSOR(SELECT STREAM "HealthPoints" FROM "SOURCE_SQL_STREAM_001")));
SQL
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/rcf.sql" 2>"$W/rcf.err"
check_eq "RANDOM_CUT_FOREST: exit 2" "$?" 2
check_match "named, with line and column" "$(cat "$W/rcf.err")" "error at line 3, column 56: RANDOM_CUT_FOREST is not supported"
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$RF_ROOT/processor/kda/workshop.sql" --map DESTINATION=x 2>"$W/map.err"
check_eq "a --map naming no stream: exit 2" "$?" 2
check_match "it says which" "$(cat "$W/map.err")" 'no stream named "DESTINATION"'
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$RF_ROOT/processor/wildrydes.sql" --rowtime arrival 2>"$W/rowtime.err"
check_eq "--rowtime on rydeflow's dialect: exit 2" "$?" 2
check_match "with usage" "$(cat "$W/rowtime.err")" "--rowtime is for Kinesis Analytics applications"
finish
