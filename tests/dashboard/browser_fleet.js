// browser_fleet.js - the page in headless Chromium with a big fleet: every
// unicorn reaches the page and is painted, the page ends with exactly the
// dashboard's positions once the feed stops, and zooming in makes the page
// follow a smaller viewport (and zooming out, the whole fleet again).
// Prints "ok N - what" / "not ok N - what" and the page's frame times.
//   node browser_fleet.js URL FLEET_SIZE [SCREENSHOT.png]
'use strict';
const {checker, openPage} = require('./harness');
const [url, sizeArg, shot] = process.argv.slice(2);
const N = +sizeArg;
const {check, done, abort} = checker('browser_fleet');

(async () => {
  const {browser, page, errors} = await openPage();
  await page.goto(url);
  await page.waitForFunction((k) => window.rydeflow && window.rydeflow.unicorns.size >= k, N, {timeout: 90000})
    .catch(() => {});
  const size = await page.evaluate(() => window.rydeflow.unicorns.size);
  check(size === N, `all ${N} unicorns reach the page (${size})`);

  // Frame times while the fleet moves (printed, not asserted: targets belong in benchmarks).
  await page.evaluate(() => { window.rydeflow.mark = window.rydeflow.frames().length; });
  await page.waitForTimeout(3000);
  const ft = await page.evaluate(() => {
    const f = window.rydeflow.frames().slice(window.rydeflow.mark);
    const d = f.slice(1).map((t, i) => t - f[i]).sort((a, b) => a - b);
    return {frames: f.length, p50: d[Math.floor(d.length / 2)] || 0, p95: d[Math.floor(d.length * 0.95)] || 0};
  });
  console.log(`# page redraws while ${N} unicorns move: ${ft.frames} in 3 s, interval p50 ${ft.p50.toFixed(0)} ms, p95 ${ft.p95.toFixed(0)} ms`);
  check(ft.frames > 0, `the page redraws while the fleet moves (${ft.frames} frames in 3 s)`);

  // Once the feed stops, the page holds exactly the dashboard's latest positions.
  const api = new URL('/api/fleet', url).toString();
  const snapshot = async () => {
    const r = await page.evaluate(async (u) => (await fetch(u)).json(), api);
    return new Map(r.map((u) => [u.name, `${u.lat},${u.lon},${u.health}`]));
  };
  let server = await snapshot(), stable = 0;
  for (let i = 0; i < 60 && stable < 2; i++) { // two equal answers a second apart: the feed has stopped
    await page.waitForTimeout(1000);
    const next = await snapshot();
    stable = [...next].every(([k, v]) => server.get(k) === v) && next.size === server.size ? stable + 1 : 0;
    server = next;
  }
  const diff = async () => page.evaluate((entries) => {
    let d = 0;
    for (const [k, v] of entries) {
      const e = window.rydeflow.unicorns.get(k);
      if (!e || `${e.data.lat},${e.data.lon},${e.data.health}` !== v) d++;
    }
    return d + Math.abs(window.rydeflow.unicorns.size - entries.length);
  }, [...server]);
  let differ = await diff();
  for (let i = 0; i < 20 && differ; i++) { await page.waitForTimeout(250); differ = await diff(); }
  check(stable >= 2 && differ === 0, `after the feed stops, the page shows the dashboard's ${server.size} positions exactly (${differ} differ)`);

  const painted = await page.evaluate(() => {
    const c = document.getElementById('fleet-canvas'), g = c.getContext('2d'), dpr = window.devicePixelRatio || 1;
    const names = [...window.rydeflow.unicorns.keys()].filter((_, i) => i % 97 === 0);
    return [names.length, names.filter((k) => {
      const p = window.rydeflow.point(k);
      return g.getImageData(Math.round(p.x * dpr), Math.round(p.y * dpr), 1, 1).data[3] > 0;
    }).length];
  });
  if (shot) await page.screenshot({path: shot});
  check(painted[0] > 0 && painted[1] === painted[0], `each unicorn is painted on the canvas (${painted[1]} of ${painted[0]} sampled)`);

  // Zoomed in, the page follows a smaller viewport: fewer unicorns, all near the view.
  await page.evaluate(() => window.rydeflow.map.setZoom(18, {animate: false}));
  await page.waitForFunction((k) => window.rydeflow.unicorns.size < k, N, {timeout: 10000}).catch(() => {});
  const zoomed = await page.evaluate(() => {
    const b = window.rydeflow.map.getBounds().pad(0.6);
    const all = [...window.rydeflow.unicorns.values()];
    return [all.length, all.filter((e) => !b.contains([e.data.lat, e.data.lon])).length];
  });
  check(zoomed[0] > 0 && zoomed[0] < N && zoomed[1] === 0,
        `zoomed in, the page follows its viewport: ${zoomed[0]} unicorns, ${zoomed[1]} outside it`);
  await page.evaluate(() => window.rydeflow.map.setZoom(13, {animate: false}));
  await page.waitForFunction((k) => window.rydeflow.unicorns.size === k, server.size, {timeout: 10000}).catch(() => {});
  const back = await page.evaluate(() => window.rydeflow.unicorns.size);
  check(back === server.size, `zoomed out again, the whole fleet (${back})`);
  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  await browser.close();
  done();
})().catch(abort);
