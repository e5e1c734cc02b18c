/**
 * `glance-docker` for the benchmark: the same `main` bin/glance-docker.js
 * runs, compiled with the rest by bench/glance/run.ts into a private output
 * directory and run with plain node (no tsx), so its RSS and time are the
 * product's.
 */
import { main } from '../../glance/cli/glance-docker.js';

process.exitCode = await main(process.argv.slice(2));
