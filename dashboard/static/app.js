// app.js - the dashboard page: the fleet on a Leaflet map, fed by the
// dashboard's WebSocket (a snapshot, then deltas), the fleet list, the
// pipeline health, and the ad-hoc query page.
'use strict';
(function () {
  const cfg = window.RYDEFLOW || {};
  // The dashboard prints its URL as .../#token=TOKEN: a fragment never
  // reaches a server or a log. Keep the token in a same-site cookie, which
  // fetch() and the WebSocket send along, and take it out of the address bar.
  const hashToken = new URLSearchParams(location.hash.slice(1)).get('token');
  if (hashToken) {
    document.cookie = 'rydeflow_token=' + encodeURIComponent(hashToken) + '; path=/; SameSite=Strict';
    history.replaceState(null, '', location.pathname + location.search);
  }
  const TRAIL = 10;
  const TRAILS_MAX = 2000;  // trails are drawn while at most this many unicorns are in view
  const LIST_MAX = 200;     // rows of the fleet list

  const map = L.map('map').setView([40.749167, -73.985184], 13);
  const tiles = L.tileLayer(cfg.tiles || 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    {maxZoom: 19, attribution: '&copy; OpenStreetMap contributors'});
  let tileErrors = 0;
  tiles.on('tileerror', () => { if (++tileErrors >= 1) document.getElementById('map').classList.add('no-tiles'); });
  tiles.addTo(map);

  const unicorns = new Map(); // name -> {data, points: [[lat, lon], ...]}
  let selected = null;
  let sortBy = 'health';
  let box = null; // the viewport followed: [south, west, north, east]

  const color = (h) => h >= 120 ? '#2e7d32' : h >= 100 ? '#ef6c00' : '#c62828';
  const cls = (h) => h >= 120 ? 'ok' : h >= 100 ? 'warn' : 'bad';
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));

  // The fleet is drawn on one canvas over the map, not as a DOM element per
  // unicorn: ten thousand markers redraw in a few milliseconds, at most once
  // per animation frame, however many updates arrived in between.
  const canvas = document.createElement('canvas');
  canvas.id = 'fleet-canvas';
  map.getContainer().appendChild(canvas);
  const ctx = canvas.getContext('2d');
  let drawQueued = false, frames = [];
  function redraw() { if (!drawQueued) { drawQueued = true; requestAnimationFrame(draw); } }
  function draw(t) {
    drawQueued = false;
    const size = map.getSize(), dpr = window.devicePixelRatio || 1;
    if (canvas.width !== size.x * dpr || canvas.height !== size.y * dpr) {
      canvas.width = size.x * dpr; canvas.height = size.y * dpr;
      canvas.style.width = size.x + 'px'; canvas.style.height = size.y + 'px';
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    const pt = (ll) => map.latLngToContainerPoint(ll);
    const visible = [];
    for (const e of unicorns.values()) {
      const p = pt([e.data.lat, e.data.lon]);
      if (p.x >= -10 && p.y >= -10 && p.x <= size.x + 10 && p.y <= size.y + 10) visible.push([e, p]);
    }
    ctx.lineWidth = 2;
    ctx.globalAlpha = 0.5;
    for (const [e] of visible) {
      if (visible.length > TRAILS_MAX && e.data.name !== selected) continue;
      ctx.strokeStyle = color(e.data.health);
      ctx.beginPath();
      e.points.forEach((ll, i) => { const p = pt(ll); if (i) ctx.lineTo(p.x, p.y); else ctx.moveTo(p.x, p.y); });
      ctx.stroke();
    }
    ctx.globalAlpha = 0.9;
    ctx.strokeStyle = '#fff';
    const dense = visible.length > TRAILS_MAX; // small dots, no white rims: a crowd stays readable
    const r = dense ? 3 : 7;
    for (const c of ['#2e7d32', '#ef6c00', '#c62828']) { // one path per colour
      ctx.fillStyle = c;
      ctx.beginPath();
      for (const [e, p] of visible) {
        if (color(e.data.health) !== c) continue;
        ctx.moveTo(p.x + r, p.y);
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
      }
      ctx.fill();
      if (!dense) ctx.stroke();
    }
    if (selected && unicorns.has(selected)) {
      const s = unicorns.get(selected).data, p = pt([s.lat, s.lon]);
      ctx.globalAlpha = 1; ctx.strokeStyle = '#1d2433'; ctx.lineWidth = 3;
      ctx.beginPath(); ctx.arc(p.x, p.y, r + 4, 0, 2 * Math.PI); ctx.stroke();
    }
    frames.push(t);
    if (frames.length > 600) frames = frames.slice(-300);
  }
  map.on('move zoom resize', redraw);

  // The unicorn under a point of the map (within 10 pixels), or null.
  function nearest(p) {
    let best = null, bd = 100;
    for (const e of unicorns.values()) {
      const q = map.latLngToContainerPoint([e.data.lat, e.data.lon]);
      const d = (q.x - p.x) ** 2 + (q.y - p.y) ** 2;
      if (d < bd) { bd = d; best = e.data.name; }
    }
    return best;
  }
  const tip = document.createElement('div');
  tip.id = 'fleet-tip';
  tip.hidden = true;
  map.getContainer().appendChild(tip);
  map.on('click', (ev) => { const n = nearest(ev.containerPoint); if (n) select(n); });
  map.on('mousemove', (ev) => {
    const n = nearest(ev.containerPoint);
    tip.hidden = !n;
    if (n) { tip.textContent = n; tip.style.left = ev.containerPoint.x + 12 + 'px'; tip.style.top = ev.containerPoint.y - 8 + 'px'; }
    map.getContainer().style.cursor = n ? 'pointer' : '';
  });

  window.rydeflow = {unicorns, map, select: (n) => select(n), frames: () => frames, followed: () => box,
                     point: (n) => { const e = unicorns.get(n); return e && map.latLngToContainerPoint([e.data.lat, e.data.lon]); }};

  const inBox = (u) => !box || (u.lat >= box[0] && u.lat <= box[2] &&
    (box[1] <= box[3] ? u.lon >= box[1] && u.lon <= box[3] : u.lon >= box[1] || u.lon <= box[3]));
  function update(u) {
    let e = unicorns.get(u.name);
    if (!inBox(u)) { // it left what the page follows
      if (e) unicorns.delete(u.name);
      return;
    }
    if (!e) { e = {points: []}; unicorns.set(u.name, e); }
    e.data = u;
    e.points.push([u.lat, u.lon]);
    if (e.points.length > TRAIL) e.points.shift();
    if (selected === u.name) showVitals(u);
  }

  function showVitals(u) {
    document.getElementById('d-vitals').innerHTML =
      `<dt>time</dt><dd>${esc(u.time)}</dd><dt>position</dt><dd>${u.lat.toFixed(5)}, ${u.lon.toFixed(5)}</dd>` +
      `<dt>health</dt><dd class="${cls(u.health)}">${u.health}</dd><dt>magic</dt><dd>${u.magic}</dd>` +
      `<dt>distance</dt><dd>${u.distance} m</dd>`;
  }

  async function select(name) {
    selected = name;
    redraw();
    const e = unicorns.get(name);
    document.getElementById('details').hidden = false;
    document.getElementById('d-name').textContent = name;
    if (e) showVitals(e.data);
    const m = document.getElementById('d-minute');
    m.innerHTML = '<dd>loading...</dd>';
    try {
      const r = await fetch('/api/unicorn?name=' + encodeURIComponent(name));
      const j = await r.json();
      const last = j.minutes && j.minutes[j.minutes.length - 1];
      m.innerHTML = last
        ? `<dt>minute</dt><dd>${esc(last.StatusTime)}</dd><dt>distance</dt><dd>${last.Distance} m</dd>` +
          `<dt>magic</dt><dd>${last.MinMagicPoints}-${last.MaxMagicPoints}</dd>` +
          `<dt>health</dt><dd>${last.MinHealthPoints}-${last.MaxHealthPoints}</dd>`
        : '<dd>no minute summary yet</dd>';
    } catch (err) {
      m.innerHTML = '<dd>unavailable</dd>';
    }
  }

  function renderFleet() {
    const all = [...unicorns.values()].map((e) => e.data);
    all.sort(sortBy === 'health' ? (a, b) => a.health - b.health : (a, b) => b.distance - a.distance);
    const rows = all.slice(0, LIST_MAX);
    document.getElementById('fleet-count').textContent =
      all.length > rows.length ? `${rows.length} of ${all.length} in view` : `${all.length} in view`;
    document.getElementById('fleet-rows').innerHTML = rows.map((u) =>
      `<tr data-name="${esc(u.name)}"><td>${esc(u.name)}</td><td class="${cls(u.health)}">${u.health}</td>` +
      `<td>${u.magic}</td><td>${u.distance}</td></tr>`).join('');
  }
  document.getElementById('fleet-rows').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr');
    if (tr) { select(tr.dataset.name); const e = unicorns.get(tr.dataset.name); if (e) map.panTo([e.data.lat, e.data.lon]); }
  });
  document.getElementById('sort-health').onclick = () => { sortBy = 'health'; renderFleet(); };
  document.getElementById('sort-distance').onclick = () => { sortBy = 'distance'; renderFleet(); };
  setInterval(renderFleet, 1000);

  function health(h) {
    const set = (id, v) => { document.getElementById(id).textContent = v; };
    set('h-rate', h.events_per_s.toFixed(0));
    set('h-unicorns', h.unicorns);
    set('h-lag', h.lag);
    set('h-late', h.sources ? h.late : 'n/a');
    set('h-dead', h.sources ? h.dead_letters : 'n/a');
    set('h-clients', h.clients);
  }

  // The WebSocket: reconnects by itself, with back-off, and says when it is down.
  let backoff = 500;
  // A unicorn the dashboard forgot (not heard of for --forget-after).
  function forget(name) {
    if (!unicorns.delete(name)) return;
    renderFleet();
    redraw();
  }

  // The page follows its viewport, with half a screen around it, so that
  // a pan shows unicorns at once; it subscribes again when the map moves out.
  let socket = null;
  function viewport() {
    const b = map.getBounds().pad(0.5);
    const s = Math.max(-90, b.getSouth()), n = Math.min(90, b.getNorth());
    let w = b.getWest(), e = b.getEast();
    if (e - w >= 360) { w = -180; e = 180; } else { w = ((w + 540) % 360) - 180; e = ((e + 540) % 360) - 180; }
    return [s, w, n, e];
  }
  function subscribe() {
    box = viewport();
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({subscribe: {bbox: box}}));
  }
  map.on('moveend', () => {
    const v = map.getBounds();
    if (!box || v.getSouth() < box[0] || v.getNorth() > box[2] || v.getWest() < box[1] || v.getEast() > box[3] ||
        (box[2] - box[0]) > 4 * (v.getNorth() - v.getSouth())) subscribe(); // out of it, or zoomed far in
  });

  function connect() {
    const status = document.getElementById('status');
    box = viewport().map((x) => +x.toFixed(6)); // followed from the first message on: never the whole fleet first
    const ws = socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host +
                                      '/ws?bbox=' + box.join(','));
    ws.onopen = () => { status.textContent = 'live'; status.className = 'up'; backoff = 500; };
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === 'snapshot') { // what is not in it (any more) leaves the map
        const names = new Set(m.unicorns.map((u) => u.name));
        [...unicorns.keys()].filter((k) => !names.has(k)).forEach((k) => unicorns.delete(k));
      }
      if (m.type === 'snapshot' || m.type === 'delta') { m.unicorns.forEach(update); redraw(); }
      if (m.type === 'delta' && m.gone) m.gone.forEach(forget);
      if (m.type === 'health') health(m);
      if (m.type === 'error') console.warn('dashboard: ' + m.error);
    };
    ws.onclose = (ev) => {
      status.textContent = 'disconnected' + (ev.reason ? ': ' + ev.reason : '') + ' - reconnecting';
      status.className = 'down';
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }
  connect();

  // Tabs.
  function route() {
    const q = location.hash === '#query';
    document.getElementById('view-map').hidden = q;
    document.getElementById('view-query').hidden = !q;
    document.getElementById('tab-map').classList.toggle('active', !q);
    document.getElementById('tab-query').classList.toggle('active', q);
    if (!q) map.invalidateSize();
  }
  window.addEventListener('hashchange', route);
  route();

  // Ad-hoc queries over the archive: a table, and a line chart for a time series.
  document.getElementById('run').onclick = async () => {
    const err = document.getElementById('q-error'), table = document.getElementById('q-result');
    const chart = document.getElementById('chart'), info = document.getElementById('q-info');
    err.hidden = true; chart.setAttribute('hidden', ''); table.innerHTML = ''; info.textContent = 'running...';
    const r = await fetch('/api/query?q=' + encodeURIComponent(document.getElementById('q').value));
    const j = await r.json();
    if (j.error) { err.textContent = j.error; err.hidden = false; info.textContent = ''; return; }
    const rows = j.rows, cols = rows.length ? Object.keys(rows[0]) : [];
    info.textContent = `${rows.length} row${rows.length === 1 ? '' : 's'}${j.truncated ? ' (truncated)' : ''} in ${j.ms} ms`;
    table.innerHTML = '<thead><tr>' + cols.map((c) => `<th>${esc(c)}</th>`).join('') + '</tr></thead><tbody>' +
      rows.map((row) => '<tr>' + cols.map((c) => `<td>${esc(row[c] === null ? 'NULL' : row[c])}</td>`).join('') + '</tr>').join('') +
      '</tbody>';
    const isTime = (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(v);
    const numeric = cols.slice(1).filter((c) => rows.every((row) => typeof row[c] === 'number'));
    if (rows.length > 1 && isTime(rows[0][cols[0]]) && numeric.length) drawChart(chart, rows, cols[0], numeric);
  };

  function drawChart(svg, rows, x, ys) {
    const W = +svg.getAttribute('width'), H = +svg.getAttribute('height'), P = 30;
    const xs = rows.map((r) => Date.parse(r[x].replace(' ', 'T') + 'Z'));
    const x0 = Math.min(...xs), x1 = Math.max(...xs) || x0 + 1;
    const palette = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00'];
    let out = '';
    ys.slice(0, 4).forEach((c, i) => {
      const vs = rows.map((r) => r[c]), lo = Math.min(...vs), hi = Math.max(...vs) || lo + 1;
      const pts = vs.map((v, k) => `${P + (xs[k] - x0) / (x1 - x0 || 1) * (W - 2 * P)},${H - P - (v - lo) / (hi - lo || 1) * (H - 2 * P)}`);
      out += `<polyline class="series" fill="none" stroke="${palette[i]}" stroke-width="2" points="${pts.join(' ')}"/>` +
             `<text x="${P + i * 160}" y="16" fill="${palette[i]}">${esc(c)}</text>`;
    });
    svg.innerHTML = out;
    svg.removeAttribute('hidden'); // an SVG element has no .hidden property
  }
})();
