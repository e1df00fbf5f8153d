# 29_three_way_agreement: one answer, whichever way it is asked (issue 17).
# One seeded pipeline run: the producer (events out of order) into a topic
# not named wildrydes, the processor running processor/wildrydes.sql on it,
# the archive sink writing it out. For each continuous query with a batch
# equivalent, the processor's rows for closed windows = bin/sql's rows over
# the archive = DuckDB's rows over the same files; the same again when the
# archive has no schema file and bin/sql infers the columns.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/stream.sh"
env_need kafka
test_workdir W
SRC=$(uniq_topic rides)
A="$W/archive"
PY="$RF_ROOT/var/venv/bin/python"
CUTOFF="2026-11-23 00:00:00"

# The workshop's application as it is, re-pointed at this test's topics.
{ echo "CREATE STREAM wildrydes WITH (topic='$SRC');"
  sed "s/topic='wildrydes-/topic='$SRC-/" "$RF_ROOT/processor/wildrydes.sql"; } >"$W/app.sql"

# Out of order by up to 2 s: within every window's 5 s grace, so no event is
# late and the stream's answer is the whole data's answer.
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC" -p 3 -n 25 --start-time "2026-11-22 07:00:00" -d 20m --seed 29 \
    --disorder-ms 2000 2>/dev/null
check_eq "the producer wrote the events" "$?" 0
send_sentinels "$RF_BROKERS" "$SRC" 40
check_eq "sentinels sent" "$?" 0

timeout 180 "$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/app.sql" -G "g-$SRC" --exit-at-end --idle-timeout 0 \
    --status-interval 1h --late-topic "$SRC-late" --deadletter-topic "$SRC-dead" 2>"$W/proc.err"
check_eq "the processor runs wildrydes.sql to the end (exit 0)" "$?" 0
timeout 180 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$SRC" --to "file://$A" -G "g-$SRC-archive" --exit-at-end \
    --batch-seconds 1s --status-interval 1h --deadletter-topic "$SRC-dead" 2>"$W/sink.err"
check_eq "the archive sink writes the topic out (exit 0)" "$?" 0
check "the archive describes itself (_rydeflow_schema.json)" \
    grep -q '"time_column": "StatusTime"' "$A/$SRC/_rydeflow_schema.json"

mkdir -p "$W/out"
for s in wildrydes_summary:summary live_minute:live fleet_minute:fleet; do
    "$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-${s#*:}" --show key >"$W/out/${s%%:*}.jsonl" 2>/dev/null
done
check_eq "no event was late" "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-late" 2>/dev/null | wc -l)" 0

three_way() { # three_way ARCHIVE WHAT
    local out line
    out=$("$PY" "$RF_ROOT/tests/lib/three_way.py" "$RF_BIN/sql" "$1" "$SRC" "$W/out" "$CUTOFF")
    while IFS= read -r line; do
        case "$line" in
            "#"*) echo "$line" ;;
            *" - "*) check_eq "$2: ${line#* - }" "${line%% [0-9]*}" ok ;;
        esac
    done <<<"$out"
    check "$2: the three comparisons ran" test "$(grep -c ' - ' <<<"$out")" -eq 3
}
three_way "$A" "schema file"

# The issue's own cases on this archive (a topic not named wildrydes).
q() { "$RF_BIN/sql" --archive "file://$1" -F csv "$2" 2>&1 | tail -n +2; }
duck() { "$PY" -c '
import duckdb, sys
c = duckdb.connect()
c.execute(f"CREATE VIEW events AS SELECT * FROM read_json_auto(\x27{sys.argv[1]}\x27, format=\x27newline_delimited\x27, "
          "timestampformat=\x27%Y-%m-%d %H:%M:%S.%g\x27)")
print(c.execute(sys.argv[2]).fetchone()[0])' "$A/$SRC/**/*.ndjson.gz" "$1"; }
want=$(duck "SELECT COUNT(*) FROM events WHERE StatusTime > TIMESTAMP '2026-11-22 07:00:00'")
check_eq "StatusTime > TIMESTAMP '...' counts as DuckDB ($want)" \
    "$(q "$A" "SELECT COUNT(*) FROM \"$SRC\" WHERE StatusTime > TIMESTAMP '2026-11-22 07:00:00'")" "$want"
check_eq "StatusTime > '...' compares as a time, not as text" \
    "$(q "$A" "SELECT COUNT(*) FROM \"$SRC\" WHERE StatusTime > '2026-11-22 07:00:00'")" "$want"
check_eq "StatusTime + INTERVAL 5 MINUTES is a time" \
    "$(q "$A" "SELECT MIN(StatusTime + INTERVAL 5 MINUTES) FROM \"$SRC\"")" "2026-11-22 07:05:00.000"
check_eq "StatusTime - TIMESTAMP '...' is milliseconds" \
    "$(q "$A" "SELECT MIN(StatusTime - TIMESTAMP '2026-11-22 07:00:00') FROM \"$SRC\"")" 0
err=$("$RF_BIN/sql" --archive "file://$A" "SELECT StatusTme FROM \"$SRC\"" 2>&1); rc=$?
check_eq "a column the schema lacks: exit 2" "$rc" 2
check_match "  with its place and a suggestion" "$err" "line 1, column 8: unknown column 'StatusTme' \\(did you mean 'StatusTime'\\?\\)"

# A value that does not fit its column's type is NULL and counted, never
# silently something else.
M="$W/mismatch/odd/year=2026/month=11/day=22/hour=07"; mkdir -p "$M"
cp "$A/$SRC/_rydeflow_schema.json" "$W/mismatch/odd/"
printf '%s\n' '{"Name":"A","StatusTime":"2026-11-22 07:00:00.000","MagicPoints":150}' \
    '{"Name":"B","StatusTime":"2026-11-22 07:00:01.000","MagicPoints":"lots"}' | gzip >"$M/odd+0+0.ndjson.gz"
out=$("$RF_BIN/sql" --archive "file://$W/mismatch" -F csv "SELECT COUNT(*), COUNT(MagicPoints), SUM(MagicPoints) FROM odd" 2>&1)
check_match "text in an INT column reads as NULL" "$out" $'2,1,150'
check_match "  and bin/sql says so" "$out" "warning: 1 values did not fit their column's type \\(from _rydeflow_schema.json\\) and were read as NULL"

# Without the schema file, bin/sql infers the columns from the records.
cp -r "$A" "$W/inferred"
rm "$W/inferred/$SRC/_rydeflow_schema.json"
three_way "$W/inferred" "inferred"
finish
