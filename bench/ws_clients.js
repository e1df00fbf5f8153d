// ws_clients.js - in `make bench`: N WebSocket clients follow the dashboard
// for SECONDS; for every unicorn update received, the delay from the
// report's production (its Kafka timestamp, "at") to its arrival.
// Prints "<clients connected> <updates> <p50 ms> <p99 ms>".
//   node ws_clients.js URL N SECONDS
'use strict';
const WebSocket = require('ws');
const [url, nArg, secsArg] = process.argv.slice(2);
const N = +nArg, secs = +secsArg;
const delays = [];
let open = 0, measuring = false;
for (let i = 0; i < N; i++) {
  const ws = new WebSocket(url);
  ws.on('open', () => { open++; });
  ws.on('message', (d) => {
    const now = Date.now();
    if (!measuring) return;
    const m = JSON.parse(d);
    if (m.type === 'delta') for (const u of m.unicorns) delays.push(now - u.at);
  });
  ws.on('error', () => {});
}
setTimeout(() => { measuring = true; }, 3000);
setTimeout(() => {
  delays.sort((a, b) => a - b);
  const q = (p) => delays.length ? delays[Math.min(delays.length - 1, Math.floor(delays.length * p))] : NaN;
  console.log(open, delays.length, q(0.5), q(0.99));
  process.exit(0);
}, 3000 + secs * 1000);
