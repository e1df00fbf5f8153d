# 24_hostile_corpus: bad data never stops, stalls or corrupts the pipeline.
# A hostile corpus (tests/lib/hostile_corpus.py: invalid JSON, wrong types,
# NUL bytes, bytes that are not UTF-8, a 1 MB record, names with ':' '{' '}'
# quotes, newlines, tabs and emoji, a unicorn "X:minutes" beside "X", a clock
# in 2099 and one before 1970, a CAST that fails) goes through the producer,
# the processor, a summary sink (PostgreSQL + Redis) and an archive sink,
# all with their default groups on one host. Every record is processed or
# dead-lettered with a reason, the counts add up, every dead letter is JSON,
# and every program exits 0 on SIGTERM.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka redis postgres
test_workdir W
SRC=$(uniq_topic src)
TABLE="t24_$$"
PG="$RF_PG_URL?table=$TABLE"
REDIS_PORT=${RF_REDIS_URL##*:}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
python3 "$RF_ROOT/tests/lib/hostile_corpus.py" "$W/corpus"
E="$W/corpus/expect.json"
want() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$E" "$1"; }
count_topic() { "$RF_BIN/consumer" -b "$RF_BROKERS" -t "$1" --show offset 2>/dev/null | wc -l; } # one line per record

# 1. The producer forwards the workshop records and dead-letters the rest.
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC" -p 3 --deadletter-topic "$SRC-dead-producer" \
    --input "$W/corpus/corpus.ndjson" 2>"$W/producer.err"
check_eq "the producer goes through the corpus and exits 0" "$?" 0
check_match "  sent + invalid = every line" "$(tail -1 "$W/producer.err")" \
    "sent $(want sent) events .*invalid input lines $(want producer_dead) "
check_eq "  its dead letters" "$(count_topic "$SRC-dead-producer")" "$(want producer_dead)"
check_match "  the 1.2 MB line among them, cut, and said why" \
    "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-dead-producer" 2>/dev/null | grep -o '"error":"a record of [0-9]* bytes is larger than Kafka takes[^"]*"')" \
    'larger than Kafka takes'

# Records any other producer might write: raw bytes, 1 MB.
kcat -P -b "$RF_BROKERS" -t "$SRC" -p 0 -X message.max.bytes=1100000 "$W/corpus/direct-0.bin" "$W/corpus/direct-1.bin"
check_eq "raw records written to the topic" "$?" 0
check_eq "  the topic holds every forwarded record" "$(count_topic "$SRC")" "$(want topic_records)"

# 2. The processor (default group), the summary sink and the archive sink
# (default groups too: they must not share one).
cat >"$W/q.sql" <<SQL
CREATE STREAM wildrydes WITH (topic='$SRC');
CREATE STREAM summary WITH (topic='$SRC-summary', key='Name') AS
SELECT Name, WINDOW_START AS StatusTime, SUM(Distance) AS Distance,
       MIN(MagicPoints) AS MinMagicPoints, MAX(MagicPoints) AS MaxMagicPoints,
       MIN(HealthPoints) AS MinHealthPoints, MAX(HealthPoints) AS MaxHealthPoints
FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 0 SECONDS) GROUP BY Name;
CREATE STREAM ids WITH (topic='$SRC-ids', key='Name') AS
SELECT Name, CAST(SUBSTR(Name, 2) AS INT) AS id FROM wildrydes WHERE Name LIKE '#%';
SQL
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/q.sql" --idle-timeout 1s --status-interval 1h \
    --deadletter-topic "$SRC-dead-processor" --late-topic "$SRC-late" 2>"$W/processor.err" &
