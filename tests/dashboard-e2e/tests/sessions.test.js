// Idle expiry of a dashboard session: a relay whose sessions expire after 2 idle seconds.

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
