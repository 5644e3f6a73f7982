// Debian's Chromium, headless, through playwright-core (no browser download), and the dashboard's
// sign-in as a person does it.

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.HOMEVISIT_CHROMIUM ?? '/usr/bin/chromium';

/** Every wait in these tests is bounded by this (ms). */
export const WAIT = 15000;

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30000,
  });
}

/** A fresh context (its own cookies) at laptop width, every wait bounded. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, ...options });
  context.setDefaultTimeout(WAIT);
  context.setDefaultNavigationTimeout(WAIT);
  return context;
}

/**
 * Fills the sign-in form on `page` and submits it; resolves once the next page has loaded. A
 * refused sign-in throws with what the browser sent and what the relay answered.
 */
export async function signIn(page, relay, { username, password }) {
  const form = await page.goto(`${relay.origin}/dashboard/sign-in`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/dashboard/sign-in'));
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (pathOf(page) === '/dashboard/sign-in') {
    const request = await posted;
    const response = await request.response();
    throw new Error(`sign-in as ${username} refused: status ${response?.status()}; the browser sent Origin: ` +
      `${(await request.allHeaders()).origin}, the sign-in page had Referrer-Policy: ` +
      `${form?.headers()['referrer-policy']}; the page says: ${(await page.textContent('main'))?.trim()}`);
  }
}

/** The URL's path on the relay. */
export const pathOf = (page) => new URL(page.url()).pathname;
