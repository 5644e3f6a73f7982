// The coordinator dashboard end to end, on one demo relay: two educators' phones (the device CLI)
// record a visit and sync; then, in headless Chromium, the school's coordinator finds it, reads the
// overview's figures (checked against the roster files and the visit log), downloads stipends and
// marks one paid; school B's data stays out of reach; CSRF and cross-site posts are refused;
// screenshots of the main pages; the district administrator sees both schools; sign-out ends a
// session.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launch, newContext, pathOf, signIn, WAIT } from '../lib/browser.js';
import { parseCsvObjects } from '../lib/csv.js';
import { attr, serveHtml } from '../lib/http.js';
import { paths } from '../lib/paths.js';
import { Phone } from '../lib/phone.js';
import { startRelay } from '../lib/relay.js';
import { readDistrict } from '../lib/roster.js';
import { completedVisits, educatorIdsOf, STIPEND_HEADER } from '../lib/reports.js';

const district = readDistrict(paths.demoDistrict);
const [A, B] = district;
const educatorOf = (school, sourcedId) => school.educators.find((e) => e.sourcedId === sourcedId);
const rivera = educatorOf(A, 'stf-rivera');
const okafor = educatorOf(A, 'stf-okafor');
const morales = A.families.find((f) => f.key === 'g-morales-1');
const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('the dashboard on the demo district', () => {
  let relay;
  let browser;
  let context;
  let page;
  const phones = [];
  let visitId;

  before(async () => {
    relay = await startRelay();
    browser = await launch();
    context = await newContext(browser);
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await relay?.stop();
    phones.forEach((p) => p.remove());
  });

  /** The stipend CSV the page links to, downloaded as a person does; parsed. */
  async function downloadStipends() {
    await page.goto(`${relay.origin}/dashboard/stipends`);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.click('a[data-test=stipends-csv]')]);
    const text = readFileSync(await download.path(), 'utf8');
    return { text, ...parseCsvObjects(text) };
  }

  /** The query (`from`, `to`, ...) of the stipend CSV link on the stipends page. */
  async function stipendPeriod() {
    await page.goto(`${relay.origin}/dashboard/stipends`);
    const href = await page.getAttribute('a[data-test=stipends-csv]', 'href');
    return new URL(href, relay.origin).searchParams;
  }

  /** The dashboard's visit log CSV for `query`, with the page's cookies. */
  async function visitsCsv(query = '') {
    const res = await page.request.get(`${relay.origin}/dashboard/exports/visits.csv${query}`);
    assert.equal(res.status(), 200, await res.text());
    return parseCsvObjects(await res.text());
  }

  const paidOf = (csv, educator) => csv.records.find((r) => r.educator_id === educator.id)?.paid;

  test('a phone a moment earlier: two educators plan, agree, complete, confirm and sync a visit', async () => {
    const invite = (name) => relay.invites.find((i) => i.name === name && i.role === 'educator')?.code;
    assert.ok(invite('Elena Rivera') && invite('Grace Okafor'), `invites printed: ${JSON.stringify(relay.invites)}`);
    const [phoneR, phoneO] = [new Phone('rivera'), new Phone('okafor')];
    phones.push(phoneR, phoneO);
    assert.deepEqual(await phoneR.enroll(relay.url, invite('Elena Rivera')), { school: A.id, educator: rivera.id });
    assert.deepEqual(await phoneO.enroll(relay.url, invite('Grace Okafor')), { school: A.id, educator: okafor.id });
    await phoneR.sync();
    await phoneO.sync();
    // The roster files and the relay's records name the same family.
    const roster = JSON.parse(await phoneR.cli('--json', 'roster'));
    assert.ok(roster.families.some((f) => f.id === morales.id && f.display_name === morales.name));

    // An hour ago, but today (UTC): the dashboard's default period is the school year up to today,
    // in UTC days, and on 1 July an hour ago may be last year.
    const now = Date.now();
    const at = Math.max(now - 3600_000, now - (now % 86400_000) + 30_000);
    const [start, end] = [at + 30_000, Math.max(at + 60_000, Math.min(at + 45 * 60_000, now - 30_000))];
    visitId = (await phoneR.cli('visit', 'plan', '--family', morales.id, '--educators', `${rivera.id},${okafor.id}`,
      '--at', rfc3339(at), '--agreed-by', rivera.id)).trim();
    assert.match(visitId, /^[0-9a-f-]{36}$/);
    await phoneR.cli('visit', 'outcome', visitId, '--status', 'completed', '--start', rfc3339(start),
      '--end', rfc3339(end), '--by', rivera.id);
    await phoneR.sync();
    await phoneO.sync();
    await phoneO.cli('visit', 'confirm', visitId, '--by', okafor.id);
    await phoneO.sync();
    await phoneR.sync();
    const shown = JSON.parse(await phoneR.cli('--json', 'visit', 'show', visitId));
    assert.equal(shown.log.outcome.status, 'completed');
    assert.equal(shown.log.outcome.partner_confirmation?.educator_id, okafor.id, 'the partner confirmation came back');
  });

  test('the coordinator signs in and finds the visit in the visit log', async () => {
    assert.ok(visitId, 'the phones recorded a visit');
    assert.deepEqual([relay.coordinator.role, relay.coordinator.school], ['coordinator', A.id], 'the demo\'s first school\'s coordinator');
    await signIn(page, relay, relay.coordinator);
    assert.equal(pathOf(page), '/dashboard/overview');
    assert.equal((await page.textContent('[data-test=signed-in-as]')).trim(), relay.coordinator.username);

    await page.goto(`${relay.origin}/dashboard/visits`);
    const row = page.locator(`table[data-test=visits] tr[data-visit="${visitId}"]`);
    await row.waitFor();
    // The filters (educator, status, visit number) keep it; another status leaves it out.
    const filtered = async (query) => {
      await page.goto(`${relay.origin}/dashboard/visits?${query}`);
      await page.locator('table[data-test=visits], form[data-test=visit-filter]').first().waitFor();
      return page.locator(`tr[data-visit="${visitId}"]`).count();
    };
    assert.equal(await filtered(`educator=${okafor.id}&status=completed&visit_number=1`), 1);
    assert.equal(await filtered(`educator=${okafor.id}&status=planned`), 0);
    await page.goto(`${relay.origin}/dashboard/visits`);
    const link = row.locator('td, th').first().locator('a');
    assert.equal(await link.getAttribute('href'), `/dashboard/visits/${visitId}`);
    await Promise.all([page.waitForNavigation(), link.click()]);
    assert.equal(pathOf(page), `/dashboard/visits/${visitId}`);
    assert.match(await page.textContent('[data-test=visit-status]'), /complet/i);
    const educators = await page.textContent('[data-test=visit-educators]');
    assert.ok(educators.includes(rivera.name) && educators.includes(okafor.name), educators);
    // The school's policy (default) keeps notes from coordinators.
    assert.equal(await page.locator('[data-test=notes]').count(), 0);
  });

  test('reach and staff on the overview agree with the roster and the visit log', async () => {
    const log = await visitsCsv();
    const completed = completedVisits(log);
    const mine = completed.find((r) => r.visit_id === visitId);
    assert.ok(mine, 'the new visit is completed in the visit log CSV');
    assert.equal(mine.family_id, morales.id);

    const visitedFamilies = new Set(completed.filter((r) => r.school_id === A.id).map((r) => r.family_id));
    const studentsVisited = A.families.filter((f) => visitedFamilies.has(f.id)).reduce((n, f) => n + f.students.length, 0);
    const staffVisiting = new Set(completed.filter((r) => r.school_id === A.id).flatMap(educatorIdsOf));
    assert.ok(staffVisiting.has(rivera.id) && staffVisiting.has(okafor.id));

    await page.goto(`${relay.origin}/dashboard/overview`);
    const figure = async (test) => {
      const el = page.locator(`[data-test=${test}][data-school="${A.id}"]`);
      return { part: Number(await el.getAttribute('data-part')), whole: Number(await el.getAttribute('data-whole')) };
    };
    assert.deepEqual(await figure('reach'), { part: studentsVisited, whole: A.students.length });
    assert.deepEqual(await figure('staff'), {
      part: A.educators.filter((e) => staffVisiting.has(e.id)).length,
      whole: A.educators.length,
    });
    assert.equal(await page.locator(`[data-school="${B.id}"]`).count(), 0, 'school B is not on A\'s overview');
  });

  test('the stipend CSV counts the visit for both educators, and a paid mark made on the page', async () => {
    const period = await stipendPeriod();
    const csv = await downloadStipends();
    assert.equal(csv.text.split(/\r?\n/)[0], STIPEND_HEADER);
    // What each educator's row must count: the visit log over the same period.
    const log = await visitsCsv(`?from=${period.get('from')}&to=${period.get('to')}`);
    const completed = completedVisits(log);
    assert.ok(completed.some((r) => r.visit_id === visitId), 'the new visit is in the stipend period');
    for (const educator of [rivera, okafor]) {
      const row = csv.records.find((r) => r.educator_id === educator.id);
      assert.ok(row, `a stipend row for ${educator.sourcedId}`);
      assert.equal(row.educator, educator.name);
      assert.equal(row.school_id, A.id);
      const theirs = completed.filter((r) => educatorIdsOf(r).includes(educator.id));
      assert.equal(Number(row.completed_visits), theirs.length);
      assert.equal(Number(row.partner_confirmed_visits), theirs.filter((r) => r.documented === 'yes').length);
      assert.ok(Number(row.partner_confirmed_visits) >= 1, 'the new visit was confirmed by the partner');
      assert.equal(row.paid, 'no');
      // Rivera was trained in 2025 (users.csv), Okafor never: only a trained educator's documented
      // visits are paid, at the default rate.
      assert.equal(row.training_valid, educator.trainingDate ? 'yes' : 'no');
      assert.equal(row.rate, '40.00');
      if (educator === rivera) assert.equal(row.amount, (40 * Number(row.partner_confirmed_visits)).toFixed(2));
    }
    assert.ok(csv.records.every((r) => r.school_id === A.id));

    await page.goto(`${relay.origin}/dashboard/stipends`);
    await Promise.all([
      page.waitForNavigation(),
      page.click(`table[data-test=stipends] tr[data-educator="${rivera.id}"] form[data-test=mark-paid] [type=submit]`),
    ]);
    const after = await downloadStipends();
    assert.equal(paidOf(after, rivera), 'yes');
    assert.equal(paidOf(after, okafor), 'no');

    // The operator's export command computes the same files, paid mark included.
    const span = ['--school', A.id, '--from', period.get('from'), '--to', period.get('to')];
    const exported = parseCsvObjects(await relay.relayCli(['export', 'stipends', ...span]));
    assert.deepEqual(exported, { header: after.header, records: after.records });
    assert.deepEqual(parseCsvObjects(await relay.relayCli(['export', 'visits', ...span])), log);
  });

  test('CSRF: a post without the token or with a wrong one is refused and changes nothing', async () => {
    await page.goto(`${relay.origin}/dashboard/stipends`);
    const form = page.locator(`tr[data-educator="${okafor.id}"] form[data-test=mark-paid]`);
    const fields = Object.fromEntries(await form.locator('input[name]').evaluateAll((inputs) => inputs.map((i) => [i.name, i.value])));
    assert.ok(fields.csrf, 'the form carries its token');
    const markOkafor = (paid, csrf, headers = {}) => {
      const form = { ...fields, paid };
      if (csrf === undefined) delete form.csrf; else form.csrf = csrf;
      return page.request.post(`${relay.origin}/dashboard/stipends/paid`, { form, headers, maxRedirects: 0 });
    };
    const wrong = fields.csrf.replace(/./g, (c) => (c === 'a' ? 'b' : 'a'));
    assert.equal((await markOkafor('true', undefined)).status(), 403);
    assert.equal((await markOkafor('true', wrong)).status(), 403);
    assert.equal((await markOkafor('true', '')).status(), 403);
    const signOut = (csrf) => page.request.post(`${relay.origin}/dashboard/sign-out`, {
      form: csrf === undefined ? {} : { csrf }, maxRedirects: 0,
    });
    assert.equal((await signOut(undefined)).status(), 403);
    assert.equal((await signOut(wrong)).status(), 403);

    // Nothing changed: still signed in, and the paid marks are as they were.
    await page.goto(`${relay.origin}/dashboard/overview`);
    assert.equal(pathOf(page), '/dashboard/overview');
    let csv = await downloadStipends();
    assert.deepEqual([paidOf(csv, rivera), paidOf(csv, okafor)], ['yes', 'no']);

    // The control: the same request with the right token (and the relay's own origin) is taken.
    const taken = await markOkafor('true', fields.csrf, { Origin: relay.origin });
    assert.ok(taken.status() < 400, `status ${taken.status()}`);
    csv = await downloadStipends();
    assert.equal(paidOf(csv, okafor), 'yes');
    assert.ok((await markOkafor('false', fields.csrf, { Origin: relay.origin })).status() < 400);
    csv = await downloadStipends();
    assert.equal(paidOf(csv, okafor), 'no');
  });

  test('a cross-site form that posts a paid mark is refused, even with the page\'s token', async () => {
    await page.goto(`${relay.origin}/dashboard/stipends`);
    const form = page.locator(`tr[data-educator="${okafor.id}"] form[data-test=mark-paid]`);
    const fields = Object.fromEntries(await form.locator('input[name]').evaluateAll((inputs) => inputs.map((i) => [i.name, i.value])));
    // Even a leaked token must not let another site post: the cookie (SameSite=Strict) stays home
    // from a cross-site post, and a foreign Origin is refused.
    const inputs = Object.entries({ ...fields, paid: 'true' })
      .map(([k, v]) => `<input type="hidden" name="${attr(k)}" value="${attr(v)}">`).join('');
    const site = await serveHtml(() => `<!doctype html><html><body>
      <form id="f" method="post" action="${attr(relay.origin)}/dashboard/stipends/paid">${inputs}</form>
      <script>document.getElementById('f').submit();</script></body></html>`);
    try {
      // 127.0.0.1 on another port: same site, another origin (Origin refused); localhost: another
      // site (no cookie, Sec-Fetch-Site: cross-site).
      for (const host of ['127.0.0.1', 'localhost']) {
        const attacker = await context.newPage();
        const answered = attacker.waitForResponse((r) => r.url().endsWith('/dashboard/stipends/paid') && r.request().method() === 'POST', { timeout: WAIT });
        await attacker.goto(`http://${host}:${site.port}/`);
        const res = await answered;
        const location = res.headers().location ?? '';
        assert.ok(res.status() === 403 || (res.status() >= 300 && res.status() < 400 && location.includes('/dashboard/sign-in')),
          `from ${host}: status ${res.status()} ${location}`);
        await attacker.close();
      }
    } finally {
      await site.close();
    }
    const csv = await downloadStipends();
    assert.equal(paidOf(csv, okafor), 'no', 'the paid mark is unchanged');
  });

  test('school isolation: nothing of school B reaches school A\'s coordinator', async () => {
    // B's visits, from the relay's own export (the operator's command).
    const exported = parseCsvObjects(await relay.relayCli(['export', 'visits', '--all-schools', '--from', '2000-01-01', '--to', '2100-12-31']));
    const visitsOfB = exported.records.filter((r) => r.school_id === B.id).map((r) => r.visit_id);
    assert.ok(visitsOfB.length > 0, 'the demo has visits at school B');
    assert.ok(exported.records.some((r) => r.visit_id === visitId), 'the export holds A\'s new visit too');
    const haddad = educatorOf(B, 'stf-haddad');
    // Every id and name of school B that must never reach school A's coordinator.
    const secretsOfB = [
      B.id, B.name, ...visitsOfB,
      ...B.educators.flatMap((e) => [e.id, e.name, e.familyName]),
      ...B.families.flatMap((f) => [f.id, f.name, f.surname, ...f.guardianNames]),
    ];
    const s = encodeURIComponent(B.id);
    const urls = [
      `/dashboard/overview?school=${s}`,
      `/dashboard/visits?school=${s}`,
      `/dashboard/visits?educator=${haddad.id}`,
      ...visitsOfB.map((v) => `/dashboard/visits/${v}`),
      ...visitsOfB.map((v) => `/dashboard/visits/${v}?school=${s}`),
      `/dashboard/educators?school=${s}`,
      `/dashboard/fidelity?school=${s}`,
      `/dashboard/stipends?school=${s}`,
      `/dashboard/exports/stipends.csv?school=${s}`,
      `/dashboard/exports/visits.csv?school=${s}`,
      `/dashboard/exports/visits.csv?educator=${haddad.id}`,
      `/dashboard/exports/evaluation.csv?school=${s}`,
      // And A's own pages and exports: only A.
      '/dashboard/overview', '/dashboard/visits', '/dashboard/educators', '/dashboard/fidelity', '/dashboard/stipends',
      '/dashboard/exports/stipends.csv', '/dashboard/exports/visits.csv', '/dashboard/exports/evaluation.csv',
    ];
    for (const url of urls) {
      const res = await page.request.get(`${relay.origin}${url}`, { maxRedirects: 0 });
      const body = await res.text();
      assert.ok([200, 404].includes(res.status()), `${url}: status ${res.status()}`);
      if (url.includes(s) || visitsOfB.some((v) => url.includes(v))) {
        assert.equal(res.status(), 404, `${url} names school B or its visit: 404`);
      }
      for (const secret of secretsOfB) {
        assert.ok(!body.includes(secret), `${url} (${res.status()}) shows school B's ${secret}`);
      }
    }
    // A paid mark for B's educator at B's school is refused too.
    await page.goto(`${relay.origin}/dashboard/stipends`);
    const csrf = await page.getAttribute('form[data-test=mark-paid] input[name=csrf]', 'value');
    const period = await stipendPeriod();
    const res = await page.request.post(`${relay.origin}/dashboard/stipends/paid`, {
      form: { school: B.id, from: period.get('from'), to: period.get('to'), educator: haddad.id, paid: 'true', csrf },
      headers: { Origin: relay.origin },
      maxRedirects: 0,
    });
    assert.equal(res.status(), 404);
  });

  test('screenshots of the overview, the visit log, educators, fidelity and stipends at laptop and phone width, English and Spanish', async () => {
    mkdirSync(paths.screenshots, { recursive: true });
    const shots = [];
    const shoot = async (name, query, width, height, lang) => {
      await page.setViewportSize({ width, height });
      await page.goto(`${relay.origin}/dashboard/${name}${query}`);
      assert.equal(pathOf(page), `/dashboard/${name}`, 'still signed in');
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      // Wide tables scroll inside their own box: the page itself never scrolls sideways.
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(pageWidth <= width, `${name} at ${width} px is ${pageWidth} px wide`);
      const file = path.join(paths.screenshots, `${name}-${lang}-${width}x${height}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push(file);
    };
    for (const [width, height] of [[1280, 800], [390, 844]]) {
      for (const name of ['overview', 'visits', 'educators', 'fidelity', 'stipends']) await shoot(name, '?lang=en', width, height, 'en');
    }
    await shoot('overview', '?lang=es', 1280, 800, 'es');
    await shoot('overview', '', 390, 844, 'es'); // the language cookie holds
    await page.goto(`${relay.origin}/dashboard/overview?lang=en`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en', 'English again');
    for (const file of shots) assert.ok(statSync(file).size > 10_000, `${file} holds a rendered page`);
  });

  test('the district administrator sees both schools\' figures, each as its roster and visit log say', async () => {
    const admin = relay.accounts.find((a) => a.role === 'district_admin');
    assert.ok(admin, `the demo prints a district administrator's sign-in: ${JSON.stringify(relay.accounts.map((a) => a.role))}`);
    const other = await newContext(browser);
    try {
      const p = await other.newPage();
      await signIn(p, relay, admin);
      const res = await p.request.get(`${relay.origin}/dashboard/exports/visits.csv`);
      assert.equal(res.status(), 200);
      const completed = completedVisits(parseCsvObjects(await res.text()));
      await p.goto(`${relay.origin}/dashboard/overview`);
      for (const school of district) {
        const theirs = completed.filter((r) => r.school_id === school.id);
        const visited = new Set(theirs.map((r) => r.family_id));
        const visiting = new Set(theirs.flatMap(educatorIdsOf));
        const el = (kind) => p.locator(`[data-test=${kind}][data-school="${school.id}"]`);
        const ratio = async (kind) => [Number(await el(kind).getAttribute('data-part')), Number(await el(kind).getAttribute('data-whole'))];
        assert.deepEqual(await ratio('reach'), [
          school.families.filter((f) => visited.has(f.id)).reduce((n, f) => n + f.students.length, 0),
          school.students.length,
        ], school.name);
        assert.deepEqual(await ratio('staff'), [school.educators.filter((e) => visiting.has(e.id)).length, school.educators.length], school.name);
      }
    } finally {
      await other.close();
    }
  });

  test('the keyboard alone: sign in, skip to the content, reach the visit log and its visit', async () => {
    const other = await newContext(browser);
    try {
      const p = await other.newPage();
      await p.goto(`${relay.origin}/dashboard/sign-in`);
      // Tab from the top of the page until the username field has focus (the skip link, the
      // language links come first); every stop on the way is a link, field or button.
      const focused = () => p.evaluate(() => {
        const e = document.activeElement;
        return { tag: e?.tagName, name: e?.getAttribute('name'), test: e?.dataset?.test, href: e?.getAttribute('href') };
      });
      let stop;
      for (let i = 0; i < 12; i += 1) {
        await p.keyboard.press('Tab');
        stop = await focused();
        assert.ok(['A', 'INPUT', 'BUTTON', 'SELECT'].includes(stop.tag), `a focus stop that is not a control: ${JSON.stringify(stop)}`);
        if (stop.name === 'username') break;
      }
      assert.equal(stop.name, 'username', 'the username field is reached by Tab');
      await p.keyboard.type(relay.coordinator.username);
      await p.keyboard.press('Tab');
      assert.equal((await focused()).name, 'password');
      await p.keyboard.type(relay.coordinator.password);
      await Promise.all([p.waitForNavigation(), p.keyboard.press('Enter')]);
      assert.equal(pathOf(p), '/dashboard/overview', 'signed in with Enter');

      // The first Tab stop is the skip link; Enter on it moves to the main content.
      await p.keyboard.press('Tab');
      assert.equal((await focused()).href, '#main', 'the first stop skips to the content');
      // A visible focus ring: the focused link is outlined.
      const outline = await p.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(outline, 'none', 'the focused element shows where focus is');
      await p.keyboard.press('Enter');
      assert.equal(new URL(p.url()).hash, '#main');

      // The navigation's visit log link, followed with Enter, then the new visit's link.
      await p.focus('nav.main-nav a[href^="/dashboard/visits"]');
      await Promise.all([p.waitForNavigation(), p.keyboard.press('Enter')]);
      assert.equal(pathOf(p), '/dashboard/visits');
      await p.focus(`tr[data-visit="${visitId}"] a`);
      await Promise.all([p.waitForNavigation(), p.keyboard.press('Enter')]);
      assert.equal(pathOf(p), `/dashboard/visits/${visitId}`);
    } finally {
      await other.close();
    }
  });

  test('sign-out ends the session: its cookie, replayed, no longer works', async () => {
    const other = await newContext(browser);
    try {
      const p = await other.newPage();
      await signIn(p, relay, relay.coordinator);
      assert.equal(pathOf(p), '/dashboard/overview');
      const cookies = await other.cookies();
      const session = cookies.find((c) => c.name === 'hv_session');
      assert.ok(session, `a session cookie: ${cookies.map((c) => c.name)}`);
      assert.equal(session.httpOnly, true);
      assert.equal(session.secure, true);
      assert.equal(session.sameSite, 'Strict');
      assert.equal(session.path, '/dashboard');

      const replay = async () => {
        const c = await newContext(browser);
        try {
          await c.addCookies(cookies);
          const q = await c.newPage();
          await q.goto(`${relay.origin}/dashboard/overview`);
          return pathOf(q);
        } finally {
          await c.close();
        }
      };
      assert.equal(await replay(), '/dashboard/overview', 'the cookie works before sign-out');
      await p.goto(`${relay.origin}/dashboard/visits`);
      await Promise.all([p.waitForNavigation(), p.locator('form[data-test=sign-out] [type=submit]').click()]);
      assert.equal(pathOf(p), '/dashboard/sign-in');
      assert.equal(await replay(), '/dashboard/sign-in', 'the old cookie no longer works');
    } finally {
      await other.close();
    }
  });
});
