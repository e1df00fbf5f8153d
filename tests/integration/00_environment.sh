# 00_environment: the test environment itself. Each service starts on a free
# port, answers, and is gone after the environment is torn down.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"

# Start a private set in a child shell, report what it got, and exit.
out=$(bash -c '
    source "$RF_ROOT/tests/lib/env.sh"
    env_need redis postgres s3 devbroker || exit 1
    echo "redis $RF_REDIS_URL"
    echo "pg $RF_PG_URL"
    echo "s3 $RF_S3_ENDPOINT"
    echo "devbroker $RF_DEVBROKER"
    echo "dir $RF_ENV_DIR"
    redis-cli -u "$RF_REDIS_URL" ping
    psql "$RF_PG_URL" -tAc "SELECT version()" | cut -c1-13
    s3_curl -sf "$RF_S3_ENDPOINT/rydeflow" >/dev/null && echo "s3 bucket ok"
    "$RF_BIN/producer" -b "$RF_DEVBROKER" -t envcheck -c 3 --start-time 2026-11-22 2>/dev/null && echo "devbroker ok"
' 2>&1); rc=$?
check_eq "the environment comes up" "$rc" 0
check_match "Redis answers" "$out" $'\nPONG'
check_match "PostgreSQL 15 answers" "$out" "PostgreSQL 15"
check_match "the S3 server has the bucket" "$out" "s3 bucket ok"
check_match "the dev broker takes records" "$out" "devbroker ok"
redis_port=$(sed -nE 's/^redis redis:\/\/127.0.0.1:([0-9]+)$/\1/p' <<<"$out")
pg_port=$(sed -nE 's/^pg .*:([0-9]+)\/rydeflow$/\1/p' <<<"$out")
dir=$(sed -nE 's/^dir (.*)$/\1/p' <<<"$out")
check "Redis is gone after teardown" bash -c "! redis-cli -p $redis_port ping >/dev/null 2>&1"
check "PostgreSQL is gone after teardown" bash -c "! pg_isready -h 127.0.0.1 -p $pg_port >/dev/null 2>&1"
check "the temporary directory is removed" test ! -e "$dir"

# A failing test keeps its logs.
out=$(bash -c 'source "$RF_ROOT/tests/lib/env.sh"; env_need redis; echo "dir $RF_ENV_DIR"; exit 3' 2>&1)
dir=$(sed -nE 's/^dir (.*)$/\1/p' <<<"$out")
check "after a failure the logs are kept ($dir)" test -f "$dir/redis/redis.log"
check_match "... and it says where" "$out" "env: logs kept in $dir"
rm -rf "$dir"

# A caller under `set -e` (bench/run.sh) keeps its own exit status: the
# servers the clean-up kills (status 143) do not become it.
bash -c 'set -euo pipefail; source "$RF_ROOT/tests/lib/env.sh"; env_need redis; sleep 60 & _rf_pids+=($!); exit 0' >/dev/null 2>&1
check_eq "set -e caller: exit 0 after the clean-up" "$?" 0
finish
