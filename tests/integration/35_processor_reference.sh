# 35_processor_reference: reference data (Kinesis Analytics' reference
# tables; ksqlDB's stream-table join). A stream JOINs a CSV from file:// and
# a JSON object from s3:// (SeaweedFS); every event is enriched exactly as
# the table says (LEFT: NULL where it has no row; JOIN: left out); a table
# changed while the processor runs is read again and the events after it
# see the new rows; bad references stop the start with a clear error.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka s3
test_workdir W
SRC=$(uniq_topic ref)
P=(-b "$RF_BROKERS" --status-interval 1h --idle-timeout 0)

"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC" -p 2 -n 6 --start-time "2026-11-22 07:00:00" -d 2m --seed 35 2>/dev/null
check_eq "producer sends the fleet" "$?" 0
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC" >"$W/events.jsonl" 2>/dev/null
total=$(wc -l <"$W/events.jsonl")
# owners for three of the six unicorns; one name has a comma and quotes in CSV
python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
names = sorted({json.loads(l)["Name"] for l in open(w + "/events.jsonl")})
owners = {names[0]: "Gandalf", names[1]: 'Quixote, "Don"', names[2]: "Alexander"}
with open(w + "/owners.csv", "w") as f:
    f.write("Name,Owner,Stable\n")
    for i, (n, o) in enumerate(owners.items()):
        f.write('%s,"%s",%d\n' % (n, o.replace('"', '""'), i + 1))
with open(w + "/owners.json", "w") as f:
    json.dump([{"Name": n, "Owner": o, "Stable": i + 1} for i, (n, o) in enumerate(owners.items())], f)
json.dump(owners, open(w + "/owners.map", "w"))
PY

cat >"$W/enrich.sql" <<'SQL'
CREATE OR REPLACE STREAM "ENRICHED" ("Name" VARCHAR(16), "Owner" VARCHAR(32), "HealthPoints" INTEGER);
CREATE OR REPLACE PUMP "ENRICH" AS INSERT INTO "ENRICHED"
  SELECT STREAM s."Name", r."Owner", s."HealthPoints"
  FROM "SOURCE_SQL_STREAM_001" AS s LEFT JOIN "OWNERS" AS r ON r."Name" = s."Name";
SQL
# verify OUT_TOPIC MAP: every event once, its Owner as MAP says (null where MAP has none)
verify() {
    python3 - "$1" "$2" "$total" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
owners = json.load(open(sys.argv[2]))
bad = [r for r in rows if r["Owner"] != owners.get(r["Name"])]
print("ok" if len(rows) == int(sys.argv[3]) and not bad else "FAIL %d rows, %d wrong, e.g. %s" % (len(rows), len(bad), bad[:2]))
PY
}

# 1. From a CSV file.
timeout 120 "$RF_BIN/processor" "${P[@]}" --exit-at-end -G "g1-$SRC" -f "$W/enrich.sql" \
    --map SOURCE_SQL_STREAM_001="$SRC" --map ENRICHED="$SRC-csv" --reference OWNERS="file://$W/owners.csv" 2>"$W/p1.err"
check_eq "a LEFT JOIN on a CSV reference runs and exits 0" "$?" 0
check_match "it says what it read" "$(cat "$W/p1.err")" "reference OWNERS: 3 rows from file://"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-csv" >"$W/csv.jsonl" 2>/dev/null
check_eq "every event once, with its owner from the CSV (null for the others)" "$(verify "$W/csv.jsonl" "$W/owners.map")" ok

# 2. From a JSON object on S3; an inner JOIN leaves out the unicorns without a row.
s3_put "$W/owners.json" "ref-$SRC/owners.json"
check_eq "the JSON table is on S3" "$?" 0
sed -e 's/LEFT JOIN/JOIN/' "$W/enrich.sql" >"$W/inner.sql"
timeout 120 "$RF_BIN/processor" "${P[@]}" --exit-at-end -G "g2-$SRC" -f "$W/inner.sql" \
    --map SOURCE_SQL_STREAM_001="$SRC" --map ENRICHED="$SRC-s3" \
    --reference OWNERS="s3://rydeflow/ref-$SRC/owners.json" --endpoint "$RF_S3_ENDPOINT" 2>"$W/p2.err"
