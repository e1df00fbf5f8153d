// ws_clients.js - in `make bench`: N WebSocket clients follow the dashboard
// for SECONDS (after 3 s of warm-up); for every unicorn update received, the
// delay from the report's production (its Kafka timestamp, "at") to its
// arrival, in a histogram of 1 ms buckets. Several of these run side by side
// (one Node process is not enough to read for 1,000 clients); bench/run.sh
// merges their output: {"open":N,"hist":{ms:count,...}}.
//   node ws_clients.js URL N SECONDS
'use strict';
const WebSocket = require('ws');
const [url, nArg, secsArg] = process.argv.slice(2);
const N = +nArg, secs = +secsArg;
const hist = {};
let open = 0, measuring = false;
for (let i = 0; i < N; i++) {
  const ws = new WebSocket(url);
  ws.on('open', () => { open++; });
  ws.on('message', (d) => {
    if (!measuring) return;
    const now = Date.now();
    const m = JSON.parse(d);
    if (m.type !== 'delta') return;
    for (const u of m.unicorns) {
      const ms = Math.max(0, Math.round(now - u.at));
      hist[ms] = (hist[ms] || 0) + 1;
    }
  });
  ws.on('error', () => {});
}
setTimeout(() => { measuring = true; }, 3000);
setTimeout(() => { console.log(JSON.stringify({open, hist})); process.exit(0); }, 3000 + secs * 1000);
