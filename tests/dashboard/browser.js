// browser.js - the dashboard page in headless Chromium (playwright-core):
// markers appear and move, a click shows a unicorn's details, the fleet list
// and health panel fill, an archive query returns rows and a chart; saves a
// screenshot. Prints "ok N - what" / "not ok N - what".
//   node browser.js URL SCREENSHOT.png
'use strict';
const {checker, openPage} = require('./harness');
const [url, shot] = process.argv.slice(2);
const {check, done, abort} = checker('browser');

(async () => {
  const {browser, page, errors} = await openPage();
  await page.goto(url);
  await page.waitForFunction(() => window.rydeflow && window.rydeflow.unicorns.size >= 10, null, {timeout: 20000})
    .catch(() => {});
  const count = await page.evaluate(() => window.rydeflow.unicorns.size);
  check(count >= 10, `markers appear for the fleet (${count})`);
  if (url.includes('#token=')) { // opened with the printed link: the token moved to a cookie
    check(!page.url().includes('token'), 'the token is taken out of the address bar');
    const cookies = await page.context().cookies();
    check(cookies.some((c) => c.name === 'rydeflow_token' && c.sameSite === 'Strict'), 'and kept in a same-site cookie');
  }
  // The fleet is drawn on a canvas: a unicorn's spot on it is painted.
  const painted = await page.evaluate(() => {
    const c = document.getElementById('fleet-canvas'), g = c.getContext('2d'), dpr = window.devicePixelRatio || 1;
    return [...window.rydeflow.unicorns.keys()].filter((n) => {
      const p = window.rydeflow.point(n);
      return g.getImageData(Math.round(p.x * dpr), Math.round(p.y * dpr), 1, 1).data[3] > 0;
    }).length;
  });
  check(painted >= 10, `they are drawn on the map (${painted} painted)`);
  await page.waitForSelector('#status.up', {timeout: 10000}).catch(() => {});
  check((await page.textContent('#status')) === 'live', 'the page says it is live');

  const where = () => page.evaluate(() => [...window.rydeflow.unicorns.entries()].map(
    ([k, e]) => k + '@' + e.data.lat.toFixed(6) + ',' + e.data.lon.toFixed(6)).sort());
  const before = await where();
  await page.waitForTimeout(2500);
  const after = await where();
  const moved = after.filter((p, i) => p !== before[i]).length;
  check(moved >= 5, `markers move (${moved} of ${after.length} in 2.5 s)`);

  // A click on a unicorn (found on the canvas by its position) shows its details and last minute.
  const [name, at] = await page.evaluate(() => {
    const k = [...window.rydeflow.unicorns.keys()][0];
    const p = window.rydeflow.point(k), r = document.getElementById('map').getBoundingClientRect();
    return [k, {x: r.left + p.x, y: r.top + p.y}];
  });
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector('#details:not([hidden])', {timeout: 5000}).catch(() => {});
  const shown = await page.textContent('#d-name');
  check(shown === name || (await page.evaluate((n) => !!window.rydeflow.unicorns.get(n), shown)),
        `a click shows the unicorn's details (${shown}; clicked at ${name})`);
  check(/health/.test(await page.textContent('#d-vitals')), '  with its vitals');
  await page.waitForFunction(() => !/loading/.test(document.getElementById('d-minute').textContent), null,
                             {timeout: 5000}).catch(() => {});
  check(/minute|no minute summary yet/.test(await page.textContent('#d-minute')), '  and its last minute (or that there is none yet)');

  await page.waitForTimeout(1200);
  check(await page.locator('#fleet-rows tr').count() >= 10, 'the fleet list fills');
  await page.click('#sort-health');
  const hs = await page.$$eval('#fleet-rows tr td:nth-child(2)', (tds) => tds.map((t) => +t.textContent));
  check(hs.every((h, i) => i === 0 || hs[i - 1] <= h), 'the fleet list sorts by health');
  check(+(await page.textContent('#h-rate')) > 0, 'the health panel shows events/s');
  await page.screenshot({path: shot});
  check(true, `screenshot saved: ${shot}`);

  // The query page.
  await page.click('#tab-query');
  await page.click('#run');
  await page.waitForSelector('#q-result tbody tr', {timeout: 15000}).catch(() => {});
  const rows = await page.locator('#q-result tbody tr').count();
  check(rows > 1, `an archive query returns rows (${rows})`);
  check(await page.locator('#chart:not([hidden]) polyline.series').count() >= 1, '  and a time series is drawn as a chart');
  await page.screenshot({path: shot.replace(/\.png$/, '-query.png')});
  await page.fill('#q', 'SELECT Nmae FROM wildrydes');
  await page.click('#run');
  await page.waitForSelector('#q-error:not([hidden])', {timeout: 5000}).catch(() => {});
  check(/line 1, column 8: unknown column 'Nmae'/.test(await page.textContent('#q-error')), 'a bad query shows line:column');
  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  await browser.close();
  done();
})().catch(abort);
