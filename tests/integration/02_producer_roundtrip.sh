# 02_producer_roundtrip: a seeded fleet goes through real Kafka and comes back
# exactly: every field, the key, the partition, the counts, the time format.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
T=$(uniq_topic fleet)
test_workdir W
SIM=(-n 50 --start-time "2026-11-22 07:00:00" -d 2m --seed 11)

"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -p 4 "${SIM[@]}" 2>"$W/producer.err"; rc=$?
check_eq "producer exits 0" "$rc" 0
check_match "producer reports every event delivered" "$(cat "$W/producer.err")" "sent 6000 events .* delivered 6000, failed 0, undelivered 0"

"$RF_BIN/producer" --print "${SIM[@]}" 2>/dev/null | sort >"$W/expected"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" 2>/dev/null | sort >"$W/actual"
check_eq "6000 events expected (50 unicorns x 120 s)" "$(wc -l <"$W/expected")" 6000
check_eq "consumer reads back 6000" "$(wc -l <"$W/actual")" 6000
check "what Kafka holds is exactly what the seed generates" cmp -s "$W/expected" "$W/actual"
check_eq "50 distinct unicorns" "$(grep -o '"Name":"[^"]*"' "$W/actual" | sort -u | wc -l)" 50

"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$T" --show key,partition >"$W/env" 2>/dev/null
check "fields, types, time format, key = Name, Java-compatible partitioning" \
    python3 "$RF_ROOT/tests/lib/check_records.py" 4 <"$W/env"
check_eq "all 4 partitions used" "$(grep -o '"partition":[0-9]*' "$W/env" | sort -u | wc -l)" 4

# Same seed, same events; another seed, other events.
a=$("$RF_BIN/producer" --print -n 3 -c 30 --start-time 2026-11-22 --seed 5 2>/dev/null | md5sum)
b=$("$RF_BIN/producer" --print -n 3 -c 30 --start-time 2026-11-22 --seed 5 2>/dev/null | md5sum)
c=$("$RF_BIN/producer" --print -n 3 -c 30 --start-time 2026-11-22 --seed 6 2>/dev/null | md5sum)
check_eq "same seed, same events" "$a" "$b"
check "another seed, other events" test "$a" != "$c"

# Live mode paces at one event per unicorn per second.
t0=$(date +%s%N)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -n 5 -c 15 2>/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "live pacing: 15 events of a 5-unicorn fleet take about 3 s (${ms} ms)" test "$ms" -ge 2000 -a "$ms" -lt 6000

# --burst: each second the whole fleet reports at once, one event time, sent
# together (the shape the latency bench also measures).
check_eq "--burst: a tick's reports share one event time" \
    "$("$RF_BIN/producer" --print -n 3 -c 3 --start-time 2026-11-22 --burst 2>/dev/null | grep -o '"StatusTime":"[^"]*"' | sort -u | wc -l)" 1
check_eq "without it they are spread over the second" \
    "$("$RF_BIN/producer" --print -n 3 -c 3 --start-time 2026-11-22 2>/dev/null | grep -o '"StatusTime":"[^"]*"' | sort -u | wc -l)" 3
TB=$(uniq_topic burst)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$TB" -p 4 -n 200 -d 3s --burst 2>/dev/null
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$TB" --show timestamp 2>/dev/null >"$W/burst"
# Each second's 200 reports reach Kafka together (their create times within
# 0.5 s of each other, where spread reports would span the whole second),
# and the seconds about a second apart.
check "--burst live: each second's reports are sent together, a second apart" python3 - "$W/burst" <<'PY'
import collections, datetime, json, sys
ts = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    t = datetime.datetime.strptime(r["timestamp"], "%Y-%m-%d %H:%M:%S.%f").timestamp()
    ts[r["value"]["StatusTime"]].append(t)
seconds = sorted(ts)
spans = [max(ts[s]) - min(ts[s]) for s in seconds]
starts = [min(ts[s]) for s in seconds]
gaps = [b - a for a, b in zip(starts, starts[1:])]
print(len(seconds), "seconds of", [len(ts[s]) for s in seconds], "spans", spans, "gaps", gaps, file=sys.stderr)
sys.exit(0 if len(seconds) == 3 and all(len(ts[s]) == 200 for s in seconds) and max(spans) < 0.5
         and all(0.6 < g < 1.6 for g in gaps) else 1)
PY
finish