proc=$!
# A second processor, another query file, default flags too: its own group
# and transactional id, so neither fences nor starves the other.
cat >"$W/q2.sql" <<SQL
CREATE STREAM wildrydes WITH (topic='$SRC');
CREATE STREAM counts WITH (topic='$SRC-counts', key='Name') AS
SELECT Name, WINDOW_START AS Minute, COUNT(*) AS n FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 0 SECONDS)
GROUP BY Name;
SQL
"$RF_BIN/processor" -b "$RF_BROKERS" -f "$W/q2.sql" --idle-timeout 1s --status-interval 1h \
    --deadletter-topic "$SRC-dead-processor2" --late-topic "$SRC-late2" 2>"$W/processor2.err" &
proc2=$!
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SRC-summary" --input /dev/null 2>/dev/null # so the sink can subscribe
"$RF_BIN/sink" -b "$RF_BROKERS" -t "$SRC-summary" --to "$PG" --to "$RF_REDIS_URL" --status-interval 1h \
    --deadletter-topic "$SRC-dead-sink" 2>"$W/sink.err" &
sink=$!
"$RF_BIN/sink" -b "$RF_BROKERS" -t "$SRC" --to "file://$W/archive" --batch-seconds 1 --status-interval 1h \
    --deadletter-topic "$SRC-dead-archive" 2>"$W/archive.err" &
arch=$!
on_exit "kill $proc $proc2 $sink $arch 2>/dev/null"

wait_for 90 "every summary" bash -c "[ \$('$RF_BIN/consumer' -b '$RF_BROKERS' -t '$SRC-summary' 2>/dev/null | wc -l) -ge $(want summaries) ]"
check_eq "the processor emits every summary once" "$(count_topic "$SRC-summary")" "$(want summaries)"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-summary" 2>/dev/null >"$W/summaries.jsonl"
check_eq "  for every unicorn, whatever its name" \
    "$(python3 -c 'import json, sys; print(sorted({json.loads(l)["Name"] for l in open(sys.argv[1])}) == json.load(open(sys.argv[2]))["names"])' "$W/summaries.jsonl" "$E")" True
check_eq "  each minute's distance is its 6 events'" \
    "$(python3 -c 'import json, sys; print(sorted({round(json.loads(l)["Distance"], 6) for l in open(sys.argv[1])}))' "$W/summaries.jsonl")" "[178.5, 182.1, 185.7]"
check_eq "the CAST stream: a row per castable event" "$(count_topic "$SRC-ids")" "$(want ids)"
wait_for 30 "the second processor's counts" bash -c "[ \$('$RF_BIN/consumer' -b '$RF_BROKERS' -t '$SRC-counts' --show offset 2>/dev/null | wc -l) -ge $(want summaries) ]"
check_eq "a second processor of another file, beside it with default flags, has all its results" \
    "$(count_topic "$SRC-counts")" "$(want summaries)"
wait_for 30 "the processor's dead letters" bash -c "[ \$('$RF_BIN/consumer' -b '$RF_BROKERS' -t '$SRC-dead-processor' 2>/dev/null | wc -l) -ge $(( $(want processor_decode_dead) + $(want processor_query_dead) )) ]"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-dead-processor" 2>/dev/null >"$W/dead-processor.jsonl"
check_eq "  decode dead letters: 2099, 1969, raw bytes, 1 MB" "$(grep -c '"stage":"decode"' "$W/dead-processor.jsonl")" "$(want processor_decode_dead)"
check_eq "  query dead letters: every event of #x, named by its stream" \
    "$(grep -c '"stage":"query","name":"ids","error":"cannot CAST '"'"'x'"'"' to INT' "$W/dead-processor.jsonl")" "$(want processor_query_dead)"
check_match "  the clock in 2099 is refused by the event-time guard" "$(grep 2099 "$W/dead-processor.jsonl")" '"error":"event time 2099-12-31 23:59:59.000 is [0-9]+ s ahead'
check_match "  the one before 1970 too" "$(grep 1969 "$W/dead-processor.jsonl")" 'before 1970'
check_match "  bytes that are not UTF-8 travel as base64" "$(grep '"offset":' "$W/dead-processor.jsonl" | grep -v '"payload":')" '"payload_base64":"Z2FyYmFnZSAA//4gYnl0ZXMKew=="'
check_match "  the 1 MB record's letter is cut, and says so" "$(grep '"payload_truncated"' "$W/dead-processor.jsonl" | head -c 300)" '"payload_bytes":999983,"payload_truncated":true'

