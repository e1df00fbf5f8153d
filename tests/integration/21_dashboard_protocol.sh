# 21_dashboard_protocol: the dashboard's WebSocket and HTTP, checked by a
# client that is not ours (npm ws, raw sockets): handshake, snapshot and
# deltas at --max-rate, masked and fragmented frames, ping/pong, close, an
# oversize frame, bad upgrades, the token, path traversal, header limits.
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka redis
test_workdir W
T=$(uniq_topic fleet)
PORT=$(_rf_free_port)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T-summary" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -n 10 -d 60s --progress off 2>/dev/null &
prod=$!
RYDEFLOW_TOKEN=s3cret "$RF_BIN/dashboard" -b "$RF_BROKERS" -t "$T" --summary-topic "$T-summary" \
    --listen "127.0.0.1:$PORT" --max-frame 65536 --redis "$RF_REDIS_URL" 2>"$W/dash.err" &
dash=$!
on_exit "kill $prod $dash 2>/dev/null"
wait_for 20 "the dashboard" curl -sf "http://127.0.0.1:$PORT/"
sleep 2
while IFS= read -r line; do
    case $line in
        "ok "*) check "${line#ok [0-9]* - }" true ;;
        "not ok "*) check "${line#not ok [0-9]* - }" false ;;
        *) echo "# $line" ;;
    esac
done < <(node "$RF_ROOT/tests/dashboard/ws_protocol.js" "127.0.0.1:$PORT" s3cret 2>&1)
# A unicorn's recent minutes come from the sink's Redis when given.
redis-cli -p "${RF_REDIS_URL##*:}" ZADD "unicorn:Shadowfax:minutes" 1795849200000 \
    '{"Name":"Shadowfax","StatusTime":"2026-11-22 07:00:00.000","Distance":1797.4}' >/dev/null
check_match "/api/unicorn reads the minutes from Redis" \
    "$(curl -s -H 'Authorization: Bearer s3cret' "http://127.0.0.1:$PORT/api/unicorn?name=Shadowfax")" \
    '"minutes":\[\{"Name":"Shadowfax","StatusTime":"2026-11-22 07:00:00.000","Distance":1797.4\}\],"source":"redis"'
check_match "  with the latest report from the live feed" \
    "$(curl -s "http://127.0.0.1:$PORT/api/unicorn?name=Shadowfax&token=s3cret")" '"latest":\{"name":"Shadowfax"'
check_match "an unknown unicorn is a 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/unicorn?name=Nobody&token=s3cret")" "^404$"
check_match "it printed its URL, with the token" "$(cat "$W/dash.err")" "dashboard: http://127.0.0.1:$PORT/\\?token=s3cret"
kill -TERM "$dash"; wait "$dash"
check_eq "SIGTERM stops it with exit 0" "$?" 0
check_exit "a bad --listen is a usage error" 2 "$RF_BIN/dashboard" -b "$RF_BROKERS" --listen nowhere
finish
