// A relay for one test file: `homevisit-relay --data TMP serve --demo` on 127.0.0.1 port 0, what
// it printed (address, invite codes, the dashboard's address and the coordinator's sign-in), and
// a stop that always ends the process and removes its data.

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { paths } from './paths.js';

const run = promisify(execFile);

/** Resolves when `predicate` holds for the lines read so far, or rejects after `ms`. */
function waitForLines(state, predicate, ms, what) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(state.lines)) { done(); resolve(); return true; }
      if (state.exited) { done(); reject(new Error(`the relay exited (${state.exited}) before ${what}:\n${state.lines.join('\n')}\n${state.stderr.slice(-2000)}`)); return true; }
      return false;
    };
    const timer = setTimeout(() => { done(); reject(new Error(`no ${what} within ${ms} ms:\n${state.lines.join('\n')}`)); }, ms);
    const done = () => { clearTimeout(timer); state.waiters.delete(check); };
    if (!check()) state.waiters.add(check);
  });
}

const SIGN_IN = /^ {2}sign in as (\S+) with password (\S+)\s*$/;
const ROLE = /^ {4}(\w+) of school ([0-9a-f-]{36})\s*$/;

/** The dashboard accounts the relay printed: { username, password, role, school }. */
function accountsIn(lines) {
  return lines.flatMap((line, i) => {
    const m = SIGN_IN.exec(line);
    if (!m) return [];
    const role = ROLE.exec(lines[i + 1] ?? '');
    return [{ username: m[1], password: m[2], role: role?.[1], school: role?.[2] }];
  });
}

/**
 * Starts a demo relay. `env` adds to the environment (e.g. the dashboard's idle expiry).
 * Returns { url, origin, dashboardUrl, invites: [{name, role, code}], accounts and coordinator
 * ({username, password, role, school}), data, relayCli(args), stop() }.
 */
export async function startRelay({ env = {} } = {}) {
  const data = mkdtempSync(path.join(os.tmpdir(), 'homevisit-e2e-relay-'));
  const child = spawn(paths.relay, ['--data', data, 'serve', '--demo', '--listen', '127.0.0.1:0', '--stop-after-secs', '600'], {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { lines: [], stderr: '', exited: null, waiters: new Set() };
  const notify = () => { for (const w of [...state.waiters]) w(); };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop();
    state.lines.push(...parts);
    notify();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { state.stderr = (state.stderr + chunk).slice(-20000); });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    state.exited = signal ?? `exit ${code}`;
    notify();
    resolve();
  }));
  child.on('error', (e) => { state.exited = `spawn error ${e.code}`; notify(); });

  const stop = async () => {
    if (state.exited === null) {
      child.kill('SIGTERM');
      const timeout = new Promise((resolve) => setTimeout(resolve, 5000, 'timeout'));
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      }
    }
    rmSync(data, { recursive: true, force: true });
  };

  try {
    // "  sign in as USERNAME with password PASSWORD", then "    ROLE of school SCHOOL_ID": the
    // demo's coordinator first, then a district administrator.
    await waitForLines(state, (lines) => lines.some((l) => SIGN_IN.test(l)), 30000, 'dashboard sign-in line');
    const printed = (role) => (lines) => accountsIn(lines).some((a) => a.role === role);
    await waitForLines(state, (lines) => printed('coordinator')(lines) && printed('district_admin')(lines), 5000, 'both accounts\' role lines')
      .catch(() => {}); // what was printed by then is all there is: the tests say what is missing
    const listening = state.lines.map((l) => /^homevisit relay listening on (http:\/\/127\.0\.0\.1:\d+)\s*$/.exec(l)).find(Boolean);
    if (!listening) throw new Error(`no address line:\n${state.lines.join('\n')}`);
    const dashboard = state.lines.map((l) => /^dashboard: (http:\/\/\S+\/dashboard)\s*$/.exec(l)).find(Boolean);
    if (!dashboard) throw new Error(`no "dashboard: URL" line:\n${state.lines.join('\n')}`);
    const invites = state.lines
      .map((l) => /^ {2}(\S.*?)\s+\((\w+)\s*\)\s+([0-9a-zA-Z]+)\s*$/.exec(l))
      .filter(Boolean)
      .map(([, name, role, code]) => ({ name, role, code }));
    const accounts = accountsIn(state.lines);
    const coordinator = accounts.find((a) => a.role === 'coordinator') ?? accounts[0];
    const url = listening[1];
    return {
      url,
      origin: new URL(url).origin,
      dashboardUrl: dashboard[1],
      invites,
      coordinator,
      accounts,
      data,
      /** Runs `homevisit-relay --data DATA ...args`; resolves to its stdout. */
      relayCli: async (args) => (await run(paths.relay, ['--data', data, ...args], { timeout: 30000, maxBuffer: 1 << 24 })).stdout,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
