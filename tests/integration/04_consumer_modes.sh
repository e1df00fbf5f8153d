# 04_consumer_modes: --from (beginning, end, offset, -N, time), --count,
# --follow, groups that commit and resume, and the table/csv formats.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
T=$(uniq_topic modes)
test_workdir W
on_exit 'kill $(jobs -p)'
C=("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T")

"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -p 1 -n 10 -c 100 --start-time 2026-11-22 2>/dev/null
check_eq "default: from the beginning to the end" "$("${C[@]}" 2>/dev/null | wc -l)" 100
check_eq "--count 7" "$("${C[@]}" -c 7 2>/dev/null | wc -l)" 7
check_eq "--from 90" "$("${C[@]}" --from 90 2>/dev/null | wc -l)" 10
check_eq "--from -5 (five before the end)" "$("${C[@]}" --from -5 2>/dev/null | wc -l)" 5
first=$("${C[@]}" --from 42 -c 1 --show offset 2>/dev/null)
check_match "--from 42 starts at offset 42" "$first" '^\{"offset":42,'
check_eq "--from end without --follow prints nothing" "$("${C[@]}" --from end 2>/dev/null | wc -l)" 0

# --from TIME uses the records' Kafka timestamps (the time they were produced).
sleep 1.2
mark=$(date -u '+%Y-%m-%d %H:%M:%S')
sleep 1.2
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -n 10 -c 20 --start-time 2026-11-23 2>/dev/null
check_eq "--from TIME: only what was produced after it" "$("${C[@]}" --from "$mark" 2>/dev/null | wc -l)" 20

# --follow waits for new records; --count ends it.
"${C[@]}" --from end --follow -c 5 >"$W/follow" 2>/dev/null &
fpid=$!
sleep 2
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -n 5 -c 5 --start-time 2026-11-24 2>/dev/null
wait $fpid; rc=$?
check_eq "--follow sees the 5 new records and exits 0" "$(wc -l <"$W/follow"):$rc" "5:0"

# A group commits what it printed and resumes after it.
G="g-$$-$RANDOM"
check_eq "group: first run reads 50" "$("${C[@]}" -G "$G" -c 50 2>/dev/null | wc -l)" 50
check_eq "group: second run resumes with the other 75" "$("${C[@]}" -G "$G" 2>/dev/null | wc -l)" 75
check_eq "group: third run has nothing left" "$("${C[@]}" -G "$G" 2>/dev/null | wc -l)" 0

# Formats.
table=$("${C[@]}" -c 3 -F table --show partition,offset 2>/dev/null)
check_match "table header" "$(head -1 <<<"$table")" '^partition +offset +Name +StatusTime +Latitude +Longitude +Distance +MagicPoints +HealthPoints$'
check_eq "table: header, rule, 3 rows" "$(wc -l <<<"$table")" 5
check_match "table row aligned" "$(sed -n 3p <<<"$table")" '^0 +0 +Shadowfax +2026-11-22 00:00:00.000 +40\.'
csv=$("${C[@]}" -c 2 -F csv 2>/dev/null)
check_eq "csv header" "$(head -1 <<<"$csv")" "Name,StatusTime,Latitude,Longitude,Distance,MagicPoints,HealthPoints"
check_match "csv row" "$(sed -n 2p <<<"$csv")" '^Shadowfax,2026-11-22 00:00:00.000,40\.[0-9]+,-73\.[0-9]+,[0-9.]+,[0-9]+,[0-9]+$'
check "csv parses as CSV with 7 columns" python3 -c 'import csv,sys; rows=list(csv.reader(sys.stdin)); sys.exit(not (len(rows)==3 and all(len(r)==7 for r in rows)))' <<<"$csv"
finish
