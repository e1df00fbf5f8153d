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
node_checks 180 ws_protocol.js "127.0.0.1:$PORT" s3cret
# A unicorn's recent minutes come from the sink's Redis when given.
redis-cli -p "${RF_REDIS_URL##*:}" ZADD "unicorn:Shadowfax:minutes" 1795849200000 \
    '{"Name":"Shadowfax","StatusTime":"2026-11-22 07:00:00.000","Distance":1797.4}' >/dev/null
check_match "/api/unicorn reads the minutes from Redis" \
    "$(curl -s -H 'Authorization: Bearer s3cret' "http://127.0.0.1:$PORT/api/unicorn?name=Shadowfax")" \
    '"minutes":\[\{"Name":"Shadowfax","StatusTime":"2026-11-22 07:00:00.000","Distance":1797.4\}\],"source":"redis"'
check_match "  with the latest report from the live feed" \
    "$(curl -s -b rydeflow_token=s3cret "http://127.0.0.1:$PORT/api/unicorn?name=Shadowfax")" '"latest":\{"name":"Shadowfax"'
check_match "an unknown unicorn is a 404" "$(curl -s -o /dev/null -w '%{http_code}' -b rydeflow_token=s3cret "http://127.0.0.1:$PORT/api/unicorn?name=Nobody")" "^404$"
check_match "it printed its URL, with the token after # (never sent to a server)" "$(cat "$W/dash.err")" "dashboard: http://127.0.0.1:$PORT/#token=s3cret"
kill -TERM "$dash"; wait "$dash"
check_eq "SIGTERM stops it with exit 0" "$?" 0

# Ad-hoc queries: a cap on how many run at once (HTTP 429 past it), and a
# query's process inherits none of the server's sockets. A stand-in for
# bin/sql beside a copy of the dashboard lists its descriptors and lingers.
mkdir -p "$W/bin" "$W/archive/t"
cp "$RF_BIN/dashboard" "$W/bin/dashboard"
cat >"$W/bin/sql" <<'EOF2'
#!/usr/bin/env bash
ls -l /proc/$$/fd >"$FDLOG.$$"
echo '{"n":1}'
sleep 2
EOF2
chmod +x "$W/bin/sql"
PORT2=$(_rf_free_port)
FDLOG="$W/fds" "$W/bin/dashboard" -b "$RF_BROKERS" -t "$T" --summary-topic "$T-summary" --listen "127.0.0.1:$PORT2" \
    --archive "$W/archive" --max-queries 2 2>"$W/dash2.err" &
dash2=$!
on_exit "kill $prod $dash $dash2 2>/dev/null"
wait_for 20 "the second dashboard" curl -sf "http://127.0.0.1:$PORT2/"
for i in 1 2 3 4 5 6; do
    curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT2/api/query?q=SELECT+COUNT(*)+FROM+t" >"$W/code.$i" &
done
wait_for 20 "six answers" bash -c "cat $W/code.* 2>/dev/null | wc -l | grep -qx 6"
codes=$(cat "$W"/code.* | sort | uniq -c | tr -s ' ' | tr '\n' ';')
check_match "six queries at once with --max-queries 2: two run" "$codes" "^ ?2 200; ?4 429;$"
check "  a query's process holds no socket of the server's" bash -c "! grep -q 'socket:' $W/fds.*"
check "  (it listed its descriptors)" bash -c "grep -q ' 1 -> ' $W/fds.*"
kill -TERM "$dash2"; wait "$dash2"

# Memory: a unicorn not heard of for --forget-after is forgotten, and the
# clients are told ("gone"), so names that come and go never pile up.
T3=$(uniq_topic forget)
PORT3=$(_rf_free_port)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T3" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T3-summary" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/dashboard" -b "$RF_BROKERS" -t "$T3" --summary-topic "$T3-summary" --listen "127.0.0.1:$PORT3" \
    --forget-after 3s 2>"$W/dash3.err" &
