// broadcast.js - the dashboard's peer in `make bench`: a minimal live-map
// server in Node, as one would write it with `ws` and kafkajs. It follows the
// same positions topic from its end, keeps each unicorn's latest report, and
// every 1/RATE s sends every client one delta of the unicorns changed since
// the last tick, in the dashboard's format: the JSON is stringified once and
// turned into one Buffer, which `ws` frames for each client (the idiom of
// ws's broadcast example). A new client gets a snapshot first. A client with
// more than 256 KiB unsent is skipped for a tick and sent a snapshot once it
// has drained, as the dashboard does, so the two are held to the same rule.
// With "deflate" it takes permessage-deflate (ws compresses each message for
// each client that asked, as ws does; level 1, no context takeover).
//   node broadcast.js BROKERS TOPIC PORT [RATE [deflate]]
// Prints "listening" once it serves and has joined the topic.
'use strict';
const {WebSocketServer} = require('ws');
const {Kafka, logLevel} = require('kafkajs');
const [brokers, topic, port, rateArg, deflateArg] = process.argv.slice(2);
const RATE = +(rateArg || 10), SOFT = 256 * 1024;

const fleet = new Map(); // name -> unicorn
let changed = new Map(), seq = 0;
const two = (n) => String(n).padStart(2, '0');
const fmtTime = (ms) => { const d = new Date(ms); return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
  `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`; };

const perMessageDeflate = deflateArg === 'deflate'
  ? {threshold: 512, serverNoContextTakeover: true, clientNoContextTakeover: true, zlibDeflateOptions: {level: 1}} : false;
const wss = new WebSocketServer({host: '127.0.0.1', port: +port, perMessageDeflate});
const snapshot = () => Buffer.from(JSON.stringify({type: 'snapshot', seq, unicorns: [...fleet.values()]}));
const TEXT = {binary: false}; // a Buffer would go out as a binary frame
wss.on('connection', (ws) => { ws.inStep = true; ws.send(snapshot(), TEXT); ws.on('error', () => {}); });

setInterval(() => {
  let delta = null, snap = null;
  if (changed.size) {
    seq++;
    delta = Buffer.from(JSON.stringify({type: 'delta', seq, unicorns: [...changed.values()]}));
    changed = new Map();
  }
  for (const ws of wss.clients) {
    if (ws.bufferedAmount > SOFT) { ws.inStep = false; continue; }
    if (!ws.inStep) { snap = snap || snapshot(); ws.send(snap, TEXT); ws.inStep = true; } else if (delta) ws.send(delta, TEXT);
  }
}, 1000 / RATE);

(async () => {
  const kafka = new Kafka({clientId: 'ws-peer', brokers: brokers.split(','), logLevel: logLevel.NOTHING});
  const consumer = kafka.consumer({groupId: `ws-peer-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 50});
  await consumer.connect();
  await consumer.subscribe({topic, fromBeginning: false});
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => { if (!joined) { joined = true; console.log('listening'); } });
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({batch}) => {
      for (const m of batch.messages) {
        let e;
        try { e = JSON.parse(m.value); } catch (err) { continue; }
        const t = Date.parse(e.StatusTime.replace(' ', 'T') + 'Z');
        const u = {name: e.Name, time: fmtTime(t), lat: e.Latitude, lon: e.Longitude, distance: e.Distance,
                   health: e.HealthPoints, magic: e.MagicPoints, at: +m.timestamp};
        fleet.set(e.Name, u);
        changed.set(e.Name, u);
      }
    },
  });
})().catch((e) => { console.error(`ws peer: ${e.message}`); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
