# 18_sink_backends: bin/sink writes summaries to PostgreSQL (upserts; names
# full of quotes, backslashes and Unicode travel as data) and Redis (the
# documented keys), raw events to the archive in a directory and on S3 (read
# back by bin/sql and by DuckDB with hive_partitioning), bad records to the
# dead-letter topic with the reason; a replay changes nothing.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka redis postgres s3
test_workdir W
SUM=$(uniq_topic summary); RAW=$(uniq_topic raw); DLQ="$SUM-dead"
PG="$RF_PG_URL?table=t18_$$"
REDIS_PORT=${RF_REDIS_URL##*:}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
psql_q() { psql "$RF_PG_URL" -Atqc "$1"; }

python3 "$RF_ROOT/tests/lib/make_summaries.py" 20 12 --odd >"$W/summaries.tsv"
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SUM" -p 3 --input /dev/null 2>/dev/null
kcat -P -b "$RF_BROKERS" -t "$SUM" -K $'\t' <"$W/summaries.tsv"
S=(-b "$RF_BROKERS" -t "$SUM" --to "$PG" --to "$RF_REDIS_URL" --deadletter-topic "$DLQ" --exit-at-end --status-interval 1h)
timeout 60 "$RF_BIN/sink" "${S[@]}" -G "g1-$SUM" 2>"$W/sink1.err"
check_eq "the sink writes the summaries and exits 0 at the end" "$?" 0
check_match "  and says what it wrote" "$(tail -1 "$W/sink1.err")" "done: 302 records .* 3 dead letters"

# 1. PostgreSQL: every valid summary once, values as sent.
check_eq "PostgreSQL has one row per unicorn and minute" "$(psql_q "SELECT COUNT(*) FROM t18_$$")" 300
check_eq "  with proper types" "$(psql_q "SELECT string_agg(data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 't18_$$'")" \
    "text,timestamp with time zone,double precision,integer,integer,integer,integer"
python3 - "$W/summaries.tsv" >"$W/expected.csv" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    k, v = line.rstrip("\n").split("\t", 1)
    try: r = json.loads(v)
    except ValueError: continue
    if r["MinMagicPoints"] > 2**31: continue
    d = repr(r["Distance"]); d = d[:-2] if d.endswith(".0") else d
    print("|".join(str(x) for x in [r["Name"], r["StatusTime"][:19] + "+00", d, r["MinMagicPoints"],
          r["MaxMagicPoints"], r["MinHealthPoints"], r["MaxHealthPoints"]]))
PY
psql_q "SET timezone = 'UTC'; SELECT name, status_time, distance, min_magic_points, max_magic_points, min_health_points, max_health_points FROM t18_$$" >"$W/actual.csv"
check "  and every value is the record's (names with quotes, backslashes, tabs, Unicode intact)" \
    cmp -s <(sort "$W/expected.csv") <(sort "$W/actual.csv")
check_eq "  the name with quotes and a semicolon is stored as data" \
    "$(psql_q "SELECT COUNT(*) FROM t18_$$ WHERE name = 'O''Brien; DROP TABLE x'")" 12

# 2. Dead letters: not JSON (one per destination: each judges for itself),
# and a value PostgreSQL rejects (isolated from its batch; Redis takes it).
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$DLQ" 2>/dev/null >"$W/dead.jsonl"
check_eq "three dead letters" "$(wc -l <"$W/dead.jsonl")" 3
check_match "  a record that is not JSON, with the reason, for PostgreSQL" "$(grep -F 'this is not json' "$W/dead.jsonl")" \
    '"program":"sink","stage":"decode","name":"postgresql","error":"not valid JSON'
check_match "  and for Redis" "$(grep -F 'this is not json' "$W/dead.jsonl")" '"stage":"decode","name":"redis"'
check_match "  a row PostgreSQL rejects, with its message" "$(grep -F Huge "$W/dead.jsonl")" \
    '"stage":"destination","name":"postgresql","error":"PostgreSQL rejected the row: .*out of range'

# 3. Redis: the documented keys.
check_eq "Redis: the set of unicorns (the one PostgreSQL refused too)" "$(rcli SCARD unicorns)" 26
check_eq "  unicorn:<Name> holds the latest minute" "$(rcli HGET "unicorn:Unicorn-007" StatusTime)" "2026-11-22 07:11:00.000"
check_eq "  with every field" "$(rcli HLEN "unicorn:Unicorn-007")" 7
check_eq "  unicorn:<Name>:minutes has one member per minute" "$(rcli ZCARD "unicorn:Unicorn-007:minutes")" 12
check_match "  members are the summaries' JSON" "$(rcli ZRANGE "unicorn:Einhörnchen Ünïcode 🦄:minutes" 0 0)" '"StatusTime": "2026-11-22 07:00:00.000"'

# 4. A replay (a new group reads everything again) changes nothing.
before=$(psql_q "SELECT md5(string_agg(t18_$$::text, ',' ORDER BY name, status_time)) FROM t18_$$")
rbefore=$(rcli HGETALL "unicorn:Unicorn-007" | md5sum)
versions() { psql_q "SELECT md5(string_agg(xmin::text || ctid::text, ',' ORDER BY name, status_time)) FROM t18_$$"; }
vbefore=$(versions)
timeout 60 "$RF_BIN/sink" "${S[@]}" -G "g2-$SUM" --log-level debug 2>"$W/replay.err"
check_eq "a replay exits 0" "$?" 0
check_match "  its COPY met stored rows, and it upserted instead" "$(cat "$W/replay.err")" \
    "a batch met stored rows; upserting it and the next 64"
check_eq "  PostgreSQL is unchanged" "$(psql_q "SELECT md5(string_agg(t18_$$::text, ',' ORDER BY name, status_time)) FROM t18_$$")" "$before"
check_eq "  and not one row was written again (no new row versions)" "$(versions)" "$vbefore"
check_eq "  Redis is unchanged" "$(rcli HGETALL "unicorn:Unicorn-007" | md5sum)" "$rbefore"
check_eq "  the minutes are not doubled" "$(rcli ZCARD "unicorn:Unicorn-007:minutes")" 12

# 5. The archive: raw events, in a directory and on S3.
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$RAW" -p 3 -n 30 --start-time "2026-11-22 06:40:00" -d 50m --seed 18 \
    --disorder-ms 3000 --late-fraction 0.01 --late-by 2m 2>/dev/null
printf 'not an event\n' | kcat -P -b "$RF_BROKERS" -t "$RAW" -p 0
A="$W/archive"
# (Chunks of 256 KiB: each object is several gzip members, as a large one is.)
timeout 120 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$RAW" --to "file://$A" --to "s3://rydeflow/t18-$$" --endpoint "$RF_S3_ENDPOINT" \
    --chunk-bytes 262144 --deadletter-topic "$DLQ" -G "g-$RAW" --exit-at-end --status-interval 1h 2>"$W/sink3.err"
check_eq "the archive sink exits 0 at the end" "$?" 0
check "  its objects are each several gzip members" python3 - "$A/$RAW" <<'PY'
import glob, sys, zlib
big = 0
for p in glob.glob(sys.argv[1] + "/*/*/*/*/*.gz"):
    data, members = open(p, "rb").read(), 0
    while data:
        d = zlib.decompressobj(31)
        d.decompress(data)
        if not d.eof: sys.exit(f"{p}: a truncated member")
        data, members = d.unused_data, members + 1
    big += members > 2
sys.exit(0 if big > 3 else f"only {big} objects have three or more members")
PY
n=$(find "$A/$RAW" -name '*.ndjson.gz' | wc -l)
check "objects under year=/month=/day=/hour= ($n)" test "$(find "$A/$RAW" -path '*/year=2026/month=11/day=22/hour=0[67]/*' -name "$RAW+*+*.ndjson.gz" | wc -l)" -eq "$n" -a "$n" -gt 3
check "the marker says the archive is partitioned by event time" test -f "$A/$RAW/_rydeflow_partitioned_by_event_time"
check "no temporary files are left" test -z "$(find "$A" -name '.*.tmp')"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$RAW" 2>/dev/null | grep -v 'not an event' | sort >"$W/sent"
for f in $(find "$A/$RAW" -name '*.ndjson.gz'); do gzip -dc "$f"; done | sort >"$W/archived"
check_eq "every event is archived exactly once (directory)" "$(wc -l <"$W/archived")" 90000
check "  and the archive holds exactly the events sent" cmp -s "$W/sent" "$W/archived"
check "  each object holds only events of its hour" python3 - "$A/$RAW" <<'PY'
import glob, gzip, json, re, sys
for p in glob.glob(sys.argv[1] + "/*/*/*/*/*.gz"):
    hour = re.search(r"hour=(\d\d)", p).group(1)
    for l in gzip.open(p, "rt"):
        if json.loads(l)["StatusTime"][11:13] != hour: sys.exit(1)
PY
cp -r "$A/$RAW" "$A/wildrydes"
check_eq "bin/sql reads the archive" "$("$RF_BIN/sql" --archive "$A" -F csv "SELECT COUNT(*) FROM wildrydes" 2>/dev/null | tail -1)" 90000
check_eq "bin/sql reads it from S3" "$("$RF_BIN/sql" --archive "s3://rydeflow/t18-$$" --endpoint "$RF_S3_ENDPOINT" -F csv "SELECT COUNT(*) FROM \"$RAW\"" 2>/dev/null | tail -1)" 90000
"$RF_BIN/sql" --archive "$A" -F csv --stats "SELECT COUNT(*) FROM wildrydes WHERE StatusTime >= '2026-11-22 07:00:00'" >/dev/null 2>"$W/prune.err"
check_match "  and prunes objects by hour" "$(cat "$W/prune.err")" "[1-9][0-9]* skipped"
check_eq "DuckDB reads it with hive_partitioning" "$("$RF_ROOT/var/venv/bin/python" -c "
import duckdb
print(duckdb.sql(\"SELECT COUNT(*), COUNT(DISTINCT hour) FROM read_json_auto('$A/$RAW/**/*.ndjson.gz', hive_partitioning=true, format='newline_delimited')\").fetchone())")" "(90000, 2)"
check_eq "the bad event was dead-lettered by each archive" "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$DLQ" 2>/dev/null | grep -c '"name":"archive".*not an event')" 2
# 6. A large object goes to S3 as a multipart upload, and reads back whole.
BIG=$(uniq_topic big)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$BIG" -p 1 -n 200 --start-time "2026-11-22 08:00:00" -d 45m --seed 6 2>/dev/null
timeout 120 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$BIG" --to "s3://rydeflow/t18big-$$" --endpoint "$RF_S3_ENDPOINT" \
    --part-bytes 5242880 --deadletter-topic "$DLQ" -G "g-$BIG" --exit-at-end --status-interval 1h --log-level debug \
    2>"$W/big.err"
check_eq "a sink writing one large object exits 0" "$?" 0
check_match "  it used a multipart upload" "$(grep multipart "$W/big.err")" "multipart upload of [0-9]+ bytes in [2-9] parts"
check_eq "  and the object reads back whole" \
    "$("$RF_BIN/sql" --archive "s3://rydeflow/t18big-$$" --endpoint "$RF_S3_ENDPOINT" -F csv "SELECT COUNT(*) FROM \"$BIG\"" 2>&1 | tail -1)" 540000

# 7. A Redis with a password (an ACL user too), in database 2.
AUTH_PORT=$(_rf_free_port)
redis-server --port "$AUTH_PORT" --bind 127.0.0.1 --save '' --appendonly no --requirepass 'p@ss:w0rd' \
    --daemonize no --logfile "$W/redis-auth.log" &
on_exit "kill $!"
wait_for 20 "the Redis with a password" redis-cli -p "$AUTH_PORT" -a 'p@ss:w0rd' --no-auth-warning ping
redis-cli -p "$AUTH_PORT" -a 'p@ss:w0rd' --no-auth-warning ACL SETUSER fleet on '>fleetpw' '~*' '&*' '+@all' >/dev/null
timeout 60 "$RF_BIN/sink" "${S[@]/#"$RF_REDIS_URL"/redis://:p%40ss%3Aw0rd@127.0.0.1:$AUTH_PORT/2}" -G "g7-$SUM" \
    2>"$W/sink-auth.err"
check_eq "a sink writes to a Redis with a password, in database 2 (exit 0)" "$?" 0
check_eq "  the unicorns are in database 2" \
    "$(redis-cli -p "$AUTH_PORT" -a 'p@ss:w0rd' --no-auth-warning -n 2 SCARD unicorns)" 26
check_eq "  and not in database 0" "$(redis-cli -p "$AUTH_PORT" -a 'p@ss:w0rd' --no-auth-warning EXISTS unicorns)" 0
timeout 60 "$RF_BIN/sink" "${S[@]/#"$RF_REDIS_URL"/redis://fleet:fleetpw@127.0.0.1:$AUTH_PORT/3}" -G "g8-$SUM" \
    2>"$W/sink-acl.err"
check_eq "an ACL user (redis://USER:PASSWORD@...) works too" \
    "$(redis-cli -p "$AUTH_PORT" -a 'p@ss:w0rd' --no-auth-warning -n 3 SCARD unicorns)" 26
# (--shutdown-timeout 1s: after timeout's SIGTERM it retries 1 s more, then
# exits 1 without committing.)
start=$SECONDS
timeout --preserve-status 5 "$RF_BIN/sink" "${S[@]/#"$RF_REDIS_URL"/redis://:wrong@127.0.0.1:$AUTH_PORT}" -G "g9-$SUM" --shutdown-timeout 1s \
    2>"$W/sink-wrong.err"
check_eq "a store away at SIGTERM: the sink exits 1, within --shutdown-timeout (took $((SECONDS - start)) s)" \
    "$?,$((SECONDS - start <= 9))" "1,1"
check_match "  saying so" "$(cat "$W/sink-wrong.err")" "redis: still unavailable 1\\.0 s after the shutdown began"
check_match "a wrong password: the sink says so and waits (retrying)" "$(cat "$W/sink-wrong.err")" \
    "Redis redis://:\\*\\*\\*@127.0.0.1:$AUTH_PORT/0: authentication failed: (WRONGPASS|ERR invalid password)"
check "  without showing the password" bash -c "! grep -q wrong '$W/sink-wrong.err'"

# 7b. Redis over TLS (rediss://): the server's certificate checked against a
# CA and its address, a client certificate presented (Redis asks for one by
# default), a large batch pipelined through the relay.
tls_cert() { # NAME SUBJECT [EXT]: a key and a certificate signed by the test CA
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$W/$1.key" -out "$W/$1.csr" \
        -subj "$2" 2>/dev/null &&
        openssl x509 -req -in "$W/$1.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
            -out "$W/$1.pem" ${3:+-extfile <(printf '%s' "$3")} 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" \
    -days 2 -subj /CN=rydeflow-test-ca 2>/dev/null
tls_cert server /CN=127.0.0.1 subjectAltName=IP:127.0.0.1
tls_cert client /CN=fleet
TLS_PORT=$(_rf_free_port)
redis-server --port 0 --tls-port "$TLS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --tls-cert-file "$W/server.pem" --tls-key-file "$W/server.key" --tls-ca-cert-file "$W/ca.pem" \
    --daemonize no --logfile "$W/redis-tls.log" &
on_exit "kill $!"
tcli() { redis-cli --tls --cacert "$W/ca.pem" --cert "$W/client.pem" --key "$W/client.key" -p "$TLS_PORT" "$@"; }
wait_for 20 "the Redis with TLS" tcli ping
TLS_URL="rediss://127.0.0.1:$TLS_PORT/1?cacert=$W/ca.pem&cert=$W/client.pem&key=$W/client.key"
timeout 60 "$RF_BIN/sink" "${S[@]/#"$RF_REDIS_URL"/"$TLS_URL"}" -G "g10-$SUM" 2>"$W/sink-tls.err"
check_eq "a sink writes to Redis over TLS (rediss://, exit 0)" "$?" 0
check_eq "  every unicorn is in database 1" "$(tcli -n 1 SCARD unicorns)" 26
BULK=$(uniq_topic bulk)
python3 "$RF_ROOT/tests/lib/make_summaries.py" 3000 20 >"$W/bulk.tsv"
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$BULK" -p 3 --input /dev/null 2>/dev/null
kcat -P -b "$RF_BROKERS" -t "$BULK" -K $'\t' <"$W/bulk.tsv"
timeout 120 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$BULK" --to "${TLS_URL/\/1\?//2?}" --exit-at-end --status-interval 1h \
    -G "g-$BULK" 2>"$W/sink-bulk.err"
check_eq "  60,000 summaries in large pipelined batches through TLS (exit 0)" "$?" 0
check_eq "  all 3000 unicorns arrived" "$(tcli -n 2 SCARD unicorns)" 3000
timeout 5 "$RF_BIN/sink" "${S[@]/#"$RF_REDIS_URL"/rediss://127.0.0.1:$TLS_PORT/1}" -G "g11-$SUM" --shutdown-timeout 1s 2>"$W/sink-untrusted.err"
check_match "a server certificate the system's CAs do not know: refused, saying why" "$(cat "$W/sink-untrusted.err")" \
    "Redis rediss://127.0.0.1:$TLS_PORT/1: TLS handshake with 127.0.0.1:$TLS_PORT failed: the server's certificate is not trusted: (self.signed|unable to get local issuer)"
timeout 5 "$RF_BIN/sink" "${S[@]/#"$RF_REDIS_URL"/"rediss://localhost:$TLS_PORT/1?cacert=$W/ca.pem&cert=$W/client.pem&key=$W/client.key"}" \
    -G "g12-$SUM" --shutdown-timeout 1s 2>"$W/sink-name.err"
check_match "a certificate for another name (localhost is not 127.0.0.1): refused" "$(cat "$W/sink-name.err")" \
    "the server's certificate is not trusted: [Hh]ostname mismatch"
check_exit "an unknown rediss:// option is a usage error (exit 2)" 2 "$RF_BIN/sink" -t x --to 'rediss://cache:6380?verify=no'
# 8. S3 with a wrong secret: the archive sink says which endpoint refused and
# why, and keeps retrying (consumption paused) instead of losing anything.
AWS_SECRET_ACCESS_KEY=not-the-secret timeout 8 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$RAW" --to "s3://rydeflow/t18bad-$$" \
    --endpoint "$RF_S3_ENDPOINT" -G "g-bad-$RAW" --batch-seconds 1s --status-interval 1h --shutdown-timeout 1s 2>"$W/s3bad.err"
check_match "a wrong S3 secret: the sink names the endpoint and the 403" "$(cat "$W/s3bad.err")" \
    "at $RF_S3_ENDPOINT: HTTP 403 SignatureDoesNotMatch \\(check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
check_match "  and retries, writing nothing" "$(cat "$W/s3bad.err")" "retrying"
check_match "  nothing was written under that prefix" \
    "$("$RF_BIN/sql" --archive "s3://rydeflow/t18bad-$$" --endpoint "$RF_S3_ENDPOINT" "SELECT COUNT(*) FROM \"$RAW\"" 2>&1)" \
    "no objects under s3://rydeflow/t18bad-$$/"
check_exit "no --to is a usage error (exit 2)" 2 "$RF_BIN/sink" -b "$RF_BROKERS"
check_exit "an unknown destination is a usage error (exit 2)" 2 "$RF_BIN/sink" --to ftp://x
check_exit "a bad table name is a usage error (exit 2)" 2 timeout 20 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$SUM" --to "$RF_PG_URL?table=x;drop" --exit-at-end
finish
