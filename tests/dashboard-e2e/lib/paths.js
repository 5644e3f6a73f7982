// Where the binaries, the demo district and the screenshots are: the repository's, unless the
// environment names the binaries (HOMEVISIT_RELAY_BIN, HOMEVISIT_CLI_BIN).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fromRoot = (p) => path.resolve(root, p);

export const paths = {
  root,
  relay: fromRoot(process.env.HOMEVISIT_RELAY_BIN ?? 'target/debug/homevisit-relay'),
  cli: fromRoot(process.env.HOMEVISIT_CLI_BIN ?? 'target/debug/homevisit'),
  demoDistrict: fromRoot('crates/homevisit-fixtures/demo-district'),
  screenshots: fromRoot('target/dashboard-screenshots'),
};
