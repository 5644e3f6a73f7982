// An educator's phone, played by the device CLI (`homevisit --data DIR ...`) on its own temp store.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { paths } from './paths.js';

const run = promisify(execFile);

export class Phone {
  constructor(label) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), `homevisit-e2e-${label}-`));
  }

  /** `homevisit --data DIR ...args`; resolves to its stdout, rejects with its stderr. */
  async cli(...args) {
    try {
      const { stdout } = await run(paths.cli, ['--data', this.dir, ...args], { timeout: 30000, maxBuffer: 1 << 24 });
      return stdout;
    } catch (e) {
      throw new Error(`homevisit ${args.join(' ')} failed: ${e.stderr || e.message}`);
    }
  }

  /** Enrolls with `relayUrl`'s invite `code`; resolves to { school, educator } from its answer. */
  async enroll(relayUrl, code) {
    const out = await this.cli('enroll', '--relay', relayUrl, '--invite', code);
    const m = /school ([0-9a-f-]{36}), educator ([0-9a-f-]{36})/.exec(out);
    if (!m) throw new Error(`unexpected enroll answer: ${out}`);
    return { school: m[1], educator: m[2] };
  }

  /** Syncs; rejects if anything is left unsent or the relay refused a document. */
  async sync() {
    const out = await this.cli('sync');
    if (!/; 0 not yet on the relay/.test(out) || /refused/.test(out)) throw new Error(`sync incomplete: ${out}`);
    return out;
  }

  remove() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
