/**
 * Regenerates docs/configuration.md and etc/nova-docker-bridge.conf.sample from
 * the option definitions (src/config/options/). Run after adding or changing an
 * option: `npm run gen:config`. With --check, writes nothing and exits 1 when a
 * committed file differs from a fresh render.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONFIG_DEFS } from '../src/config/options/index.js';
import { renderConfigMarkdown, renderConfigSample } from '../src/config/render-config-docs.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const targets = [
  { path: 'docs/configuration.md', text: renderConfigMarkdown(CONFIG_DEFS) },
  { path: 'etc/nova-docker-bridge.conf.sample', text: renderConfigSample(CONFIG_DEFS) },
];

const check = process.argv.includes('--check');
let stale = 0;
for (const t of targets) {
  const file = `${root}${t.path}`;
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === t.text) {
    console.log(`${t.path}: up to date`);
  } else if (check) {
    console.error(`${t.path}: out of date; run npm run gen:config`);
    stale++;
  } else {
    writeFileSync(file, t.text);
    console.log(`${t.path}: written`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
