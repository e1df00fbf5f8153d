# Dockerfile - rydeflow's programs in one image (used by compose.yaml).
#
#   docker build -t rydeflow .
#   docker run --rm rydeflow producer --help
#
# Stage 1 builds with Debian 12's compilers and -dev packages (the same the
# project's scripts/setup.sh installs); stage 2 carries only the run-time
# libraries, the binaries, the shipped query file and the map's files.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential pkg-config librdkafka-dev libevent-dev libhiredis-dev libjansson-dev libpq-dev \
        libcurl4-openssl-dev libssl-dev zlib1g-dev libdeflate-dev libwslay-dev npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# Only leaflet (the map's library) is needed at run time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY . .
RUN make -j"$(nproc)" programs

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        librdkafka1 libevent-2.1-7 libevent-pthreads-2.1-7 libhiredis0.14 libjansson4 libpq5 libcurl4 \
        libssl3 zlib1g libdeflate0 libwslay1 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /opt/rydeflow rydeflow
WORKDIR /opt/rydeflow
COPY --from=build /src/bin/producer /src/bin/consumer /src/bin/processor /src/bin/sink /src/bin/sql \
                  /src/bin/dashboard bin/
COPY --from=build /src/processor/wildrydes.sql processor/
COPY --from=build /src/dashboard/static dashboard/static
COPY --from=build /src/node_modules/leaflet/dist node_modules/leaflet/dist
ENV PATH=/opt/rydeflow/bin:$PATH
USER rydeflow
CMD ["producer", "--help"]
