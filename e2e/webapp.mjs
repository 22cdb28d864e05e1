// A web app on its own origin, in a real browser (Debian's chromium, driven by
// playwright-core), against a service started with CORS_ALLOWED_ORIGINS
// listing the app's two origins and SIGNOUT_REDIRECT_URL the app's page.
// This script serves the app's page itself (node:http) on 127.0.0.1:<app port>,
// which is reachable under two origins:
// - http://127.0.0.1:<app port>: the same site as the service on
//   http://127.0.0.1:<its port> (sites ignore ports; the cookie is host-only,
//   so it goes to any port of the host). The app's "Sign in" link is the
//   service's /auth/login?returnTo=<the app's page>; after picking aisha on the
//   provider's page the browser is back on that page, and the app's fetch
//   (credentials: 'include', X-CSRF: 1) runs { viewer } as aisha. "Sign out"
//   goes through the provider back to the app, signed out.
// - http://localhost:<app port>: another site. Its sign-in completes (back on
//   its page, the browser holding the service's cookie), but the browser never
//   sends the cookie with its fetches: the answers say so (Reflect-Session:
//   no-cookie, /auth/session's reason) instead of a silent viewer: null.
// No request may leave loopback. Screenshots go next to <screenshot path>.
// Usage: node webapp.mjs <service base URL> <app port> <screenshot path>
import http from 'node:http';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { chromium } from 'playwright-core';

const [base, port, shot] = process.argv.slice(2);
if (!base || !port || !shot) throw new Error('usage: node webapp.mjs <service base URL> <app port> <screenshot path>');
const service = new URL(base).origin;
const sameSite = `http://127.0.0.1:${port}`;
const crossSite = `http://localhost:${port}`;
if (new URL(base).hostname !== '127.0.0.1') throw new Error('the service must be on 127.0.0.1 (the app\'s same-site origin)');

// The app: one page that signs in through the service and asks it who is
// signed in, the way a web app's fetch does.
const page = (api) => `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>A web app on its own origin</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto">
<h1>The app at <span id="origin"></span></h1>
<p><a id="signin" href="#">Sign in</a> <button id="signout">Sign out</button></p>
<pre id="state">loading…</pre>
<script type="module">
const api = ${JSON.stringify(api)};
document.getElementById('origin').textContent = location.origin;
document.getElementById('signin').href = api + '/auth/login?returnTo=' + encodeURIComponent(location.href);
document.getElementById('signout').onclick = async () => {
  const r = await fetch(api + '/auth/logout', { method: 'POST', credentials: 'include', headers: { 'X-CSRF': '1' } });
  const out = await r.json();
  if (out.logoutUrl) location.assign(out.logoutUrl); else location.reload();
};
async function load() {
  const q = await fetch(api + '/query', {
    method: 'POST', credentials: 'include',
    headers: { 'Content-Type': 'application/json', 'X-CSRF': '1' },
    body: JSON.stringify({ query: '{ viewer { user { username } } }' }),
  });
  const s = await fetch(api + '/auth/session', { credentials: 'include' });
  return {
    status: q.status, body: await q.json(), why: q.headers.get('Reflect-Session'),
    session: await s.json(), sessionWhy: s.headers.get('Reflect-Session'),
  };
}
load().catch((e) => ({ error: String(e) })).then((state) => {
  window.appState = state;
  document.getElementById('state').textContent = JSON.stringify(state, null, 2);
});
</script></body></html>
`;

const server = http.createServer((req, res) => {
  if (new URL(req.url, 'http://x').pathname !== '/app/') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(page(service));
});
await new Promise((resolve, reject) => server.once('error', reject).listen(Number(port), '127.0.0.1', resolve));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
const started = Date.now();
const offLoopback = [];

function report(checks) {
  for (const [ok, what] of checks) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed = true;
  }
}

function must(ok, what) {
  report([[ok, what]]);
  if (!ok) throw new Error(`stopped: ${what}`);
}

// appState waits for the app's page to have asked the service, and returns what it learnt.
async function appState(p) {
  await p.waitForFunction(() => window.appState !== undefined, null, { timeout: 15000 });
  return p.evaluate(() => window.appState);
}

const asAisha = { data: { viewer: { user: { username: 'aisha' } } } };
const anonymous = { data: { viewer: null } };
const show = (s) => JSON.stringify(s);

// signIn clicks the app's "Sign in", picks aisha on the provider's page, and
// waits to be back on an app page of origin; it returns the page's URL then.
async function signIn(p, origin) {
  await Promise.all([p.waitForURL((u) => u.origin !== origin, { waitUntil: 'load' }), p.locator('#signin').click()]);
  const provider = new URL(p.url());
  must(['127.0.0.1', 'localhost'].includes(provider.hostname) && provider.origin !== service,
    `"Sign in" leads to the demo provider on loopback (${provider.origin}${provider.pathname})`);
  await Promise.all([
    p.waitForURL((u) => u.origin === origin || u.origin === service, { waitUntil: 'load', timeout: 15000 }),
    p.locator('button[data-username="aisha"]').click(),
  ]);
  return p.url();
}

