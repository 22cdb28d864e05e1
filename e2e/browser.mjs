// GraphiQL in a real browser: Debian's chromium, driven by playwright-core,
// opens the page, runs the room query with the run button, checks the result,
// and saves a screenshot. The page must work with no internet access: any
// request that leaves the service's own origin fails the test.
// Usage: node browser.mjs <base URL> <screenshot path>
import { chromium } from 'playwright-core';

const [base, shot] = process.argv.slice(2);
if (!base || !shot) throw new Error('usage: node browser.mjs <base URL> <screenshot path>');
const origin = new URL(base).origin;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
let page;
try {
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const foreign = [];
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin !== origin && !['data:', 'blob:'].includes(u.protocol)) foreign.push(req.url());
  });
  var consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  await page.goto(base + '/', { waitUntil: 'networkidle' });
  await page.locator('.graphiql-execute-button').click();
  const result = page.locator('.result-window');
  await result.getByText('Morning Reflections').first().waitFor({ timeout: 15000 });
  const text = await result.innerText();
  await page.screenshot({ path: shot, fullPage: true });
  // Opting in to saving headers is offered in the settings dialog.
  await page.locator('button[aria-label="Open settings dialog"], button[aria-label="Show settings dialog"]').first().click();
  const persistOffered = await page.getByText('Persist headers').first().isVisible({ timeout: 5000 }).catch(() => false);
  await page.keyboard.press('Escape');

  const checks = [
    [text.includes('"privateToken": "invite-7919-secret"'), 'the Authorization example signed in as the room owner'],
    [text.includes('"9007199254740993"'), 'the 16-digit id came back exact'],
    [persistOffered, 'the settings offer "Persist headers" (off until the user opts in)'],
    [foreign.length === 0, `no request left the service (saw: ${foreign.join(', ') || 'none'})`],
    [await page.evaluate(() => Object.keys(localStorage).length > 0 &&
      !Object.keys(localStorage).some((k) => localStorage.getItem(k)?.includes('demo-aisha'))),
      'GraphiQL saves its state, but not the token, to localStorage'],
  ];
  for (const [ok, what] of checks) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed = true;
  }
  if (consoleErrors.length) console.log('console errors:', consoleErrors.join(' | '));
  console.log(`screenshot: ${shot}`);
} catch (e) {
  failed = true;
  console.log('FAIL', e.message);
  if (typeof consoleErrors !== 'undefined' && consoleErrors.length) console.log('console errors:', consoleErrors.join(' | '));
  if (page) await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
console.log(failed ? 'browser: failed' : 'browser: all checks passed');
process.exit(failed ? 1 : 0);
