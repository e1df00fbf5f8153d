// harness.js - what the dashboard's Node check scripts share: numbered
// "ok N - what" / "not ok N - what" lines and the closing summary that
// tests/lib/assert.sh's node_checks reads, and headless Chromium.
'use strict';
function checker(name) {
  let n = 0, failed = 0;
  const check = (ok, what) => { n++; if (!ok) failed++; console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${what}`); return ok; };
  // Print the summary and exit non-zero when anything failed.
  const done = () => { console.log(`${name}: ${n - failed} passed, ${failed} failed`); process.exit(failed ? 1 : 0); };
  // An exception ends the script as one more failed check.
  const abort = (e) => { console.log(`not ok ${n + 1} - ${e.message}`); process.exit(1); };
  return {check, done, abort};
}

// Chromium (Debian's), headless, with a 1280x800 page whose script errors are collected.
async function openPage() {
  const {chromium} = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const page = await browser.newPage({viewport: {width: 1280, height: 800}});
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {browser, page, errors};
}

module.exports = {checker, openPage};