try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  // Only loopback: anything else is recorded and never sent.
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(u.hostname)) return route.continue();
    offLoopback.push(u.href);
    return route.abort();
  });
  const consoleErrors = [];
  const watch = (p) => p.on('pageerror', (e) => consoleErrors.push(e.message));

  // The same-site app: anonymous, then signed in, back on its own page.
  const app = await context.newPage();
  watch(app);
  const appPage = `${sameSite}/app/?tab=rooms`;
  await app.goto(appPage, { waitUntil: 'load' });
  const before = await appState(app);
  report([[before.status === 200 && isDeepStrictEqual(before.body, anonymous) && before.why === 'no-cookie' &&
    before.session?.reason === 'no-cookie',
  `${sameSite}, before signing in: viewer null, and told why (Reflect-Session ${before.why}, /auth/session ${show(before.session)})`]]);
  const landed = await signIn(app, sameSite);
  report([[landed === appPage, `after signing in, the browser is back on the app's own page (${landed}, want ${appPage})`]]);
  if (landed !== appPage) await app.goto(appPage, { waitUntil: 'load' }); // to see what else holds
  const signedIn = await appState(app);
  const cookie = (await context.cookies(service)).find((c) => c.name === 'reflect_session');
  await app.screenshot({ path: path.join(path.dirname(shot), 'webapp-signed-in.png'), fullPage: true });
  report([
    [Boolean(cookie?.value) && cookie.httpOnly && cookie.sameSite === 'Lax',
      `the service's session cookie is set for ${new URL(service).host}, httpOnly, SameSite=${cookie?.sameSite}`],
    [signedIn.status === 200 && isDeepStrictEqual(signedIn.body, asAisha) && signedIn.why === null,
      `the app's fetch (credentials: 'include', X-CSRF: 1) runs { viewer } as aisha (${signedIn.status} ${show(signedIn.body)}, Reflect-Session ${signedIn.why})`],
    [signedIn.session?.signedIn === true && signedIn.session?.user?.username === 'aisha',
      `the app reads /auth/session: signed in as aisha (${show(signedIn.session?.user)})`],
    [!(await app.evaluate(() => document.cookie)).includes('reflect_session'), 'the app\'s page cannot read the session cookie'],
  ]);

  // The cross-site app, in the same browser: the cookie is there, never sent.
  const other = await context.newPage();
  watch(other);
  const otherPage = `${crossSite}/app/`;
  await other.goto(otherPage, { waitUntil: 'load' });
  const cross = await appState(other);
  report([[cross.status === 200 && isDeepStrictEqual(cross.body, anonymous) && cross.why === 'no-cookie' &&
    cross.session?.signedIn === false && cross.session?.reason === 'no-cookie' && cross.sessionWhy === 'no-cookie',
  `${crossSite} (another site), the browser signed in to the service: viewer null, and told the cookie did not come (Reflect-Session ${cross.why}, /auth/session ${show(cross.session)})`]]);
  const crossLanded = await signIn(other, crossSite);
  if (crossLanded !== otherPage) await other.goto(otherPage, { waitUntil: 'load' });
  const crossAfter = await appState(other);
  await other.screenshot({ path: path.join(path.dirname(shot), 'webapp-cross-site.png'), fullPage: true });
  report([
    [crossLanded === otherPage, `its own sign-in brings it back to its page (${crossLanded})`],
    [isDeepStrictEqual(crossAfter.body, anonymous) && crossAfter.why === 'no-cookie' && crossAfter.session?.reason === 'no-cookie',
      `and it stays anonymous, told why (Reflect-Session ${crossAfter.why}, /auth/session ${show(crossAfter.session)})`],
  ]);

  // Signing out from the same-site app goes through the provider back to it.
  await app.bringToFront();
  await app.reload({ waitUntil: 'load' });
  must(isDeepStrictEqual((await appState(app)).body, asAisha), 'the same-site app is still signed in');
  await Promise.all([
    // The provider sends the browser back with the state: a new page load.
    app.waitForURL((u) => u.origin === sameSite && u.pathname === '/app/' && u.searchParams.has('state'),
      { waitUntil: 'load', timeout: 15000 }),
    app.locator('#signout').click(),
  ]);
  const out = await appState(app);
  const left = (await context.cookies(service)).filter((c) => c.name === 'reflect_session');
  report([
    [new URL(app.url()).origin === sameSite, `"Sign out" went through the provider back to the app (${app.url()})`],
    [left.length === 0 && isDeepStrictEqual(out.body, anonymous) && out.why === 'no-cookie',
      `signed out: no cookie, viewer null (Reflect-Session ${out.why})`],
  ]);
  report([
    [offLoopback.length === 0, `no request left loopback (saw: ${offLoopback.join(', ') || 'none'})`],
    [consoleErrors.length === 0, `no page errors (${consoleErrors.join(' | ') || 'none'})`],
  ]);
} catch (e) {
  failed = true;
  console.log('FAIL', e.message);
} finally {
  await browser.close();
  server.close();
}
console.log(`${failed ? 'web app: failed' : 'web app: all checks passed'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failed ? 1 : 0);
