# 19_sink_exactly_once: kill -9 the sink again and again while it writes
# summaries to PostgreSQL and Redis and raw events to the archive; after a
# last run every PostgreSQL row, Redis key and archived event is exactly as
# an uninterrupted run leaves it: each event in the archive once.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka redis postgres
test_workdir W
SUM=$(uniq_topic summary); RAW=$(uniq_topic raw)
PG="$RF_PG_URL?table=t19_$$"
REDIS_PORT=${RF_REDIS_URL##*:}
A="$W/archive"

python3 "$RF_ROOT/tests/lib/make_summaries.py" 200 30 >"$W/summaries.tsv"
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SUM" -p 3 --input /dev/null 2>/dev/null
kcat -P -b "$RF_BROKERS" -t "$SUM" -K $'\t' <"$W/summaries.tsv"
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$RAW" -p 3 -n 50 --start-time "2026-11-22 06:30:00" -d 1h --seed 19 \
    --disorder-ms 2000 --late-fraction 0.01 --late-by 3m 2>/dev/null
# Small objects and batches, so that kills land between writes and commits.
S1=(-b "$RF_BROKERS" -t "$SUM" --to "$PG" --to "$RF_REDIS_URL" -G "g-$SUM" --max-records 300 --status-interval 1h
    --deadletter-topic "$SUM-dead")
S2=(-b "$RF_BROKERS" -t "$RAW" --to "file://$A" -G "g-$RAW" --max-records 2000 --batch-bytes 300000
    --batch-seconds 1s --status-interval 1h --deadletter-topic "$RAW-dead")
kills=0
for i in $(seq 8); do
    "$RF_BIN/sink" "${S1[@]}" 2>>"$W/s1.err" & a=$!
    "$RF_BIN/sink" "${S2[@]}" 2>>"$W/s2.err" & b=$!
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 1.2), 2))')"
    kill -9 "$a" "$b" 2>/dev/null && kills=$((kills + 1))
    wait "$a" "$b" 2>/dev/null
done
check "the sinks were killed mid-run ($kills times)" test "$kills" -ge 8
timeout 120 "$RF_BIN/sink" "${S1[@]}" --exit-at-end 2>>"$W/s1.err"
check_eq "a last summary sink finishes (exit 0)" "$?" 0
timeout 120 "$RF_BIN/sink" "${S2[@]}" --exit-at-end 2>>"$W/s2.err"
check_eq "a last archive sink finishes (exit 0)" "$?" 0

# PostgreSQL and Redis: exactly the summaries, once each.
check_eq "PostgreSQL: one row per summary" "$(psql "$RF_PG_URL" -Atqc "SELECT COUNT(*) FROM t19_$$")" 6000
check_eq "  with the last values sent" "$(psql "$RF_PG_URL" -Atqc "SELECT round(SUM(distance)::numeric, 1) FROM t19_$$")" \
    "$(python3 -c "
import json,sys
print(round(sum(json.loads(l.split('\t',1)[1])['Distance'] for l in open('$W/summaries.tsv')), 1))")"
check_eq "Redis: every unicorn" "$(redis-cli -p "$REDIS_PORT" SCARD unicorns)" 200
check_eq "  each with its 30 minutes, not doubled" \
    "$(for n in 000 057 199; do redis-cli -p "$REDIS_PORT" ZCARD "unicorn:Unicorn-$n:minutes"; done | sort -u)" 30
check_eq "  and the latest minute" "$(redis-cli -p "$REDIS_PORT" HGET unicorn:Unicorn-123 StatusTime)" "2026-11-22 07:29:00.000"

# The archive: every event exactly once, no temporary file left.
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$RAW" 2>/dev/null | sort >"$W/sent"
for f in $(find "$A/$RAW" -name '*.ndjson.gz'); do gzip -dc "$f"; done | sort >"$W/archived"
check_eq "the archive holds as many events as were sent" "$(wc -l <"$W/archived")" "$(wc -l <"$W/sent")"
check "  exactly the events sent, none twice" cmp -s "$W/sent" "$W/archived"
check "no temporary file is visible to readers" test -z "$(find "$A" -name '*.tmp' ! -name '.*')"
finish