check_eq "an inner JOIN on an S3 reference runs and exits 0" "$?" 0
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-s3" >"$W/s3.jsonl" 2>/dev/null
want=$(python3 -c '
import json, sys
owners = json.load(open(sys.argv[2]))
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["Name"] in owners))' "$W/events.jsonl" "$W/owners.map")
check_eq "only the events of unicorns in the table" "$(wc -l <"$W/s3.jsonl")" "$want"
check_eq "each with its owner from S3" "$(python3 -c '
import json, sys
owners = json.load(open(sys.argv[2]))
print(all(json.loads(l)["Owner"] == owners[json.loads(l)["Name"]] for l in open(sys.argv[1])))' "$W/s3.jsonl" "$W/owners.map")" True

# 3. A reload while running: events before it see the old owners, events after it the new.
LIVE=$(uniq_topic reflive)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$LIVE" -p 1 -n 6 --start-time "2026-11-22 08:00:00" -d 10s --seed 36 2>/dev/null
first=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$LIVE" 2>/dev/null | wc -l)
cp "$W/owners.csv" "$W/live.csv"
"$RF_BIN/processor" "${P[@]}" -G "g3-$SRC" -f "$W/enrich.sql" --map SOURCE_SQL_STREAM_001="$LIVE" \
    --map ENRICHED="$LIVE-out" --reference OWNERS="file://$W/live.csv" --reference-interval 1s 2>"$W/p3.err" &
PID=$!
on_exit "kill $PID"
out_rows() { "$RF_BIN/consumer" -b "$RF_BROKERS" -t "$LIVE-out" 2>/dev/null | wc -l; }
enriched() { [ "$(out_rows)" -ge "$1" ]; }
wait_for 60 "the first events enriched" enriched "$first"
python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
owners = {n: "new " + o for n, o in json.load(open(w + "/owners.map")).items()}
with open(w + "/live.tmp", "w") as f:
    f.write("Name,Owner,Stable\n" + "".join('%s,"%s",%d\n' % (n, o.replace('"', '""'), i) for i, (n, o) in enumerate(owners.items())))
json.dump(owners, open(w + "/new.map", "w"))
PY
mv "$W/live.tmp" "$W/live.csv"
wait_for 30 "the changed table read again" grep -q "reference OWNERS: reloaded, 3 rows" "$W/p3.err"
check_match "the processor says it reloaded the table" "$(cat "$W/p3.err")" "reference OWNERS: reloaded, 3 rows"
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$LIVE" -p 1 -n 6 --start-time "2026-11-22 08:01:00" -d 10s --seed 37 2>/dev/null
all=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$LIVE" 2>/dev/null | wc -l)
wait_for 60 "the later events enriched" enriched "$all"
kill -TERM "$PID"
wait "$PID"
check_eq "the live processor stops cleanly on SIGTERM" "$?" 0
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$LIVE-out" >"$W/live.jsonl" 2>/dev/null
head -"$first" "$W/live.jsonl" >"$W/before.jsonl"
tail -n +"$((first + 1))" "$W/live.jsonl" >"$W/after.jsonl"
total=$first
check_eq "events before the change: the old owners" "$(verify "$W/before.jsonl" "$W/owners.map")" ok
total=$((all - first))
check_eq "events after it: the new owners" "$(verify "$W/after.jsonl" "$W/new.map")" ok

# 4. Bad references stop the start, exit 2, saying which and why.
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/enrich.sql" --reference OWNERS="file://$W/nope.csv" 2>"$W/e1.err"
check_eq "a missing reference file: exit 2" "$?" 2
check_match "  naming it" "$(cat "$W/e1.err")" "reference OWNERS \\(file://$W/nope.csv\\): cannot open"
printf 'Name,Owner\n"Shadowfax,Gandalf\n' >"$W/broken.csv"
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/enrich.sql" --reference OWNERS="file://$W/broken.csv" 2>"$W/e2.err"
check_eq "a malformed CSV: exit 2" "$?" 2
check_match "  with the reason" "$(cat "$W/e2.err")" "a quoted field is not closed"
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/enrich.sql" 2>"$W/e3.err"
check_eq "a JOIN of a table not loaded: exit 2" "$?" 2
check_match "  with line and column" "$(cat "$W/e3.err")" "error at line 4, column 37: unknown reference table 'OWNERS'"
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/enrich.sql" --reference OWNERS=http://example.com/x.csv 2>"$W/e4.err"
check_eq "a reference URL of another kind: exit 2" "$?" 2
check_match "  saying which kinds" "$(cat "$W/e4.err")" "must be file:///path or s3://bucket/key"
finish
