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

  const map = L.map('map', {preferCanvas: false}).setView([40.749167, -73.985184], 13);
  const tiles = L.tileLayer(cfg.tiles || 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    {maxZoom: 19, attribution: '&copy; OpenStreetMap contributors'});
  let tileErrors = 0;
  tiles.on('tileerror', () => { if (++tileErrors >= 1) document.getElementById('map').classList.add('no-tiles'); });
  tiles.addTo(map);

  const unicorns = new Map(); // name -> {data, marker, trail, points}
  let selected = null;
  let sortBy = 'health';
  window.rydeflow = {unicorns, map};

  const color = (h) => h >= 120 ? '#2e7d32' : h >= 100 ? '#ef6c00' : '#c62828';
  const cls = (h) => h >= 120 ? 'ok' : h >= 100 ? 'warn' : 'bad';
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));

  function update(u) {
    let e = unicorns.get(u.name);
    const ll = [u.lat, u.lon];
    if (!e) {
      const marker = L.circleMarker(ll, {radius: 7, weight: 2, color: '#fff', fillOpacity: 0.9, className: 'unicorn-marker'});
      marker.bindTooltip(u.name);
      marker.on('click', () => select(u.name));
      marker.addTo(map);
      const trail = L.polyline([ll], {weight: 2, opacity: 0.5}).addTo(map);
      e = {marker, trail, points: []};
      unicorns.set(u.name, e);
      marker.getElement && marker.getElement() && marker.getElement().setAttribute('data-name', u.name);
    }
    e.data = u;
    e.points.push(ll);
    if (e.points.length > TRAIL) e.points.shift();
    e.marker.setLatLng(ll);
    e.marker.setStyle({fillColor: color(u.health)});
    e.trail.setLatLngs(e.points);
    e.trail.setStyle({color: color(u.health)});
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
    const rows = [...unicorns.values()].map((e) => e.data);
    rows.sort(sortBy === 'health' ? (a, b) => a.health - b.health : (a, b) => b.distance - a.distance);
    document.getElementById('fleet-rows').innerHTML = rows.map((u) =>
      `<tr data-name="${esc(u.name)}"><td>${esc(u.name)}</td><td class="${cls(u.health)}">${u.health}</td>` +
      `<td>${u.magic}</td><td>${u.distance}</td></tr>`).join('');
  }
  document.getElementById('fleet-rows').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr');
    if (tr) { select(tr.dataset.name); const e = unicorns.get(tr.dataset.name); if (e) map.panTo(e.marker.getLatLng()); }
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
    const e = unicorns.get(name);
    if (!e) return;
    e.marker.remove();
    e.trail.remove();
    unicorns.delete(name);
    renderFleet();
  }

  function connect() {
    const status = document.getElementById('status');
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    ws.onopen = () => { status.textContent = 'live'; status.className = 'up'; backoff = 500; };
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === 'snapshot') { // what the server no longer knows leaves the map
        const names = new Set(m.unicorns.map((u) => u.name));
        [...unicorns.keys()].filter((k) => !names.has(k)).forEach(forget);
      }
      if (m.type === 'snapshot' || m.type === 'delta') m.unicorns.forEach(update);
      if (m.type === 'delta' && m.gone) m.gone.forEach(forget);
      if (m.type === 'health') health(m);
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
