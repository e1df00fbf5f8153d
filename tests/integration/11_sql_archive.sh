# 11_sql_archive: bin/sql over an archive in DESIGN.md's layout gives the same
# rows as DuckDB for the workshop's Athena queries and more; bad input is a
# clear error naming the object and line; a bad query gets line:column.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
test_workdir W
A="$W/archive"
PY="$RF_ROOT/var/venv/bin/python"

# Two hours of 120 unicorns, plus odd records: NULLs, missing fields, names
# with quotes, backslashes and Unicode.
{
    "$RF_BIN/producer" --print -n 120 --start-time "2026-11-22 06:30:00" -d 2h --seed 8 2>/dev/null
    echo '{"Name":"Quote\"Unicorn","StatusTime":"2026-11-22 07:10:00.000","Distance":30.0,"MagicPoints":90,"HealthPoints":null}'
    echo '{"Name":"Back\\slash Pegasus","StatusTime":"2026-11-22 07:11:00.000","Latitude":40.75,"Longitude":-73.98,"Distance":29.5,"MagicPoints":150}'
    echo '{"Name":"Einhörnchen Ünïcode","StatusTime":"2026-11-22 07:12:00.500","Latitude":null,"Distance":31,"MagicPoints":99,"HealthPoints":98}'
    echo '{"Name":"Einhörnchen Ünïcode","StatusTime":"2026-11-22 08:12:00.500","Distance":0,"HealthPoints":100}'
} | python3 "$RF_ROOT/tests/lib/make_archive.py" "$A" --partitions 4 --per-object 4000
n=$(find "$A/wildrydes" -name '*.ndjson.gz' | wc -l)
check "the archive has many objects ($n)" test "$n" -ge 50

out=$("$PY" "$RF_ROOT/tests/lib/sql_vs_duckdb.py" "$RF_BIN/sql" "$A" "$RF_ROOT/tests/integration/sql_cases.txt")
# One check per query: "ok N - what" from the comparison script passes it.
while IFS= read -r line; do
    case "$line" in
        "#"*) echo "$line" ;; # why a query differed
        *" - "*) check_eq "same rows as DuckDB: ${line#* - }" "${line%% [0-9]*}" ok ;;
    esac
done <<<"$out"
check "... and there were 15 queries" test "$(grep -c '^ok' <<<"$out")" -eq 15

# Output formats, --stats, queries from a file and from standard input.
t=$("$RF_BIN/sql" --archive "$A" "SELECT COUNT(*) AS n FROM wildrydes")
check_match "table output" "$t" $'^n +\n-+ *\n864004 *\n\\(1 row\\)$'
check_eq "csv output" "$("$RF_BIN/sql" --archive "file://$A" -F csv "SELECT COUNT(*) AS n FROM wildrydes")" $'n\n864004'
check_eq "json output" "$("$RF_BIN/sql" --archive "$A" -F json "SELECT MIN(StatusTime) AS first FROM wildrydes")" '{"first":"2026-11-22 06:30:00.000"}'
# Issue 17: text functions count characters, and JSON output is valid UTF-8.
j=$("$RF_BIN/sql" --archive "$A" -F json "SELECT DISTINCT SUBSTR(Name, 1, 2) AS p, UPPER(Name) AS u, LENGTH(Name) AS n FROM wildrydes WHERE Name LIKE 'Einh%'")
check_eq "SUBSTR/UPPER/LENGTH by characters, valid UTF-8 JSON" \
    "$(python3 -c 'import sys, json; [print(json.loads(l)) for l in sys.stdin.buffer.read().decode("utf-8").splitlines()]' <<<"$j")" \
    "{'p': 'Ei', 'u': 'EINHÖRNCHEN ÜNÏCODE', 'n': 19}"
echo "SELECT COUNT(*) FROM wildrydes WHERE HealthPoints IS NULL" >"$W/q.sql"
check_eq "--file" "$("$RF_BIN/sql" --archive "$A" -F csv --file "$W/q.sql" | tail -1)" 2
check_eq "standard input" "$("$RF_BIN/sql" --archive "$A" -F csv <"$W/q.sql" | tail -1)" 2
err=$("$RF_BIN/sql" --archive "$A" --stats "SELECT COUNT(*) FROM wildrydes" 2>&1 >/dev/null)
check_match "--stats" "$err" "of $n objects read, .* 864004 records scanned"

# Bad queries: line, column, caret; exit 2.
err=$("$RF_BIN/sql" --archive "$A" $'SELECT Name,\n  SUM(Distanse)\nFROM wildrydes GROUP BY Name' 2>&1); rc=$?
check_eq "bad query: exit 2" "$rc" 2
check_match "... at line 2, column 7, with a suggestion" "$err" "error at line 2, column 7: unknown column 'Distanse' \\(did you mean 'Distance'\\?\\)"
err=$("$RF_BIN/sql" --archive "$A" "SELECT Name, COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_match "a column neither grouped nor aggregated" "$err" "column 'Name' must appear in GROUP BY"
err=$("$RF_BIN/sql" --archive "$A" "SELECT COUNT(*)" 2>&1); rc=$?
check_eq "a query without FROM: exit 2" "$rc" 2

# A missing archive, a corrupt object, a bad record.
err=$("$RF_BIN/sql" --archive "$W/nowhere" "SELECT COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_eq "missing archive: exit 1" "$rc" 1
check_match "... says where it looked" "$err" "no archive for 'wildrydes' at $W/nowhere"
B="$W/bad"; mkdir -p "$B/wildrydes/year=2026/month=11/day=22/hour=07"
obj="$B/wildrydes/year=2026/month=11/day=22/hour=07/wildrydes+0+00000000000000000000.ndjson.gz"
printf '%s\n' '{"Name":"A","StatusTime":"2026-11-22 07:00:00.000"}' 'not json at all' '{"Name":"B","StatusTime":"2026-11-22 07:00:01.000"}' | gzip >"$obj"
err=$("$RF_BIN/sql" --archive "$B" "SELECT COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_eq "a bad record: exit 1" "$rc" 1
check_match "... names the object and the line" "$err" "wildrydes\\+0\\+00000000000000000000.ndjson.gz: line 2: not valid JSON"
out=$("$RF_BIN/sql" --archive "$B" -F csv --skip-bad "SELECT COUNT(*) FROM wildrydes" 2>"$W/err")
check_eq "--skip-bad counts it and goes on" "$(tail -1 <<<"$out")" 2
check_match "... and says how many" "$(cat "$W/err")" "1 records could not be read"
head -c 60 "$obj" >"$obj.tmp" && mv "$obj.tmp" "$obj"
err=$("$RF_BIN/sql" --archive "$B" "SELECT COUNT(*) FROM wildrydes" 2>&1); rc=$?
check_eq "a truncated gzip object: exit 1" "$rc" 1
check_match "... names the object" "$err" "wildrydes\\+0\\+00000000000000000000.ndjson.gz"
finish
