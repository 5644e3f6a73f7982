// Sessions on a relay whose sessions expire after 2 idle seconds: idle expiry, and the lock-out
// after five wrong passwords.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, newContext, pathOf, signIn } from '../lib/browser.js';
import { startRelay } from '../lib/relay.js';

let relay;
let browser;

before(async () => {
  relay = await startRelay({ env: { HOMEVISIT_RELAY_DASHBOARD_IDLE_SECONDS: '2' } });
  browser = await launch();
});

after(async () => {
  await browser?.close().catch(() => {});
  await relay?.stop();
});

test('a session idle longer than HOMEVISIT_RELAY_DASHBOARD_IDLE_SECONDS lands on the sign-in page', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await signIn(page, relay, relay.coordinator);
    assert.equal(pathOf(page), '/dashboard/overview');
    await page.goto(`${relay.origin}/dashboard/visits`);
    assert.equal(pathOf(page), '/dashboard/visits', 'signed in while active');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await page.goto(`${relay.origin}/dashboard/visits`);
    assert.equal(pathOf(page), '/dashboard/sign-in');
    const res = await page.request.get(`${relay.origin}/dashboard/overview`, { maxRedirects: 0 });
    assert.equal(res.status(), 303);
    assert.equal(new URL(res.headers().location, relay.origin).pathname, '/dashboard/sign-in');
  } finally {
    await context.close();
  }
});

test('five wrong passwords lock the account: the right one is then refused with 429', async () => {
  const admin = relay.accounts.find((a) => a.role === 'district_admin');
  assert.ok(admin, 'the demo prints a district administrator\'s sign-in');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const attempt = async (password) => {
      await page.goto(`${relay.origin}/dashboard/sign-in`);
      await page.fill('input[name=username]', admin.username);
      await page.fill('input[name=password]', password);
      const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/dashboard/sign-in'));
      await page.click('button[type=submit]');
      const res = await answered;
      await page.waitForLoadState();
      return res.status();
    };
    const wrong = [];
    for (let i = 0; i < 5; i += 1) wrong.push(await attempt(`${admin.password}-wrong`));
    // Refused each time (the fifth, which locks, may already say 429).
    assert.deepEqual(wrong.slice(0, 4), [401, 401, 401, 401]);
    assert.ok([401, 429].includes(wrong[4]), `the fifth: ${wrong[4]}`);
    assert.equal(await attempt(admin.password), 429);
    assert.equal(pathOf(page), '/dashboard/sign-in');
    assert.match(await page.textContent('main'), /try again later/i);
    assert.equal((await context.cookies()).some((c) => c.name === 'hv_session'), false, 'no session');
  } finally {
    await context.close();
  }
});