# 3. The stores: every summary once, names as data, Redis keys injective.
wait_for 30 "PostgreSQL" bash -c "[ \$(psql '$RF_PG_URL' -Atqc 'SELECT COUNT(*) FROM $TABLE' 2>/dev/null || echo 0) -ge $(want summaries) ]"
check_eq "PostgreSQL has every summary" "$(psql "$RF_PG_URL" -Atqc "SELECT COUNT(*) FROM $TABLE")" "$(want summaries)"
check_eq "  names as they came" "$(psql "$RF_PG_URL" -Atqc "SELECT COUNT(DISTINCT name) FROM $TABLE WHERE name IN ('X', 'X:minutes', '{brace}', 'quote\"d', E'new\\nline', 'emoji 🦄')")" 6
wait_for 30 "Redis" bash -c "[ \$(redis-cli -p $REDIS_PORT SCARD unicorns) -ge $(wc -w <<<"$(want names)") ]"
check_eq "Redis knows every unicorn" "$(rcli SMEMBERS unicorns | grep -c 'X')" 2
check_eq "  X's minutes are X's" "$(rcli ZCARD 'unicorn:X:minutes')" 3
check_eq "  X:minutes has keys of its own" "$(rcli HGET 'unicorn:X%3Aminutes' Name)" "X:minutes"
check_eq "  and its own minutes" "$(rcli ZCARD 'unicorn:X%3Aminutes:minutes')" 3
check_eq "  {brace} is encoded too" "$(rcli HGET 'unicorn:%7Bbrace%7D' Name)" "{brace}"
check_eq "the summary sink dead-letters nothing" "$(count_topic "$SRC-dead-sink")" 0

# 4. The archive: every good event once, the rest dead-lettered with a reason.
archived() { python3 -c 'import gzip, glob, sys; print(sum(1 for f in glob.glob(sys.argv[1] + "/**/*.ndjson.gz", recursive=True) for _ in gzip.open(f)))' "$W/archive/$SRC"; }
wait_for 30 "the archive" bash -c "[ \$($(declare -f archived); W='$W' SRC='$SRC' archived) -ge $(want archived) ]"
check_eq "the archive holds every good event" "$(archived)" "$(want archived)"
check "  under sane hours only" bash -c "! ls -d '$W/archive/$SRC'/year=* | grep -v 'year=2026'"
wait_for 30 "the archive's dead letters" bash -c "[ \$('$RF_BIN/consumer' -b '$RF_BROKERS' -t '$SRC-dead-archive' 2>/dev/null | wc -l) -ge $(want archive_dead) ]"
check_eq "  its dead letters name the archive" "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-dead-archive" 2>/dev/null | grep -c '"program":"sink","stage":"decode","name":"archive"')" "$(want archive_dead)"

# 5. Every dead letter is JSON with the fields the contract names.
cat "$W/dead-processor.jsonl" >"$W/all-dead.jsonl"
for t in producer sink archive; do "$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SRC-dead-$t" 2>/dev/null >>"$W/all-dead.jsonl"; done
check_eq "every dead letter parses as JSON with program, stage, error and a payload" "$(python3 -c '
import json, sys
n = bad = 0
for line in open(sys.argv[1], "rb"):
    n += 1
    try:
        d = json.loads(line.decode("utf-8"))
        ok = all(k in d for k in ("program", "stage", "error")) and ("payload" in d or "payload_base64" in d)
    except ValueError:
        ok = False
    bad += not ok
print(n, bad)' "$W/all-dead.jsonl")" "$(( $(want producer_dead) + $(want processor_decode_dead) + $(want processor_query_dead) + $(want archive_dead) )) 0"

