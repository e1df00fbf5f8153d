# env.sh - a private test environment: Kafka (or the dev broker), Redis,
# PostgreSQL 15 and an S3 server on free loopback ports in a temporary
# directory. Source it, then ask for what the test needs:
#
#   source tests/lib/env.sh
#   env_need kafka redis        # or: devbroker, postgres, s3, kafka3 (three nodes)
#
# Each service is started once, waited for until it answers, and exported:
#   RF_BROKERS            Kafka bootstrap list (kafka)
#   RF_KAFKA3_BROKERS     three-node cluster (kafka3); RF_KAFKA3_DIR/nodes lists "id pid host:port";
#                         kafka3_node ID kill|stop|start|pause|resume acts on one node
#   RF_DEVBROKER          dev broker bootstrap list (devbroker)
#   RF_DEVBROKER_CTL      write commands here (a FIFO); answers go to $RF_DEVBROKER_OUT
#                         (or use devbroker_cmd "down 1"); RF_DEVBROKER_PID is its pid
#   RF_REDIS_URL          redis://127.0.0.1:PORT (redis)
#   RF_PG_URL             postgresql://postgres@127.0.0.1:PORT/rydeflow (postgres)
#   RF_S3_ENDPOINT        http://127.0.0.1:PORT, bucket "rydeflow" created (s3): SeaweedFS, which
#                         checks SigV4 signatures; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
#                         AWS_REGION are exported for it; s3_curl signs curl requests,
#                         s3_put FILE KEY uploads;
#                         s3_stop / s3_start stop it and start it again
# A service already exported by the caller (tests/run.sh starts one shared
# set for the whole suite) is reused, not started again. Everything this file
# started is stopped on exit, failure or Ctrl-C; logs stay in $RF_ENV_DIR when
# RF_KEEP_LOGS=1 or the shell exits non-zero.

