# 03_producer_input: --input forwards NDJSON as it is; invalid lines are
# counted, reported with their line numbers and sent to the dead-letter
# topic with the reason (never to the topic, never an abort).
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
T=$(uniq_topic input)
test_workdir W

"$RF_BIN/producer" --print -n 20 -c 1000 --start-time 2026-11-22 --seed 3 2>/dev/null >"$W/good"
# Interleave bad lines at known line numbers (1-based in the final file).
{
    head -100 "$W/good"
    echo 'this is not json'                                                    # line 101
    sed -n 101,200p "$W/good"
    echo '{"Name":"NoTime"}'                                                   # line 202
    echo '{"Name":"Bad","StatusTime":"2026-11-22 07:00:00.000","Latitude":123}' # line 203
    echo ''                                                                    # line 204: blank, skipped
    sed -n 201,1000p "$W/good"
    printf '{"Name":"Trunc'                                                    # last line, no newline
} >"$W/mixed"

"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -p 3 --deadletter-topic "$T-dead" --input "$W/mixed" 2>"$W/err"; rc=$?
check_eq "exit 0: every valid record was delivered" "$rc" 0
err=$(cat "$W/err")
check_match "line 101 reported" "$err" "mixed:101: invalid record, sent to $T-dead: not valid JSON"
check_match "line 202 reported" "$err" "mixed:202: invalid record, sent to $T-dead: missing StatusTime"
check_match "line 203 reported" "$err" "mixed:203: invalid record, sent to $T-dead: Latitude 123 is out of range"
check_match "last line reported" "$err" "mixed:1005: invalid record, sent to"
check_match "summary counts 4 invalid lines" "$err" "sent 1000 events .*delivered 1000.*invalid input lines 4"

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" 2>/dev/null | sort >"$W/actual"
check "the 1000 valid records arrive byte for byte" cmp -s "$W/actual" <(sort "$W/good")
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T-dead" 2>/dev/null >"$W/dead"
check_eq "the 4 invalid lines are dead letters" "$(wc -l <"$W/dead")" 4
check_match "  each with the program, stage, reason, input line and payload" "$(grep '"line":202' "$W/dead")" \
    '"program":"producer","stage":"decode","error":"missing StatusTime","input":".*mixed","line":202,"payload":"\{\\"Name\\":\\"NoTime\\"\}"' 

# From standard input, with records whose fields are in another order: sent unchanged.
printf '%s\n' '{"StatusTime":"2026-11-22 08:00:00.000","Name":"Zed","Extra":[1,2]}' \
    '{"Name":"Sh\u0061dow","StatusTime":"2026-11-22 08:00:01.000"}' |
    "$RF_BIN/producer" -b "$RF_BROKERS" -t "$T-stdin" --input - 2>/dev/null
out=$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T-stdin" --show key 2>/dev/null | sort)
check_match "stdin record forwarded unchanged, keyed by Name" "$out" '"key":"Zed","value":\{"StatusTime":"2026-11-22 08:00:00.000","Name":"Zed","Extra":\[1,2\]\}'
check_match "escaped Name is decoded for the key" "$out" '"key":"Shadow"'
finish
