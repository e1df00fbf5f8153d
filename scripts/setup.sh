#!/usr/bin/env bash
# setup.sh - install what rydeflow's build, demo and tests need, when missing.
#
# Debian packages through apt-get (one `apt-get update` first, only when
# something is missing), npm packages from the committed package-lock.json,
# the Kafka broker jars from Maven Central (scripts/kafka.sh fetch), and the
# Python packages of scripts/requirements.txt into var/venv.
# Safe to run again: it does nothing when everything is present.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# Package name -> the file or command that shows it is installed.
DEBS=(
    "build-essential:/usr/bin/make"
    "pkg-config:/usr/bin/pkg-config"
    "librdkafka-dev:/usr/include/librdkafka/rdkafka_mock.h"
    "libevent-dev:/usr/include/event2/event.h"
    "libhiredis-dev:/usr/include/hiredis/hiredis.h"
    "libjansson-dev:/usr/include/jansson.h"
    "libpq-dev:/usr/include/postgresql/libpq-fe.h"
    "libcurl4-openssl-dev:/usr/include/x86_64-linux-gnu/curl/curl.h"
    "zlib1g-dev:/usr/include/zlib.h"
    "libwslay-dev:/usr/include/wslay/wslay.h"
    "libssl-dev:/usr/include/openssl/sha.h"
    "libdeflate-dev:/usr/include/libdeflate.h"
    "redis-server:/usr/bin/redis-server"
    "redis-tools:/usr/bin/redis-cli"
    "postgresql-15:/usr/lib/postgresql/15/bin/postgres"
    "postgresql-client-15:/usr/bin/psql"
    "kcat:/usr/bin/kcat"
    "curl:/usr/bin/curl"
    "python3:/usr/bin/python3"
    "ca-certificates:/etc/ssl/certs/ca-certificates.crt"
    "python3-venv:/usr/lib/python3.11/venv/scripts/common/activate"
    "procps:/usr/bin/pgrep"
    "clang:/usr/bin/clang"
    "libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
    "chromium:/usr/bin/chromium"
    "redis-tools:/usr/bin/redis-benchmark"
    "docker-compose:/usr/bin/docker-compose"
    "openssl:/usr/bin/openssl"
)
command -v java >/dev/null || DEBS+=("openjdk-17-jre-headless:/usr/bin/java")
command -v mvn >/dev/null || DEBS+=("maven:/usr/bin/mvn")
command -v node >/dev/null || DEBS+=("nodejs:/usr/bin/node")
command -v npm >/dev/null || DEBS+=("npm:/usr/bin/npm")

missing=()
for entry in "${DEBS[@]}"; do
    pkg=${entry%%:*}; probe=${entry#*:}
    [ -e "$probe" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts the packaged servers; the tests run their own private ones.
    for svc in redis-server postgresql; do
        command -v systemctl >/dev/null && $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
    done
fi

# npm packages (the map's Leaflet, a WebSocket client, the browser driver) from the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm packages from package-lock.json" >&2
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# Python peers for tests and benchmarks (DuckDB), pinned, in a private venv.
if [ ! -f var/venv/.complete ] || [ scripts/requirements.txt -nt var/venv/.complete ]; then
    echo "setup: installing Python packages from scripts/requirements.txt into var/venv" >&2
    python3 -m venv var/venv
    var/venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
    touch var/venv/.complete
fi

# SeaweedFS (Apache-2.0): the S3 server of the tests, which checks SigV4
# signatures. Built once per machine from the Go module proxy at a pinned
# version into var/seaweedfs (its module's replace directives rule out
# `go install pkg@version`, so its source is copied and built in place).
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
if [ "$(cat var/seaweedfs/.version 2>/dev/null)" != "$SEAWEEDFS_VERSION" ] || [ ! -x var/seaweedfs/weed ]; then
    command -v go >/dev/null || { echo "setup: go not found (Go 1.26 builds SeaweedFS for the S3 tests)" >&2; exit 1; }
    echo "setup: building SeaweedFS $SEAWEEDFS_VERSION from the Go module proxy into var/seaweedfs (once; minutes) ..." >&2
    export GOPATH="$ROOT/var/go" GOFLAGS=-mod=mod
    rm -rf var/seaweedfs && mkdir -p var/seaweedfs
    go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" >var/seaweedfs/download.json \
        || { echo "setup: cannot download SeaweedFS" >&2; exit 1; }
    src=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["Dir"])' var/seaweedfs/download.json)
    cp -r "$src" var/seaweedfs/src && chmod -R u+w var/seaweedfs/src
    (cd var/seaweedfs/src && go build -o ../weed ./weed) >var/seaweedfs/build.log 2>&1 \
        || { tail -20 var/seaweedfs/build.log >&2; echo "setup: building SeaweedFS failed" >&2; exit 1; }
    rm -rf var/seaweedfs/src
    go clean -modcache # 2 GB of sources, not needed once built
    echo "$SEAWEEDFS_VERSION" >var/seaweedfs/.version
fi

scripts/kafka.sh fetch
echo "setup: ready" >&2