dash3=$!
on_exit "kill $prod $dash $dash2 $dash3 2>/dev/null"
wait_for 20 "the third dashboard" curl -sf "http://127.0.0.1:$PORT3/"
node -e '
const WebSocket = require("ws");
const ws = new WebSocket(process.argv[1]);
const gone = new Set();
ws.on("message", (d) => { const m = JSON.parse(d); (m.gone || []).forEach((n) => gone.add(n));
  if (gone.size >= 7) { console.log("gone " + gone.size); process.exit(0); } });
setTimeout(() => { console.log("gone " + gone.size); process.exit(1); }, 30000);' "ws://127.0.0.1:$PORT3/ws" >"$W/gone.out" 2>&1 &
watcher=$!
sleep 1 # the watcher connects before the burst
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T3" -n 7 -c 70 --start-time 2026-11-22 2>/dev/null
wait_for 20 "seven unicorns on the map" bash -c "curl -s http://127.0.0.1:$PORT3/api/fleet | grep -o '\"name\"' | wc -l | grep -qx 7"
check_eq "the dashboard shows the burst's seven unicorns" "$(curl -s "http://127.0.0.1:$PORT3/api/fleet" | grep -o '"name"' | wc -l)" 7
wait_for 20 "them to be forgotten" bash -c "curl -s http://127.0.0.1:$PORT3/api/fleet | grep -qx '\[\]'"
check_eq "  silent for --forget-after, they are forgotten" "$(curl -s "http://127.0.0.1:$PORT3/api/fleet")" "[]"
wait "$watcher"
check_eq "  and a client is told they are gone" "$(cat "$W/gone.out")" "gone 7"
kill -TERM "$dash3"; wait "$dash3"
# A big fleet's snapshot is not a client falling behind: 60,000 unicorns
# (about 10 MB of JSON, more than the 4 MiB a client may have unsent) reach a
# client that takes plain frames and reads nothing for its first 1.5 s, and
# it stays connected.
T4=$(uniq_topic big)
PORT4=$(_rf_free_port)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T4" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T4-summary" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/dashboard" -b "$RF_BROKERS" -t "$T4" --summary-topic "$T4-summary" --listen "127.0.0.1:$PORT4" 2>"$W/dash4.err" &
dash4=$!
on_exit "kill $prod $dash $dash2 $dash3 $dash4 2>/dev/null"
wait_for 20 "the fourth dashboard" curl -sf "http://127.0.0.1:$PORT4/"
sleep 1 # it reads from the end: it has the partitions before the burst
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T4" -n 60000 -c 60000 --start-time 2026-11-22 2>/dev/null
wait_for 30 "60,000 unicorns on the map" bash -c "curl -s http://127.0.0.1:$PORT4/api/fleet | grep -o '\"name\"' | wc -l | grep -qx 60000"
node -e '
const WebSocket = require("ws");
const ws = new WebSocket(process.argv[1], {perMessageDeflate: false, maxPayload: 64 << 20});
let got = -1, bytes = 0;
ws.on("upgrade", () => setImmediate(() => { ws._socket.pause(); setTimeout(() => ws._socket.resume(), 1500); }));
ws.on("message", (d) => { const m = JSON.parse(d); if (m.type === "snapshot") { got = m.unicorns.length; bytes = d.length; } });
ws.on("close", (code) => { console.log(`snapshot ${got} closed ${code}`); process.exit(0); });
setTimeout(() => { console.log(`snapshot ${got} open (${bytes} bytes)`); process.exit(0); }, 5000);' "ws://127.0.0.1:$PORT4/ws" >"$W/big.out" 2>&1
check_match "a slow client gets a 60,000-unicorn snapshot whole and stays connected" "$(cat "$W/big.out")" "^snapshot 60000 open \([0-9]{7,} bytes\)$"
kill -TERM "$dash4"; wait "$dash4"
check_exit "a bad --listen is a usage error" 2 "$RF_BIN/dashboard" -b "$RF_BROKERS" --listen nowhere
finish
