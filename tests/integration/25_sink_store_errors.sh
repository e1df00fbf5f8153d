# 25_sink_store_errors: what a store says decides what the sink does. Redis
# rejecting one record's data (WRONGTYPE on a key someone else wrote) makes
# that record a dead letter and the rest go on, the unicorns after it
# included; PostgreSQL refusing the sink itself (permission denied) stops
# the sink with the reason and exit 1, within seconds, not a retry for ever;
# PostgreSQL refusing some rows of a batch makes exactly those dead letters.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka redis postgres
test_workdir W
SUM=$(uniq_topic summary)
REDIS_PORT=${RF_REDIS_URL##*:}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
python3 "$RF_ROOT/tests/lib/make_summaries.py" 6 5 >"$W/summaries.tsv"
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$SUM" -p 1 --input /dev/null 2>/dev/null
kcat -P -b "$RF_BROKERS" -t "$SUM" -K $'\t' <"$W/summaries.tsv"

# 1. Redis: a key of another type where a unicorn's minutes go.
rcli SET "unicorn:Unicorn-002:minutes" "not a sorted set" >/dev/null
timeout 60 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$SUM" --to "$RF_REDIS_URL" --deadletter-topic "$SUM-dead" \
    -G "g1-$SUM" --exit-at-end --status-interval 1h 2>"$W/redis.err"
check_eq "the sink goes through a record Redis rejects and exits 0" "$?" 0
check_eq "  the unicorns before and after it are written" "$(rcli SCARD unicorns)" 5
check_eq "  with every minute" "$(rcli ZCARD 'unicorn:Unicorn-005:minutes')" 5
check_eq "  the other key is left alone" "$(rcli GET 'unicorn:Unicorn-002:minutes')" "not a sorted set"
"$RF_BIN/consumer" -b "$RF_BROKERS" -t "$SUM-dead" 2>/dev/null >"$W/dead.jsonl"
check_eq "  the rejected records are dead letters, one per minute" "$(wc -l <"$W/dead.jsonl")" 5
check_match "  naming the destination and Redis's error" "$(head -1 "$W/dead.jsonl")" \
    '"program":"sink","stage":"destination","name":"redis","error":"Redis rejected the record: WRONGTYPE'
check "  never an outage" bash -c "! grep -q 'unavailable' '$W/redis.err'"

# 2. PostgreSQL: a role that may create tables but not write into ours.
TABLE="t25_$$"
psql "$RF_PG_URL" -qc "CREATE ROLE rf25_$$ LOGIN; GRANT CREATE ON SCHEMA public TO rf25_$$;
    CREATE TABLE $TABLE (name text NOT NULL, status_time timestamptz NOT NULL, distance double precision,
      min_magic_points integer, max_magic_points integer, min_health_points integer, max_health_points integer,
      PRIMARY KEY (name, status_time))" >/dev/null
LIMITED=$(sed "s|://postgres@|://rf25_$$@|" <<<"$RF_PG_URL")
start=$(date +%s)
timeout 60 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$SUM" --to "$LIMITED?table=$TABLE" --deadletter-topic "$SUM-dead" \
    -G "g2-$SUM" --status-interval 1h 2>"$W/pg.err"
rc=$?
check_eq "permission denied stops the sink with exit 1" "$rc" 1
check "  within seconds" test $(( $(date +%s) - start )) -lt 30
check_match "  saying why" "$(tail -1 "$W/pg.err")" 'postgresql: .*permission denied for table t25_'
check_eq "  nothing was written" "$(psql "$RF_PG_URL" -Atqc "SELECT COUNT(*) FROM $TABLE")" 0
check_eq "  and nothing committed: a restart with the grant writes it all" \
    "$(psql "$RF_PG_URL" -qc "GRANT ALL ON $TABLE TO rf25_$$" >/dev/null;
       timeout 60 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$SUM" --to "$LIMITED?table=$TABLE" --deadletter-topic "$SUM-dead" \
           -G "g2-$SUM" --exit-at-end --status-interval 1h 2>/dev/null;
       psql "$RF_PG_URL" -Atqc "SELECT COUNT(*) FROM $TABLE")" 30

# 3. Rows PostgreSQL rejects, scattered through one batch of 1,005: the
# batch is written again with exactly those isolated (by bisection).
BAD=$(uniq_topic bad)
{ python3 "$RF_ROOT/tests/lib/make_summaries.py" 50 20
  for i in 1 2 3 4 5; do
      printf 'Bad-%d\t{"Name":"Bad-%d","StatusTime":"2026-11-22 07:0%d:00.000","Distance":1.0,"MinMagicPoints":99999999999,"MaxMagicPoints":1,"MinHealthPoints":1,"MaxHealthPoints":1}\n' "$i" "$i" "$i"
  done; } | python3 -c 'import random, sys; l = sys.stdin.readlines(); random.Random(25).shuffle(l); sys.stdout.writelines(l)' \
    >"$W/bad.tsv"
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$BAD" -p 1 --input /dev/null 2>/dev/null
kcat -P -b "$RF_BROKERS" -t "$BAD" -K $'\t' <"$W/bad.tsv"
timeout 60 "$RF_BIN/sink" -b "$RF_BROKERS" -t "$BAD" --to "$RF_PG_URL?table=t25b_$$" --deadletter-topic "$BAD-dead" \
    -G "g3-$BAD" --max-records 5000 --linger 2s --exit-at-end --status-interval 1h 2>"$W/bad.err"
check_eq "a batch with five rows PostgreSQL rejects is written (exit 0)" "$?" 0
check_eq "  every other row is in the table" "$(psql "$RF_PG_URL" -Atqc "SELECT COUNT(*) FROM t25b_$$")" 1000
check_eq "  the five are dead letters, each once, with PostgreSQL's reason" \
    "$("$RF_BIN/consumer" -b "$RF_BROKERS" -t "$BAD-dead" 2>/dev/null | python3 -c '
import json, sys
d = [json.loads(l) for l in sys.stdin]
print(sorted(json.loads(x["payload"])["Name"] for x in d if "out of range" in x["error"]))')" \
    "['Bad-1', 'Bad-2', 'Bad-3', 'Bad-4', 'Bad-5']"
finish
