# 17_sql_s3_prune: bin/sql reads an archive on S3 (SeaweedFS, which checks
# the SigV4 signatures libcurl makes) with the same results as from a
# directory, and says clearly when the secret is wrong; in an
# archive partitioned by event time (the marker) it skips objects by hour
# when the WHERE bounds the event time, with the same rows as without
# pruning; it never prunes an archive whose objects straddle hours (no
# marker: Firehose's layout), fails a marked archive that breaks its promise,
# and names a corrupt object.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need s3
test_workdir W
A="$W/archive"
PREFIX="t17-$$-$RANDOM"
"$RF_BIN/producer" --print -n 40 --start-time "2026-11-22 06:00:00" -d 4h --seed 17 2>/dev/null |
    python3 "$RF_ROOT/tests/lib/make_archive.py" "$A" --partitions 3 --per-object 5000 --by-event-hour
STRADDLE="$W/straddle"
"$RF_BIN/producer" --print -n 40 --start-time "2026-11-22 06:00:00" -d 4h --seed 17 2>/dev/null |
    python3 "$RF_ROOT/tests/lib/make_archive.py" "$STRADDLE" --partitions 3 --per-object 5000
upload() { # upload DIR PREFIX: every file, keyed by its path below DIR
    local f ok=0
    while IFS= read -r f; do
        s3_put "$1/$f" "$2/$f" || ok=1
    done < <(cd "$1" && find . -type f | sed 's|^\./||')
    return $ok
}
check "the archive is uploaded to s3://rydeflow/$PREFIX" upload "$A" "$PREFIX"
S3=(--archive "s3://rydeflow/$PREFIX" --endpoint "$RF_S3_ENDPOINT")

# 1. The same rows from S3 as from the directory.
for q in "SELECT COUNT(*), SUM(Distance), MIN(StatusTime), MAX(StatusTime) FROM wildrydes" \
         "SELECT Name, SUM(Distance) AS d FROM wildrydes GROUP BY Name ORDER BY Name" \
         "SELECT * FROM wildrydes WHERE Name = 'Shadowfax' ORDER BY StatusTime LIMIT 50"; do
    check_eq "s3 = file: $q" "$("$RF_BIN/sql" "${S3[@]}" -F csv "$q" 2>&1)" "$("$RF_BIN/sql" --archive "$A" -F csv "$q" 2>&1)"
done

# 2. Pruning: fewer objects read, the same rows as reading everything.
while IFS='|' read -r what where expect; do
    q="SELECT COUNT(*), MIN(StatusTime), MAX(StatusTime), SUM(Distance) FROM wildrydes WHERE $where"
    "$RF_BIN/sql" "${S3[@]}" -F csv --stats "$q" >"$W/pruned" 2>"$W/pruned.err"
    "$RF_BIN/sql" "${S3[@]}" -F csv --no-prune "$q" >"$W/full" 2>&1
    check "pruned = unpruned: $what" cmp -s "$W/pruned" "$W/full"
    skipped=$(grep -oE '[0-9]+ skipped' "$W/pruned.err" | cut -d' ' -f1)
    if [ "$expect" = none ]; then
        check_eq "  and nothing is skipped ($what)" "$skipped" 0
    else
        check "  and objects are skipped ($skipped, $what)" test "${skipped:-0}" -gt 0
    fi
done <<'CASES'
one hour|StatusTime >= '2026-11-22 07:00:00' AND StatusTime < '2026-11-22 08:00:00'|some
straddling the hour edge|StatusTime BETWEEN '2026-11-22 07:59:59.990' AND '2026-11-22 08:00:00.010'|some
reversed comparison|'2026-11-22 07:00:00' > StatusTime|some
an exact time|StatusTime = '2026-11-22 09:30:00'|some
OR is not pruned|StatusTime < '2026-11-22 07:00:00' OR Name = 'Shadowfax'|none
a function is not pruned|FLOOR(StatusTime TO HOUR) = '2026-11-22 07:00:00'|none
CASES

# The same archive written Firehose-style (objects straddle hours, no marker)
# is never pruned, so a time range still gets every row.
q="SELECT COUNT(*), MIN(StatusTime) FROM wildrydes WHERE StatusTime >= '2026-11-22 07:00:00' AND StatusTime < '2026-11-22 08:00:00'"
check "objects of the straddling archive do cross hours" python3 -c "
import gzip, glob, sys
bad = [p for p in glob.glob('$STRADDLE/wildrydes/*/*/*/hour=06/*.gz') if any('\"StatusTime\":\"2026-11-22 07' in l for l in gzip.open(p, 'rt'))]
sys.exit(0 if bad else 1)"
"$RF_BIN/sql" --archive "$STRADDLE" -F csv --stats "$q" >"$W/straddle.out" 2>"$W/straddle.err"
check_eq "without the marker: the rows of a full scan" "$(cat "$W/straddle.out")" "$("$RF_BIN/sql" --archive "$A" -F csv --no-prune "$q" 2>&1)"
check_match "  and nothing is skipped" "$(cat "$W/straddle.err")" " 0 skipped"

