/**
 * Every error code has a Python exception class of the name the RPC server
 * sends (exceptionClassForCode) in nova-shim/nova_docker_bridge/exception.py,
 * bound to that same code, and the Python file defines no class for a code we
 * do not have. This is what keeps the two lists equal.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../../src/errors/bridge-error.js';
import { BRIDGE_EXCEPTION_MODULE, exceptionClassForCode } from '../../../src/rpc/remote-failure.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PY_FILE = resolve(REPO_ROOT, 'nova-shim', ...BRIDGE_EXCEPTION_MODULE.split('.')) + '.py';

/** (class name, code) pairs of exception.py: the `('Name', 'ERR_CODE')` table and any `class Name(...): code = 'ERR_...'`. */
function pythonClasses(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*,\s*'(ERR_[A-Z0-9_]+)'\s*\)/g)) out.set(m[1] ?? '', m[2] ?? '');
  for (const m of text.matchAll(/^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*\([^)]*\)\s*:\s*\n(?:[ \t]+(?:"""[\s\S]*?"""|#.*)?\n)*?[ \t]+code\s*=\s*'(ERR_[A-Z0-9_]+)'/gm)) {
    out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

const text = readFileSync(PY_FILE, 'utf8');
const classes = pythonClasses(text);

describe(`${BRIDGE_EXCEPTION_MODULE} matches ERROR_CODES`, () => {
  test.each(Object.keys(ERROR_CODES) as ErrorCode[])('%s has its class', (code) => {
    const name = exceptionClassForCode(code);
    expect(classes.has(name), `${PY_FILE} lacks class ${name} for ${code}`).toBe(true);
    expect(classes.get(name)).toBe(code);
  });

  test('no Python class for a code that does not exist', () => {
    const known = new Set<string>(Object.keys(ERROR_CODES));
    const stray = [...classes].filter(([, code]) => !known.has(code));
    expect(stray).toEqual([]);
  });

  test('each class name is defined once', () => {
    const names = [...text.matchAll(/\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*,\s*'ERR_/g)].map((m) => m[1]);
    expect(new Set(names).size).toBe(names.length);
  });

  test('the base class keeps kwargs (Python re-raises klass(*args, **kwargs))', () => {
    expect(text).toMatch(/class BridgeError\(Exception\):/);
    expect(text).toMatch(/def __init__\(self, message=None, \*\*kwargs\):/);
    expect(text).toMatch(/self\.kwargs = kwargs/);
  });
});
