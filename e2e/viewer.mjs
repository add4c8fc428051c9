// End-to-end check of the pg-audit viewer in headless Chromium (Debian's /usr/bin/chromium),
// run by tests/viewer_e2e.rs against a real server and database:
//
//   node e2e/viewer.mjs <viewer-url> <screenshot-dir> <expected-history-entries>
//
// Opens the Changes page, checks it, filters it through the form, follows a record's
// history link, checks the timeline and its field diff, follows the request that created the
// record, checks its masked payload and its data changes, and saves screenshots. Any failure
// (including a script from the data running, which would open a dialog) exits non-zero.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [url, screenshots, expectedEntries] = process.argv.slice(2);
if (!url || !screenshots || !expectedEntries) {
  console.error('usage: node e2e/viewer.mjs <viewer-url> <screenshot-dir> <expected-history-entries>');
  process.exit(2);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15000);
  page.on('dialog', async (dialog) => {
    console.error(`a script from the data ran: dialog "${dialog.message()}"`);
    await dialog.dismiss();
    process.exitCode = 1;
  });
  mkdirSync(screenshots, { recursive: true });

  // The Changes page.
  const response = await page.goto(url);
  check(response && response.status() === 200, `GET ${url} answered ${response && response.status()}`);
  check((await page.title()).startsWith('Changes'), `unexpected title: ${await page.title()}`);
  const rows = await page.locator('#changes tbody tr').count();
  check(rows > 0, 'the Changes page lists no rows');
  const text = await page.locator('#changes').innerText();
  check(text.includes('public.orders'), 'the Changes page does not show public.orders');
  check(text.includes('<script>alert(1)</script>'), 'the hostile value is not shown as text');
  await page.screenshot({ path: join(screenshots, 'changes.png'), fullPage: true });

  // Filtering through the form keeps only UPDATE rows.
  await page.selectOption('select[name="operation"]', 'UPDATE');
  await Promise.all([page.waitForURL(/operation=UPDATE/), page.click('form.filters button[type="submit"]')]);
  const badges = await page.locator('#changes tbody .badge.op').allInnerTexts();
  check(badges.length > 0 && badges.every((b) => b === 'UPDATE'), `filtered operations: ${badges.join(', ')}`);

  // Follow the history link of the updated order.
  const link = page.locator('#changes a.history', { hasText: /^1$/ }).first();
  await Promise.all([page.waitForURL(/\/record\?/), link.click()]);
  check(new URL(page.url()).pathname.endsWith('/record'), `history URL: ${page.url()}`);
  const heading = await page.locator('h1').innerText();
  check(heading.includes('public.orders') && heading.includes('1'), `history heading: ${heading}`);
  const entries = await page.locator('#history > li').count();
  check(entries === Number(expectedEntries), `history shows ${entries} entries, expected ${expectedEntries}`);
  const changed = page.locator('#history tr.changed', { hasText: 'total' }).first();
  const diff = await changed.innerText();
  check(diff.includes('5') && diff.includes('→') && diff.includes('7'), `total diff: ${diff}`);
  const masked = await page.locator('#history .v-masked').count();
  check(masked > 0, 'the masked column is not shown as masked');
  await page.screenshot({ path: join(screenshots, 'history.png'), fullPage: true });

  // Follow the request that created the order: its masked payload and every change it made.
  const requestLink = page.locator('#history > li.op-insert a', { hasText: 'POST /orders' }).first();
  await Promise.all([page.waitForURL(/\/requests\/[0-9a-f-]{36}$/), requestLink.click()]);
  const payload = await page.locator('pre.body').first().innerText();
  check(payload.includes('"password": "********"'), `request payload: ${payload}`);
  const made = await page.locator('#request-changes > li').count();
  check(made === 2, `the request page lists ${made} data changes, expected 2`);
  await page.screenshot({ path: join(screenshots, 'request.png'), fullPage: true });

  console.log(JSON.stringify({ ok: true, changes_rows: rows, history_entries: entries, screenshots }));
} finally {
  await browser.close();
}