# 3. An archive whose objects hold events from other hours (not partitioned
# by event time) is reported, not answered wrongly; --no-prune reads it.
B="$W/bad"
mkdir -p "$B/wildrydes/year=2026/month=11/day=22/hour=06"
{
    echo '{"Name":"A","StatusTime":"2026-11-22 06:59:00.000","Latitude":1,"Longitude":1,"Distance":1,"MagicPoints":1,"HealthPoints":1}'
    echo '{"Name":"B","StatusTime":"2026-11-22 07:01:00.000","Latitude":1,"Longitude":1,"Distance":1,"MagicPoints":1,"HealthPoints":1}'
} | gzip >"$B/wildrydes/year=2026/month=11/day=22/hour=06/wildrydes+0+00000000000000000000.ndjson.gz"
touch "$B/wildrydes/_rydeflow_partitioned_by_event_time"
out=$("$RF_BIN/sql" --archive "$B" "SELECT COUNT(*) FROM wildrydes WHERE StatusTime >= '2026-11-22 06:30:00'" 2>&1); rc=$?
check_eq "a marked archive that holds events of other hours fails the pruned query" "$rc" 1
check_match "  naming the object and line, and saying why" "$out" "hour=06/wildrydes\\+0\\+0+\\.ndjson\\.gz: line 2: an event outside the object's hour"
check_match "--no-prune reads it" "$("$RF_BIN/sql" --archive "$B" --no-prune -F csv "SELECT COUNT(*) FROM wildrydes WHERE StatusTime >= '2026-11-22 06:30:00'" 2>&1)" "2\$"

# 4. Bad input on S3.
printf 'this is not gzip' >"$W/corrupt.gz"
s3_put "$W/corrupt.gz" "$PREFIX/wildrydes/year=2026/month=11/day=22/hour=23/wildrydes+0+00000000000000099999.ndjson.gz"
out=$("$RF_BIN/sql" "${S3[@]}" "SELECT COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_eq "a corrupt object on S3 fails the query" "$rc" 1
check_match "  naming it" "$out" "s3://rydeflow/$PREFIX/wildrydes/year=2026/.*hour=23/wildrydes\\+0\\+0+99999\\.ndjson\\.gz: line 1: truncated or corrupt gzip"
out=$("$RF_BIN/sql" --archive "s3://rydeflow/nothing-$PREFIX" --endpoint "$RF_S3_ENDPOINT" "SELECT COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_eq "a missing S3 archive fails" "$rc" 1
check_match "  saying where it looked" "$out" "no archive for 'wildrydes' at s3://rydeflow/nothing-$PREFIX"
out=$("$RF_BIN/sql" --archive "s3://rydeflow/$PREFIX" --endpoint "http://127.0.0.1:1" "SELECT COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_eq "an unreachable S3 endpoint fails" "$rc" 1
check_match "  with curl's reason" "$out" "127.0.0.1:1.*(onnect|refused)"
out=$(AWS_SECRET_ACCESS_KEY=not-the-secret "$RF_BIN/sql" "${S3[@]}" "SELECT COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_eq "a wrong secret fails the query (the server checks signatures)" "$rc" 1
check_match "  naming the endpoint, the 403 and what to check" "$out" \
    "s3://rydeflow/.* at $RF_S3_ENDPOINT: HTTP 403 SignatureDoesNotMatch \\(check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
out=$(AWS_ACCESS_KEY_ID=nobody "$RF_BIN/sql" "${S3[@]}" "SELECT COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_eq "an unknown access key fails too" "$rc" 1
check_match "  with the server's 403" "$out" "at $RF_S3_ENDPOINT: HTTP 403 "
# 5. The prompt: queries one after another; a bad one is reported and the
# prompt goes on; \q leaves.
printf 'SELECT COUNT(*) AS n FROM wildrydes;\nSELECT Nmae\n  FROM wildrydes;\n\nSELECT COUNT(*) AS m FROM wildrydes\nWHERE HealthPoints < 0;\n\\q\nSELECT 1;\n' |
    "$RF_BIN/sql" -i --archive "$A" -F csv >"$W/prompt.out" 2>"$W/prompt.err"
check_eq "the prompt exits 0 after its last query succeeded" "$?" 0
check_eq "  it ran the good queries, in order" "$(tr '\n' ' ' <"$W/prompt.out")" "n 576000 m 0 "
check_match "  and reported the bad one with line and column" "$(cat "$W/prompt.err")" "line 1, column 8: unknown column 'Nmae'"
finish
