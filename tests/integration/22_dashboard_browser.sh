# 22_dashboard_browser: the page in headless Chromium while the fleet flies:
# markers appear and move, a click shows details, the fleet list sorts, an
# archive query returns rows and a chart, a bad query shows line:column.
# Then a fleet of 10,000 unicorns (RF_BIG_FLEET): every one reaches the page,
# which ends with the dashboard's positions exactly, and follows its viewport.
# Screenshots go to var/test-logs/ (dashboard.png, dashboard-query.png).
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
env_need kafka
test_workdir W
T=$(uniq_topic fleet)
PORT=$(_rf_free_port)
A="$W/archive"
"$RF_BIN/producer" --print -n 20 --start-time "2026-11-22 07:00:00" -d 30m 2>/dev/null |
    python3 "$RF_ROOT/tests/lib/make_archive.py" "$A" --by-event-hour
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T-summary" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T" -n 20 -d 90s --progress off 2>/dev/null &
prod=$!
# The tile server is unreachable on purpose: the page must fall back to its grid.
# With a token: the page is opened with the link the dashboard prints (#token=...).
RYDEFLOW_TOKEN=t0k3n "$RF_BIN/dashboard" -b "$RF_BROKERS" -t "$T" --summary-topic "$T-summary" --listen "127.0.0.1:$PORT" \
    --archive "$A" --tiles "http://127.0.0.1:1/{z}/{x}/{y}.png" 2>"$W/dash.err" &
dash=$!
on_exit "kill $prod $dash 2>/dev/null"
wait_for 20 "the dashboard" curl -sf "http://127.0.0.1:$PORT/"
mkdir -p "$RF_ROOT/var/test-logs"
SHOT="$RF_ROOT/var/test-logs/dashboard-$(basename "$RF_BIN" | tr / _)-$$.png"
node_checks 120 browser.js "http://127.0.0.1:$PORT/#token=t0k3n" "$SHOT"
check "the screenshot exists" test -s "$SHOT"
cp "$SHOT" "$RF_ROOT/var/test-logs/dashboard.png"
kill "$prod" "$dash" 2>/dev/null; wait "$dash" 2>/dev/null

# A big fleet: 10,000 unicorns, 30 reports each, at 20,000 reports/s.
BIG=${RF_BIG_FLEET:-10000}
T2=$(uniq_topic bigfleet)
PORT2=$(_rf_free_port)
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T2" -p 4 --input /dev/null 2>/dev/null
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T2-summary" -p 2 --input /dev/null 2>/dev/null
"$RF_BIN/dashboard" -b "$RF_BROKERS" -t "$T2" --summary-topic "$T2-summary" --listen "127.0.0.1:$PORT2" \
    --tiles "http://127.0.0.1:1/{z}/{x}/{y}.png" 2>"$W/dash2.err" &
dash2=$!
on_exit "kill $prod $dash $dash2 2>/dev/null"
wait_for 20 "the second dashboard" curl -sf "http://127.0.0.1:$PORT2/"
sleep 1 # its consumer reads from the end: it has the partitions before the burst
"$RF_BIN/producer" -b "$RF_BROKERS" -t "$T2" -n "$BIG" -r 20000 -c $((BIG * 30)) --progress off 2>"$W/prod2.err" &
prod2=$!
on_exit "kill $prod $dash $dash2 $prod2 2>/dev/null"
node_checks 240 browser_fleet.js "http://127.0.0.1:$PORT2/" "$BIG" "$RF_ROOT/var/test-logs/dashboard-fleet.png"
wait "$prod2"
check_eq "  the producer delivered the big fleet's reports" "$?" 0
kill -TERM "$dash2"; wait "$dash2"; dash2_rc=$?; sed "s/^/# /" "$W/dash2.err"
check_eq "  the dashboard stops with exit 0" "$dash2_rc" 0
finish