RF_ROOT=${RF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RF_BIN=${RF_BIN:-$RF_ROOT/bin}
export RF_ROOT RF_BIN
_rf_pids=()

_rf_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# test_workdir VAR: a scratch directory for the test, removed with the
# environment (kept with the logs when the test fails). Never use `trap ...
# EXIT` in a test: register clean-up with on_exit instead.
test_workdir() {
    _rf_env_dir
    mkdir -p "$RF_ENV_DIR/work"
    printf -v "$1" '%s' "$RF_ENV_DIR/work"
}

# on_exit "COMMAND": run COMMAND when the test exits, before the services stop.
_rf_on_exit=()
on_exit() { _rf_env_dir; _rf_on_exit+=("$1"); }

_rf_env_dir() {
    if [ -z "${_rf_own_dir:-}" ]; then
        _rf_own_dir=$(mktemp -d /tmp/rydeflow-env.XXXXXX)
        chmod 755 "$_rf_own_dir"
        RF_ENV_DIR=$_rf_own_dir
        export RF_ENV_DIR
        trap '_rf_env_exit $?' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
}

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND until it succeeds.
wait_for() {
    local secs=$1 what=$2; shift 2
    local deadline=$(( $(date +%s) + secs ))
    until "$@" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "env: $what did not come up within ${secs}s" >&2
            return 1
        fi
        sleep 0.05
    done
}

# _rf_start_kafka NODES VAR: start a cluster and set VAR to its bootstrap list.
_rf_start_kafka() {
    local nodes=$1 out="$RF_ENV_DIR/kafka$1.out" dir="$RF_ENV_DIR/kafka$1"
    "$RF_ROOT/scripts/kafka.sh" --nodes "$nodes" --dir "$dir" >"$out" 2>"$RF_ENV_DIR/kafka$nodes.err" &
    _rf_pids+=($!)
    wait_for 120 "Kafka ($nodes node(s))" grep -q . "$out" || { cat "$RF_ENV_DIR/kafka$nodes.err" >&2; return 1; }
    printf -v "$2" '%s' "$(head -1 "$out")"
    export "${2?}"
}

_rf_start_devbroker() {
    local fifo="$RF_ENV_DIR/devbroker.ctl" out="$RF_ENV_DIR/devbroker.out"
    mkfifo "$fifo"
    "$RF_BIN/devbroker" --brokers "${RF_DEVBROKER_NODES:-3}" <"$fifo" >"$out" 2>"$RF_ENV_DIR/devbroker.err" &
    _rf_pids+=($!)
    RF_DEVBROKER_PID=$!
    exec {_rf_ctl_fd}>"$fifo" # hold the FIFO open so the broker never sees EOF
    wait_for 10 "devbroker" grep -q . "$out" || return 1
    RF_DEVBROKER=$(head -1 "$out")
    RF_DEVBROKER_CTL=$fifo
    RF_DEVBROKER_OUT=$out
    export RF_DEVBROKER RF_DEVBROKER_CTL RF_DEVBROKER_OUT RF_DEVBROKER_PID
}

_rf_start_redis() {
    local port; port=$(_rf_free_port)
    mkdir -p "$RF_ENV_DIR/redis"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$RF_ENV_DIR/redis" --save '' --appendonly no \
        --logfile "$RF_ENV_DIR/redis/redis.log" --daemonize no &
    _rf_pids+=($!)
    wait_for 20 "redis" redis-cli -p "$port" ping || return 1
    RF_REDIS_URL="redis://127.0.0.1:$port"
    export RF_REDIS_URL
}

_rf_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

_rf_start_postgres() {
    local port pgbin=/usr/lib/postgresql/15/bin dir="$RF_ENV_DIR/pg"
    port=$(_rf_free_port)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    _rf_as_pg "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$RF_ENV_DIR/pg-initdb.log" 2>&1 \
        || { cat "$RF_ENV_DIR/pg-initdb.log" >&2; return 1; }
    _rf_as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null \
        || { cat "$dir/postgres.log" >&2; return 1; }
    _rf_pg_dir="$dir/data"
    wait_for 30 "postgres" pg_isready -h 127.0.0.1 -p "$port" || return 1
    psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE rydeflow" >/dev/null || return 1
    RF_PG_URL="postgresql://postgres@127.0.0.1:$port/rydeflow"
    export RF_PG_URL
}

# The S3 server: SeaweedFS (var/seaweedfs/weed, built by scripts/setup.sh),
# which checks every request's SigV4 signature against one identity.
_rf_s3_cmd=()
_rf_start_s3() {
    local dir="$RF_ENV_DIR/s3" port p
    local weed="$RF_ROOT/var/seaweedfs/weed"
    [ -x "$weed" ] || { echo "env: $weed is missing (scripts/setup.sh builds it)" >&2; return 1; }
    mkdir -p "$dir/data"
    export AWS_ACCESS_KEY_ID=rydeflow AWS_SECRET_ACCESS_KEY=rydeflow-secret AWS_REGION=us-east-1
    printf '{"identities":[{"name":"rydeflow","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
        "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$dir/s3.json"
    port=$(_rf_free_port)
    _rf_s3_cmd=("$weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$port" -s3.config="$dir/s3.json"
                -bucket=rydeflow -webdav=false -admin.ui=false -admin.port.legacy=0 -s3.port.lance=0 -s3.port.iceberg=0
                -master.telemetry=false -master.volumeSizeLimitMB=64)
    for p in master.port master.port.grpc volume.port volume.port.grpc filer.port filer.port.grpc s3.port.grpc \
             admin.port admin.port.grpc; do
        _rf_s3_cmd+=("-$p=$(_rf_free_port)")
    done
    RF_S3_ENDPOINT="http://127.0.0.1:$port"
    export RF_S3_ENDPOINT
    s3_start
}

# s3_curl CURL_ARGS...: curl with the request signed (SigV4) as the test
# environment's S3 identity, e.g. s3_curl -sf -T file "$RF_S3_ENDPOINT/rydeflow/key".
s3_curl() {
    curl --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"
}

# s3_put FILE KEY: upload FILE to the bucket "rydeflow" as KEY, signed (the
# key percent-encoded: curl's SigV4 signs '=' and '+' in a path wrongly).
s3_put() {
    local path; path=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/-_.~"))' "$2")
    s3_curl -sf -T "$1" "$RF_S3_ENDPOINT/rydeflow/$path" >/dev/null
}

# s3_stop / s3_start: stop the S3 server, and start it again on the same
# ports and data (outage tests).
s3_stop() {
    [ -n "${RF_S3_PID:-}" ] && kill "$RF_S3_PID" 2>/dev/null && wait "$RF_S3_PID" 2>/dev/null
    RF_S3_PID=""
}
s3_start() {
    "${_rf_s3_cmd[@]}" >>"$RF_ENV_DIR/s3.log" 2>&1 &
    RF_S3_PID=$!
    _rf_pids+=($!)
    wait_for 60 "SeaweedFS (S3)" s3_curl -sf "$RF_S3_ENDPOINT/rydeflow" || { tail -20 "$RF_ENV_DIR/s3.log" >&2; return 1; }
}

env_need() {
    local s
    for s in "$@"; do
        case "$s" in
            kafka) [ -n "${RF_BROKERS:-}" ] || { _rf_env_dir; _rf_start_kafka 1 RF_BROKERS || return 1; } ;;
            kafka3) [ -n "${RF_KAFKA3_BROKERS:-}" ] || { _rf_env_dir; _rf_start_kafka 3 RF_KAFKA3_BROKERS || return 1;
                     RF_KAFKA3_DIR="$RF_ENV_DIR/kafka3"; export RF_KAFKA3_DIR; } ;;
            devbroker) [ -n "${RF_DEVBROKER:-}" ] || { _rf_env_dir; _rf_start_devbroker || return 1; } ;;
            redis) [ -n "${RF_REDIS_URL:-}" ] || { _rf_env_dir; _rf_start_redis || return 1; } ;;
            postgres) [ -n "${RF_PG_URL:-}" ] || { _rf_env_dir; _rf_start_postgres || return 1; } ;;
            s3) [ -n "${RF_S3_ENDPOINT:-}" ] || { _rf_env_dir; _rf_start_s3 || return 1; } ;;
            *) echo "env_need: unknown service '$s'" >&2; return 1 ;;
        esac
    done
}

