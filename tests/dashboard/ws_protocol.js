// ws_protocol.js - the dashboard's WebSocket, checked with a client that is
// not ours (npm `ws`) and with raw sockets: handshake, snapshot, masked and
// fragmented frames, ping/pong, the close handshake, an oversize frame, bad
// upgrades and the token. Prints "ok N - what" / "not ok N - what".
//   node ws_protocol.js HOST:PORT TOKEN
'use strict';
const WebSocket = require('ws');
const net = require('net');
const [hostport, token] = process.argv.slice(2);
const [host, port] = hostport.split(':');
const {check, done, abort} = require('./harness').checker('ws_protocol');
const url = `ws://${hostport}/ws`;

function raw(request) { // send bytes, collect the answer until the server closes
  return new Promise((resolve) => {
    const s = net.connect(+port, host, () => s.write(request));
    let data = '';
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('close', () => resolve(data));
    s.on('error', () => resolve(data));
    setTimeout(() => s.destroy(), 3000);
  });
}

function open(u, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(u, {maxPayload: 64 << 20, headers: {Cookie: `rydeflow_token=${encodeURIComponent(token)}`}, ...opts});
    const msgs = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
    ws.on('open', () => resolve({ws, msgs}));
    ws.on('unexpected-response', (req, res) => reject(new Error('HTTP ' + res.statusCode)));
    ws.on('error', reject);
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const closed = (ws) => new Promise((resolve) => ws.on('close', (code, reason) => resolve({code, reason: reason.toString()})));

(async () => {
  // 1. Handshake, snapshot, deltas, health.
  const {ws, msgs} = await open(url);
  check(true, 'the handshake succeeds (Sec-WebSocket-Accept checked by ws)');
  await sleep(2500);
  check(msgs.length > 0 && msgs[0].type === 'snapshot', 'the first message is a snapshot');
  check(msgs[0].unicorns && msgs[0].unicorns.length >= 5, `the snapshot holds the fleet (${msgs[0].unicorns.length})`);
  check(msgs.some((m) => m.type === 'delta'), 'deltas follow');
  check(msgs.some((m) => m.type === 'health' && typeof m.events_per_s === 'number'), 'health messages follow');
  const deltas = msgs.filter((m) => m.type === 'delta').length;
  check(deltas <= 2.5 * 10 + 2, `at most --max-rate (10/s) updates: ${deltas} in 2.5 s`);

  // 2. Masked, fragmented frames from the client are reassembled (ws masks every client frame).
  ws.send('{"type":"hel', {fin: false});
  ws.send('lo"}', {fin: true});
  await sleep(300);
  check(ws.readyState === WebSocket.OPEN, 'a fragmented, masked message is accepted');

  // 3. Ping gets a pong with the same payload.
  const pong = new Promise((resolve) => ws.once('pong', (d) => resolve(d.toString())));
  ws.ping('are-you-there');
  check(await Promise.race([pong, sleep(2000).then(() => 'timeout')]) === 'are-you-there', 'a ping is answered with its pong');

  // 4. The server pings too (keepalive).
  const serverPing = new Promise((resolve) => ws.once('ping', () => resolve(true)));
  check(await Promise.race([serverPing, sleep(2500).then(() => false)]), 'the server pings to keep the connection alive');

  // 5. The close handshake.
  const c1 = closed(ws);
  ws.close(1000, 'bye');
  const r1 = await c1;
  check(r1.code === 1000, `a close is answered (code ${r1.code})`);

  // 6. An oversize frame (> --max-frame) closes with 1009.
  const big = await open(url);
  const c2 = closed(big.ws);
  big.ws.send('x'.repeat(200000));
  const r2 = await Promise.race([c2, sleep(3000).then(() => ({code: 0}))]);
  check(r2.code === 1009, `an oversize message closes with 1009 (got ${r2.code})`);

  // 8. Subscriptions: a list of unicorns, a viewport, back to everything.
  const sub = await open(url);
  await sleep(1500);
  const fleet = sub.msgs.find((m) => m.type === 'snapshot').unicorns;
  const next = async (type, after) => { // the first message of a type after index `after`
    for (let t = 0; t < 40; t++) {
      const m = sub.msgs.slice(after).find((x) => x.type === type);
      if (m) return m;
      await sleep(100);
    }
    return null;
  };
  const two = fleet.slice(0, 2).map((u) => u.name);
  let mark = sub.msgs.length;
  sub.ws.send(JSON.stringify({subscribe: {names: [two[1], two[0], two[1]]}}));
  let snap = await next('snapshot', mark);
  check(snap && snap.unicorns.map((u) => u.name).sort().join() === [...two].sort().join(),
        `a names subscription is answered with a snapshot of those unicorns (${snap && snap.unicorns.length})`);
  mark = sub.msgs.length;
  await sleep(2000);
  let ds = sub.msgs.slice(mark).filter((m) => m.type === 'delta');
  let names = new Set(ds.flatMap((m) => m.unicorns.map((u) => u.name)));
  check(ds.length > 0 && [...names].every((x) => two.includes(x)), `  then deltas of those alone (${[...names].join(', ')})`);

  const lats = fleet.map((u) => u.lat).sort((a, b) => a - b);
  const box = [lats[0] - 1e-6, -180, lats[Math.floor(lats.length / 2)], 180]; // the southern half of the fleet
  const inBox = (u) => u.lat >= box[0] && u.lat <= box[2];
  mark = sub.msgs.length;
  sub.ws.send(JSON.stringify({subscribe: {bbox: box}}));
  snap = await next('snapshot', mark);
  check(snap && snap.unicorns.length > 0 && snap.unicorns.every(inBox),
        `a viewport subscription gets a snapshot of the unicorns inside it (${snap && snap.unicorns.length} of ${fleet.length})`);
  const known = new Map(snap ? snap.unicorns.map((u) => [u.name, u]) : []);
  mark = sub.msgs.length;
  await sleep(2500);
  ds = sub.msgs.slice(mark).filter((m) => m.type === 'delta');
  let stray = 0; // a delta's unicorn is inside the box, or was (it is told it left)
  for (const m of ds) for (const u of m.unicorns) {
    const before = known.get(u.name);
    if (!inBox(u) && !(before && inBox(before))) stray++;
    known.set(u.name, u);
  }
  check(ds.length > 0 && stray === 0, `  then only unicorns inside it or leaving it (${ds.length} deltas, ${stray} others)`);

  // The viewport can be given with the upgrade: the first snapshot is already of it.
  const direct = await open(`${url}?bbox=${box.join(',')}`);
  await sleep(800);
  check(direct.msgs.length > 0 && direct.msgs[0].type === 'snapshot' && direct.msgs[0].unicorns.length > 0 &&
        direct.msgs[0].unicorns.every(inBox) && direct.msgs[0].unicorns.length < fleet.length,
        `/ws?bbox= starts with a snapshot of the box alone (${direct.msgs[0] && direct.msgs[0].unicorns.length})`);
  direct.ws.close();
  const refused = await raw(`GET /ws?bbox=50,0,40,10 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\n` +
    'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  check(/^HTTP\/1.1 400/.test(refused) && /south <= north/.test(refused), 'a wrong ?bbox= is refused with 400 and the reason');
  const refused2 = await raw(`GET /ws?bbox=1,2,3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\n` +
    'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  check(/^HTTP\/1.1 400/.test(refused2) && /south,west,north,east/.test(refused2), '  as is one with three numbers');

  mark = sub.msgs.length;
  sub.ws.send('{"subscribe":{"bbox":[50,0,40,10]}}');
  const err = await next('error', mark);
  check(err && /south <= north/.test(err.error) && sub.ws.readyState === WebSocket.OPEN,
        `a wrong subscription gets an error and the connection stays (${err && err.error})`);
  sub.ws.send('{"subscribe":{"bbox":"everything"}}');
  await sleep(300);
  check(sub.ws.readyState === WebSocket.OPEN, '  and again');
  mark = sub.msgs.length;
  sub.ws.send('{"subscribe":"all"}');
  snap = await next('snapshot', mark);
  check(snap && snap.unicorns.length === fleet.length, `"all" follows the whole fleet again (${snap && snap.unicorns.length})`);

  // 9. Clients that follow the same thing are sent the same frame (built once).
  const other = await open(url);
  await sleep(1500);
  const bySeq = (msgs) => new Map(msgs.filter((m) => m.type === 'delta').map((m) => [m.seq, JSON.stringify(m)]));
  const a = bySeq(sub.msgs), b = bySeq(other.msgs);
  const common = [...b.keys()].filter((k) => a.has(k));
  check(common.length > 0 && common.every((k) => a.get(k) === b.get(k)),
        `two clients following everything get identical deltas (${common.length} compared)`);
  sub.ws.close();
  other.ws.close();

  // 10. permessage-deflate: frames compressed once for every client that asks.
  const z = await open(url); // ws offers permessage-deflate by default
  const plain = await open(url, {perMessageDeflate: false});
  await sleep(1500);
  check(/permessage-deflate/.test(z.ws.extensions), `a client that offers permessage-deflate gets it (${z.ws.extensions})`);
  check(z.msgs.length > 3 && z.msgs[0].type === 'snapshot' && z.msgs.some((m) => m.type === 'delta'),
        `  and its compressed snapshot and deltas read as JSON (${z.msgs.length} messages)`);
  check(plain.ws.extensions === '' && plain.msgs.some((m) => m.type === 'delta'), 'a client that does not, gets plain frames');
  const zd = new Map(z.msgs.filter((m) => m.type === 'delta').map((m) => [m.seq, JSON.stringify(m)]));
  const pd = plain.msgs.filter((m) => m.type === 'delta' && zd.has(m.seq));
  check(pd.length > 0 && pd.every((m) => zd.get(m.seq) === JSON.stringify(m)), `  with the same deltas (${pd.length} compared)`);
  const many = Array.from({length: 150}, (_, i) => `Unicorn number ${i}`).concat(fleet.slice(0, 3).map((u) => u.name));
  mark = z.msgs.length;
  z.ws.send(JSON.stringify({subscribe: {names: many}})); // over 1 KiB: ws sends it compressed
  const zsnap = await (async () => { for (let t = 0; t < 30; t++) { const m = z.msgs.slice(mark).find((x) => x.type === 'snapshot'); if (m) return m; await sleep(100); } return null; })();
  check(zsnap && zsnap.unicorns.length === 3, `a compressed subscription from the client is read (${zsnap && zsnap.unicorns.length} of its names known)`);
  z.ws.close();
  plain.ws.close();
  const upgrade = (ext) => `GET /ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${ext}\r\n`;
  let rawz = await raw(upgrade('Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n'));
  const body = Buffer.from(rawz.slice(rawz.indexOf('\r\n\r\n') + 4), 'latin1');
  check(/Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover/.test(rawz),
        'the answer takes it without context takeover on either side');
  check(body.length > 2 && body[0] === 0xc1, `  and the snapshot frame has RSV1 set (first byte 0x${body[0].toString(16)})`);
  rawz = await raw(upgrade('Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n'));
  check(/^HTTP\/1.1 101/.test(rawz) && !/Sec-WebSocket-Extensions/.test(rawz),
        'an offer that limits the server\'s window is declined: plain frames');
  // A compressed frame that is not deflate data closes with 1007.
  const bad = await new Promise((resolve) => {
    const sock = net.connect(+port, host, () => sock.write(upgrade('Sec-WebSocket-Extensions: permessage-deflate\r\n')));
    let data = Buffer.alloc(0), sent = false;
    sock.on('data', (d) => {
      data = Buffer.concat([data, d]);
      if (!sent && data.indexOf('\r\n\r\n') >= 0) {
        sent = true; // FIN|RSV1|text, masked (key 0), 4 bytes that are not deflate data
        sock.write(Buffer.from([0xc1, 0x84, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
      }
    });
    sock.on('close', () => resolve(data));
    setTimeout(() => sock.destroy(), 3000);
  });
  const ci = bad.lastIndexOf(Buffer.from([0x88]));
  const code = ci >= 0 && bad.length >= ci + 4 ? bad.readUInt16BE(ci + 2) : 0;
  check(code === 1007, `a compressed message that does not inflate closes with 1007 (got ${code})`);

  // 7. Bad upgrades and the token.
  let answer = await raw(`GET /ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
  check(/^HTTP\/1.1 400/.test(answer), 'an upgrade without Sec-WebSocket-Key is refused with 400');
  answer = await raw(`GET /ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                     'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n');
  check(/^HTTP\/1.1 426/.test(answer) && /Sec-WebSocket-Version: 13/.test(answer), 'a wrong version gets 426 naming 13');
  answer = await raw('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                     'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  check(/^HTTP\/1.1 401/.test(answer), 'an upgrade without the token gets 401');
  answer = await raw('GET /api/fleet HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n\r\n');
  check(/^HTTP\/1.1 401/.test(answer), 'an API call with a wrong token gets 401');
  answer = await raw(`GET /api/fleet HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  check(/^HTTP\/1.1 200/.test(answer) && /"name":/.test(answer), 'an API call with the token gets the fleet');
  answer = await raw(`GET /api/fleet?token=${token} HTTP/1.1\r\nHost: x\r\n\r\n`);
  check(/^HTTP\/1.1 401/.test(answer) && /never in the URL/.test(answer), 'a token in the URL is refused, and said why');
  answer = await raw(`GET /api/fleet HTTP/1.1\r\nHost: x\r\nCookie: a=b; rydeflow_token=${token}\r\n\r\n`);
  check(/^HTTP\/1.1 200/.test(answer), 'the rydeflow_token cookie is accepted');
  answer = await raw(`GET /api/fleet HTTP/1.1\r\nHost: x\r\nCookie: rydeflow_token=${token}x\r\n\r\n`);
  check(/^HTTP\/1.1 401/.test(answer), 'a cookie with a wrong token gets 401');
  answer = await raw('GARBAGE\r\n\r\n');
  check(/^HTTP\/1.1 400/.test(answer) && !/\/work|\.c:|stack/i.test(answer), 'garbage gets 400 without paths or traces');
  answer = await raw('GET /static/../../../etc/passwd HTTP/1.1\r\n\r\n');
  check(/^HTTP\/1.1 404/.test(answer) && !/root:/.test(answer), 'a path outside the page is not served');
  answer = await raw('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(20000) + '\r\n\r\n');
  check(/^HTTP\/1.1 431/.test(answer), 'oversized headers get 431');

  done();
})().catch(abort);
