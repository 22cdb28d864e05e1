// GraphiQL in a real browser: Debian's chromium, driven by playwright-core,
// opens the page, runs the room query with the run button, checks the result,
// and saves a screenshot. The page must work with no internet access: any
// request that leaves the service's own origin fails the test (the sign-in
// provider's pages excepted, on loopback).
// Then it signs in from the browser: "Sign in", aisha on the provider's page,
// back on GraphiQL signed in; { viewer } through GraphiQL and fetch runs as
// aisha by the session cookie alone; neither document.cookie nor Web Storage
// holds the session or any token; a screenshot (graphiql-signed-in.png, next
// to the first); "Sign out" goes through the provider back to GraphiQL, and
// { viewer } is null.
// Usage: node browser.mjs <base URL> <screenshot path>
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
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
let foreign = [];
const queries = []; // the page's POSTs to /query
const started = Date.now();

function report(checks) {
  for (const [ok, what] of checks) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed = true;
  }
}

// must throws (ending the run) when ok is false: for the steps later ones need.
function must(ok, what) {
  report([[ok, what]]);
  if (!ok) throw new Error(`stopped: ${what}`);
}

const viewerQuery = '{ viewer { user { username } } }';

// runInGraphiQL types query into the query editor and headers into the headers
// editor (empty: none), presses run and waits for the result to parse as want.
// It returns the result's text (or throws with what it showed instead).
async function runInGraphiQL(query, headers, want) {
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(query);
  await page.getByRole('button', { name: 'Headers', exact: true }).click();
  await page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').click();
  await page.keyboard.press('ControlOrMeta+A');
  if (headers) await page.keyboard.insertText(headers);
  else await page.keyboard.press('Backspace');
  await page.locator('.graphiql-execute-button').click();
  const deadline = Date.now() + 15000;
  let text = '';
  for (;;) {
    text = await page.evaluate(() => document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() ?? '');
    try {
      if (isDeepStrictEqual(JSON.parse(text), want)) return text;
    } catch { /* not complete yet */ }
    if (Date.now() > deadline) throw new Error(`GraphiQL ran ${query} and showed ${text || 'nothing'}, not ${JSON.stringify(want)}`);
    await page.waitForTimeout(100);
  }
}

// fetchViewer runs { viewer } from the page, with the session cookie (if any).
const fetchViewer = () => page.evaluate(async (query) => {
  const r = await fetch('/query', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF': '1' }, body: JSON.stringify({ query }),
  });
  return { status: r.status, body: await r.json() };
}, viewerQuery);

// leaks lists what document.cookie, localStorage and sessionStorage hold that
// looks like the session or a token: the cookie's value anywhere, a JWT, an
// OAuth token member, a Bearer credential, or a key naming a token or session.
const leaks = (secret) => page.evaluate((secret) => {
  const found = [];
  const suspect = (where, k, v) => {
    const why = (secret && (k.includes(secret) || v.includes(secret)) && 'the session cookie\'s value') ||
      (/eyJ[\w-]{5,}\.[\w-]{5,}/.test(k + ' ' + v) && 'a JWT') ||
      (/"(access_|refresh_|id_)?token"\s*:/i.test(v) && 'a token member') ||
      (/\bBearer\s+\S/i.test(v) && 'a Bearer credential') ||
      (/token|session|reflect_/i.test(k) && 'a token or session key');
    if (why) found.push(`${where} ${k}: ${why}`);
  };
  for (const part of document.cookie.split(';').filter((p) => p.trim())) {
    const [k, ...v] = part.trim().split('=');
    suspect('document.cookie', k, v.join('='));
  }
  for (const [where, store] of [['localStorage', localStorage], ['sessionStorage', sessionStorage]]) {
    for (let i = 0; i < store.length; i++) suspect(where, store.key(i), store.getItem(store.key(i)) ?? '');
  }
  return found;
}, secret);