# kafka3_node ID ACTION: kill, stop, start, pause or resume one node of the
# three-node cluster (scripts/kafka.sh node).
kafka3_node() { "$RF_ROOT/scripts/kafka.sh" node "$RF_KAFKA3_DIR" "$1" "$2"; }

# devbroker_cmd "COMMAND": send a fault-injection command, print the answer.
_rf_lines_above() { [ "$(wc -l <"$1")" -gt "$2" ]; }
devbroker_cmd() {
    local before; before=$(wc -l <"$RF_DEVBROKER_OUT")
    # A FIFO with no reader (the broker died) would block the open forever.
    timeout 5 bash -c 'echo "$1" >"$2"' _ "$1" "$RF_DEVBROKER_CTL" || { echo "env: devbroker is not reading commands" >&2; return 1; }
    wait_for 5 "devbroker answer" _rf_lines_above "$RF_DEVBROKER_OUT" "$before" || return 1
    tail -1 "$RF_DEVBROKER_OUT"
}

env_stop() {
    local pid
    if [ -n "${_rf_pg_dir:-}" ]; then
        _rf_as_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$_rf_pg_dir" -m immediate stop >/dev/null 2>&1 || true
        _rf_pg_dir=""
    fi
    for pid in "${_rf_pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
    for pid in "${_rf_pids[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null; done
    _rf_pids=()
}

_rf_env_exit() {
    local rc=$1 cmd
    # Clean-up runs to its end: a server killed here exits 143, and under a
    # caller's `set -e` (bench/run.sh) that status would end the trap and
    # become the caller's own (make's "Error 143").
    set +e
    for cmd in "${_rf_on_exit[@]:-}"; do [ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1; done
    env_stop
    if [ -n "${_rf_own_dir:-}" ]; then
        if [ "$rc" != 0 ] || [ "${RF_KEEP_LOGS:-0}" = 1 ]; then
            echo "env: logs kept in $_rf_own_dir" >&2
        else
            rm -rf "$_rf_own_dir"
        fi
    fi
}
