#!/usr/bin/env node
// Runs the compiled glance-docker (npm run build); in a source checkout without dist/, runs the TypeScript through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${root}dist/glance/cli/glance-docker.js`;
let entry;
if (existsSync(compiled)) {
  entry = pathToFileURL(compiled).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(`${root}glance/cli/glance-docker.ts`).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