// signInAndOut: the browser sign-in, from GraphiQL's "Sign in" to "Sign out".
async function signInAndOut() {
  const context = page.context();
  const status = page.locator('#signin-status');
  must(/not signed in/i.test(await status.innerText()), 'anonymous, the bar says "Not signed in"');
  const beforeSignIn = foreign.length;

  // "Sign in" leads to the provider's page (another loopback origin).
  await Promise.all([
    page.waitForURL((u) => u.origin !== origin, { waitUntil: 'load' }),
    page.locator('#signin-link').click(),
  ]);
  const provider = new URL(page.url());
  must(['127.0.0.1', 'localhost', '[::1]'].includes(provider.hostname),
    `"Sign in" leads to the demo provider on loopback (${provider.origin}${provider.pathname})`);
  await page.locator('button[data-username="aisha"]').click();
  await page.waitForURL((u) => u.origin === origin && u.pathname === '/', { waitUntil: 'networkidle', timeout: 15000 });
  await status.filter({ hasText: 'aisha' }).waitFor({ timeout: 15000 });
  const signedInAs = await status.innerText();

  const session = (await context.cookies(base)).find((c) => c.name === 'reflect_session');
  const headersShown = await page.evaluate(() => {
    const cm = [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor .CodeMirror')];
    return cm.map((e) => e.CodeMirror.getValue()).join('\n');
  });
  const viaFetch = await fetchViewer();
  // Without X-CSRF (a plain GET, as a cross-site page could send) the cookie is refused.
  const forged = await page.evaluate(async (query) => {
    const r = await fetch('/query?query=' + encodeURIComponent(query), { credentials: 'same-origin' });
    return { status: r.status, body: await r.text() };
  }, viewerQuery);
  const sessionAnswer = await page.evaluate(async () => (await fetch('/auth/session')).text());
  const viaGraphiQL = await runInGraphiQL(viewerQuery, '', { data: { viewer: { user: { username: 'aisha' } } } });
  const signedInShot = path.join(path.dirname(shot), 'graphiql-signed-in.png');
  await page.screenshot({ path: signedInShot, fullPage: true });
  const leaked = await leaks(session?.value);
  report([
    [/^Signed in as .*\(@aisha\)$/.test(signedInAs), `after picking aisha, back on GraphiQL: "${signedInAs}"`],
    [Boolean(session?.value) && session.httpOnly, `the session cookie reflect_session is set, httpOnly (${session ? `httpOnly=${session.httpOnly}, sameSite=${session.sameSite}` : 'missing'})`],
    [!/authorization/i.test(headersShown), 'signed in, GraphiQL offers no example Authorization header (it would win over the session)'],
    [viaGraphiQL.includes('"username": "aisha"'), 'GraphiQL, with no headers, runs { viewer } as aisha by the cookie'],
    [viaFetch.status === 200 && isDeepStrictEqual(viaFetch.body, { data: { viewer: { user: { username: 'aisha' } } } }),
      `fetch from the page with X-CSRF runs { viewer } as aisha (${viaFetch.status} ${JSON.stringify(viaFetch.body)})`],
    [forged.status === 403 && forged.body.includes('CSRF_CHECK_FAILED'),
      `a GET with the cookie but without X-CSRF is refused (${forged.status} ${forged.body.slice(0, 120)})`],
    [Boolean(session?.value) && !sessionAnswer.includes(session.value) && !/eyJ[\w-]{5,}\./.test(sessionAnswer),
      '/auth/session shows neither the session id nor a token'],
    [leaked.length === 0, `document.cookie, localStorage and sessionStorage hold no session id or token (${leaked.join('; ') || 'none'})`],
  ]);
  console.log(`screenshot: ${signedInShot}`);

  // "Sign out" goes to the provider's logout, which sends the browser back here.
  const back = page.waitForRequest((r) => r.isNavigationRequest() && r.frame() === page.mainFrame() &&
    new URL(r.url()).origin === origin && new URL(r.url()).pathname === '/', { timeout: 15000 });
  await page.locator('#signout-button').click();
  const backReq = await back;
  const via = backReq.redirectedFrom()?.url() ?? '';
  await page.waitForLoadState('networkidle');
  await status.filter({ hasText: /not signed in/i }).waitFor({ timeout: 15000 });
  const after = await fetchViewer();
  const afterGraphiQL = await runInGraphiQL(viewerQuery, '', { data: { viewer: null } });
  const left = (await context.cookies(base)).filter((c) => c.name === 'reflect_session');
  const strays = foreign.slice(beforeSignIn).filter((u) => new URL(u).origin !== provider.origin);
  const noCSRF = [];
  for (const r of queries) if ((await r.allHeaders())['x-csrf'] !== '1') noCSRF.push(r.postData()?.slice(0, 60));
  report([
    [via.startsWith(provider.origin), `"Sign out" went through the provider's logout back to / (${via ? new URL(via).pathname : 'no redirect'})`],
    [left.length === 0, 'signed out, the session cookie is gone'],
    [after.status === 200 && isDeepStrictEqual(after.body, { data: { viewer: null } }),
      `signed out, fetch with the browser's cookies gives viewer: null (${after.status} ${JSON.stringify(after.body)})`],
    [afterGraphiQL.includes('"viewer": null'), 'signed out, GraphiQL with no headers gives viewer: null'],
    [queries.length >= 4 && noCSRF.length === 0,
      `all ${queries.length} POSTs to /query (GraphiQL's included) sent X-CSRF: 1 (without: ${noCSRF.join(', ') || 'none'})`],
    [strays.length === 0, `signing in and out left the service only for the provider (saw: ${strays.join(', ') || 'none'})`],
  ]);
}

try {
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin !== origin && !['data:', 'blob:'].includes(u.protocol)) foreign.push(req.url());
    if (u.origin === origin && u.pathname === '/query' && req.method() === 'POST') queries.push(req);
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
  report(checks);
  await signInAndOut();
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
console.log(`${failed ? 'browser: failed' : 'browser: all checks passed'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failed ? 1 : 0);