# 6. SIGTERM: each stops cleanly, and its summary line adds up.
kill -TERM "$proc" "$sink" "$arch"
kill -TERM "$proc2"
wait "$proc"; check_eq "the processor exits 0 on SIGTERM" "$?" 0
wait "$proc2"; check_eq "  and so does the second" "$?" 0
wait "$sink"; check_eq "the summary sink exits 0" "$?" 0
wait "$arch"; check_eq "the archive sink exits 0" "$?" 0
check_match "  the processor read every record and counts its dead letters" "$(tail -1 "$W/processor.err")" \
    "done: $(want topic_records) events .* 0 late, $(( $(want processor_decode_dead) + $(want processor_query_dead) )) dead letters"
check_match "  the processor's default group names its query file" "$(cat "$W/processor.err")" "rydeflow-processor-q-[0-9a-f]{8}"
check_match "  the sinks' default groups differ" "$(grep -ho 'group rydeflow-sink-[^)]*' "$W/sink.err" "$W/archive.err" | sort -u | wc -l)" "^2$"

# 7. Two jobs forced into one group and one static member (--group, --instance
# given): the second is handed the first's partitions and refuses them, the
# first is fenced; the second stops loudly, neither writes the other's
# records, and the first joins again (a fencing is most often a member's
# own join replayed after a coordinator stall) and goes on.
"$RF_BIN/sink" -b "$RF_BROKERS" -t "$SRC" --to "file://$W/first" -G "g-$SRC-shared" -i same --status-interval 1h \
    2>"$W/first.err" &
first=$!
on_exit "kill $first 2>/dev/null"
wait_for 30 "the first sink's archive" bash -c "ls '$W/first/$SRC' >/dev/null 2>&1"
timeout 60 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$SRC-summary" --to "file://$W/second" -G "g-$SRC-shared" -i same \
    --status-interval 1h 2>"$W/second.err"
check_eq "a sink handed a topic it did not ask for stops (exit 1)" "$?" 1
check_match "  saying why" "$(tail -1 "$W/second.err")" "handed this member partition $SRC \\[[0-9]\\], of a topic it did not subscribe to"
check "  and writes none of it" bash -c "! find '$W/second' -name '*.gz' 2>/dev/null | grep -q ."
wait_for 60 "the fenced first sink to join again" grep -q "joining the group again" "$W/first.err"
check_match "the fenced first sink says so and joins again" "$(cat "$W/first.err")" \
    "fenced by other consumer with same group.instance.id: joining the group again with a new consumer"
kill -TERM "$first"
wait "$first"
check_eq "  and still stops cleanly on SIGTERM (exit 0)" "$?" 0

# 8. Real twins: two sinks of one job with the same --instance fence each
# other in turn; after RF_FENCE_MAX renewals in five minutes one stops and
# says why, and the other goes on.
for k in a b; do
    "$RF_BIN/sink" -b "$RF_BROKERS" -t "$SRC" --to "file://$W/twin" -G "g-$SRC-twins" -i twin --status-interval 1h \
        -X session.timeout.ms=6000 2>"$W/twin-$k.err" &
    eval "twin_$k=\$!"
    on_exit "kill $! 2>/dev/null"
done
stopped() { ! kill -0 "$twin_a" 2>/dev/null || ! kill -0 "$twin_b" 2>/dev/null; }
wait_for 240 "one twin to stop" stopped
check "one of two twins stops" stopped
check_match "  saying why" "$(cat "$W/twin-a.err" "$W/twin-b.err")" \
    "fenced as a static member 11 times in 5 minutes: is another sink running with --group g-$SRC-twins --instance twin\\?"
for t in "$twin_a" "$twin_b"; do kill -0 "$t" 2>/dev/null && survivor=$t; done
check "  the other goes on" test -n "${survivor:-}"
kill -TERM "${survivor:-0}" 2>/dev/null
finish
