# 10_consumer_where: `consumer --where` filters with the SQL module's
# expressions; the rows it keeps are exactly those an independent Python
# predicate keeps, and a bad expression gets line:column and exit 2.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
test_workdir W
SIM=(-n 40 --start-time "2026-11-22 07:00:00" -d 10m --seed 17)

# On topic "wildrydes" the workshop schema applies (names and types checked).
T=wildrydes-where-$$
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -p 3 "${SIM[@]}" 2>/dev/null
"$RF_BIN/producer" --print "${SIM[@]}" 2>/dev/null >"$W/all"

# expression | the same predicate in Python over the record r
cases=(
    "HealthPoints < 148|r['HealthPoints'] < 148"
    "Name LIKE 'S%' AND MagicPoints >= 150|r['Name'].startswith('S') and r['MagicPoints'] >= 150"
    "Name IN ('Shadowfax', 'Comet') OR Distance > 30.8|r['Name'] in ('Shadowfax', 'Comet') or r['Distance'] > 30.8"
    "StatusTime >= '2026-11-22 07:05:00' AND StatusTime < '2026-11-22 07:05:30'|'2026-11-22 07:05:00' <= r['StatusTime'] < '2026-11-22 07:05:30'"
    "GEO_DISTANCE(Latitude, Longitude, 40.749167, -73.985184) < 500|haversine(r) < 500"
    "CASE WHEN HealthPoints < 150 THEN 'low' ELSE 'ok' END = 'low'|r['HealthPoints'] < 150"
    "NOT (MagicPoints BETWEEN 145 AND 155)|not (145 <= r['MagicPoints'] <= 155)"
)
for c in "${cases[@]}"; do
    expr=${c%%|*}; py=${c#*|}
    "$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" --where "$expr" 2>/dev/null | sort >"$W/got"
    python3 - "$W/all" "$py" >"$W/want" <<'PY'
import json, math, sys
def haversine(r, lat=40.749167, lon=-73.985184):
    p = math.pi / 180
    h = math.sin((lat - r['Latitude']) * p / 2) ** 2 + math.cos(r['Latitude'] * p) * math.cos(lat * p) * math.sin((lon - r['Longitude']) * p / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))
pred = eval("lambda r: " + sys.argv[2])
for line in open(sys.argv[1]):
    if pred(json.loads(line)):
        sys.stdout.write(line)
PY
    sort -o "$W/want" "$W/want"
    n=$(wc -l <"$W/want")
    check "--where \"$expr\": the same $n records as Python" cmp -s "$W/got" "$W/want"
    check "... and that is some but not all of them" test "$n" -gt 0 -a "$n" -lt 24000
done

# Combined with --count, --format.
check_eq "--where with --count" "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" --where "HealthPoints < 150" -c 7 2>/dev/null | wc -l)" 7

# Bad expressions: line:column, a caret, exit 2.
err=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes --where "Helth < 100" 2>&1 >/dev/null); rc=$?
check_eq "unknown column: exit 2" "$rc" 2
check_match "names it with a suggestion and a position" "$err" "error at line 1, column 1: unknown column 'Helth' \\(did you mean 'HealthPoints'\\?\\)"
check_match "shows a caret" "$err" $'\n  \\^'
err=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t wildrydes --where "Name = 'x' AND MagicPoints > 'lots'" 2>&1 >/dev/null); rc=$?
check_eq "type mismatch: exit 2" "$rc" 2
check_match "says so at the comparison" "$err" "column 16: type mismatch: cannot compare INT with VARCHAR"

# An expression naming more columns than a filter row holds is refused up front.
wide="c0 = 1"; for i in $(seq 1 70); do wide="$wide OR c$i = 1"; done
err=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "other-where-$$" --where "$wide" 2>&1 >/dev/null); rc=$?
check_eq "too many columns in --where: exit 2" "$rc" 2
check_match "... and says the limit" "$err" "names 71 columns; at most 64 are supported"

# Other topics are schema-less: any field may be named; records that are not
# JSON never match and are counted. (kcat writes them: the producer only sends
# valid workshop records.)
O=other-where-$$
printf '%s\n' '{"colour":"red","size":5}' '{"colour":"blue","size":9}' 'not json' '{"colour":"red","size":"big"}' >"$W/other"
kcat -b "$RF_BROKERS" -t "$O" -P -l "$W/other"
got=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$O" --where "colour = 'red' AND size > 3" 2>"$W/err")
check_eq "schema-less: only the matching JSON record" "$got" '{"colour":"red","size":5}'
check_match "the non-JSON record is reported as skipped" "$(cat "$W/err")" "skipped by --where: not valid JSON"
finish
