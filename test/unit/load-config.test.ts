import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBridgeError } from '../../src/errors/bridge-error.js';
import { loadConfig, parseIniText, readIniFiles, resolveConfig } from '../../src/config/load-config.js';
import { boolOpt, intOpt, listOpt, optionalStringOpt, stringOpt, type ConfigDefs } from '../../src/config/option-types.js';

let dir: string;
let warnings: string[];
const warn = (m: string): void => void warnings.push(m);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-config-'));
  warnings = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Runs `fn`, which must throw a BridgeError; returns it. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isBridgeError(err, 'ERR_CONFIG_INVALID')).toBe(true);
    return err as Error;
  }
  throw new Error('expected an ERR_CONFIG_INVALID error, nothing was thrown');
}

describe('loadConfig with the real option table', () => {
  it('uses every default when no file is given, the hostname for [DEFAULT] host', () => {
    const c = loadConfig([], { warn });
    expect(c.DEFAULT.host).toBe(os.hostname());
    expect(c.DEFAULT.transport_url).toBe('rabbit://guest:guest@127.0.0.1:5672/');
    expect(c.DEFAULT.rpc_response_timeout).toBe(60);
    expect(c.DEFAULT.debug).toBe(false);
    expect(c.bridge.topic).toBe('docker_bridge');
    expect(c.oslo_messaging_rabbit.ssl_ca_file).toBeNull();
    expect(warnings).toEqual([]);
  });

  it('lets later files override earlier ones, key by key', () => {
    const a = file('a.conf', '[DEFAULT]\nhost = node-a\ndebug = true\nrpc_response_timeout = 30\n');
    const b = file('b.conf', '[DEFAULT]\nhost = node-b\n[bridge]\ntopic = other\n');
    const c = loadConfig([a, b], { warn });
    expect(c.DEFAULT.host).toBe('node-b');
    // b.conf does not mention these, so a.conf's values stand.
    expect(c.DEFAULT.debug).toBe(true);
    expect(c.DEFAULT.rpc_response_timeout).toBe(30);
    expect(c.bridge.topic).toBe('other');
  });

  it('names file, section and key of a bad value, and hides secrets', () => {
    const good = file('good.conf', '[DEFAULT]\nrpc_response_timeout = 5\n');
    const bad = file('bad.conf', '[DEFAULT]\nrpc_response_timeout = soon\n');
    const err = thrown(() => loadConfig([good, bad], { warn }));
    expect(err.message).toContain(bad);
    expect(err.message).toContain('[DEFAULT] rpc_response_timeout');
    expect(err.message).toContain('"soon"');
    expect(err.message).toMatch(/must be an integer/);
    expect((err as unknown as { details: unknown }).details).toEqual({ file: bad, section: 'DEFAULT', key: 'rpc_response_timeout' });

    const secret = file('secret.conf', '[DEFAULT]\ntransport_url = kafka://user:hunter2@h/\n');
    const err2 = thrown(() => loadConfig([secret], { warn }));
    expect(err2.message).toContain(`${secret}: [DEFAULT] transport_url = <secret>`);
    expect(err2.message).not.toContain('hunter2');
    // A password with an unescaped "," parses as a broker list: the parser's message would quote it.
    const comma = file('comma.conf', '[DEFAULT]\ntransport_url = rabbit://u:sec,ret@h/\n');
    const err3 = thrown(() => loadConfig([comma], { warn }));
    expect(err3.message).toContain('transport_url = <secret>: invalid');
    expect(err3.message).not.toContain('"sec"');
    expect(err3.message).not.toContain('ret@');
  });

  it('rejects out-of-range values with the range', () => {
    const f = file('r.conf', '[DEFAULT]\nexecutor_thread_pool_size = 0\n');
    expect(thrown(() => loadConfig([f])).message).toMatch(/\[DEFAULT\] executor_thread_pool_size = "0": must be >= 1/);
    // Timers overflow past 2^31 ms (they would fire at once) and AMQP fields are 16 bits.
    const t = file('t.conf', '[DEFAULT]\nrpc_response_timeout = 99999999\n');
    expect(thrown(() => loadConfig([t])).message).toMatch(/rpc_response_timeout = "99999999": must be <= 86400/);
    const e = file('e.conf', '[compute]\nallowed_container_formats =\n');
    expect(thrown(() => loadConfig([e])).message).toMatch(/\[compute\] allowed_container_formats = "": must list at least one value/);
    const h = file('h.conf', '[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = 70000\n');
    expect(thrown(() => loadConfig([h])).message).toMatch(/heartbeat_timeout_threshold = "70000": must be <= 65535/);
  });

  it('warns about unknown keys and sections, naming the file, and ignores them', () => {
    const f = file('u.conf', '[DEFAULT]\nhots = typo\n[nosuch]\nx = 1\n');
    const c = loadConfig([f], { warn });
    expect(c.DEFAULT.host).toBe(os.hostname());
    expect(warnings).toEqual([`${f}: unknown option [DEFAULT] hots: ignored`, `unknown section [nosuch] in ${f}: ignored`]);
  });

  it('puts keys before the first section header into [DEFAULT]', () => {
    const f = file('top.conf', 'host = early\ndebug = yes\n[bridge]\ntopic = t1\n');
    const c = loadConfig([f], { warn });
    expect(c.DEFAULT.host).toBe('early');
    expect(c.DEFAULT.debug).toBe(true);
    expect(c.bridge.topic).toBe('t1');
    expect(warnings).toEqual([]);
  });

  it('keeps "#" and ";" inside values (only whole-line comments), as oslo.config does', () => {
    const f = file(
      'c.conf',
      '# a comment\n; another\n[DEFAULT]\n  # indented comment\ntransport_url = rabbit://nova:pa;ss@mq:5672/\ncontrol_exchange = ex#1;b\n',
    );
    const c = loadConfig([f], { warn });
    expect(c.DEFAULT.transport_url).toBe('rabbit://nova:pa;ss@mq:5672/');
    expect(c.DEFAULT.control_exchange).toBe('ex#1;b');
    expect(warnings).toEqual([]);
  });

  it('returns a frozen configuration', () => {
    const c = loadConfig([]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.DEFAULT)).toBe(true);
  });

  it('names the file that cannot be read', () => {
    const missing = path.join(dir, 'missing.conf');
    expect(thrown(() => loadConfig([missing])).message).toContain(`cannot read config file ${missing}`);
  });

  it('applies overrides after the files', () => {
    const f = file('o.conf', '[bridge]\ntopic = from_file\n');
    expect(loadConfig([f], { overrides: { bridge: { topic: 'from_override' } } }).bridge.topic).toBe('from_override');
  });
});

describe('option parsing through resolveConfig', () => {
  const defs = {
    DEFAULT: {
      help: 'test',
      options: {
        flag: boolOpt({ help: 'a flag', default: false }),
        count: intOpt({ help: 'a count', default: 1, min: 0, max: 10 }),
        names: listOpt({ help: 'names', default: [] }),
        maybe: optionalStringOpt({ help: 'optional', default: 'preset' }),
        renamed: stringOpt({ help: 'renamed', default: 'd', deprecatedNames: ['old_name'] }),
      },
    },
  } as const satisfies ConfigDefs;

  function resolve(text: string) {
    return resolveConfig(defs, parseRaw(text), { warn });
  }
  function parseRaw(text: string) {
    return readIniFiles([file('t.conf', text)]);
  }

  it.each([
    ['true', true],
    ['True', true],
    ['yes', true],
    ['on', true],
    ['1', true],
    ['false', false],
    ['NO', false],
    ['off', false],
    ['0', false],
  ])('boolean %j → %s', (text, value) => {
    expect(resolve(`flag = ${text}\n`).DEFAULT.flag).toBe(value);
  });

  it('rejects a boolean that is neither', () => {
    expect(thrown(() => resolve('flag = maybe\n')).message).toMatch(/\[DEFAULT\] flag = "maybe": must be true or false/);
  });

  it.each([
    ['count = 10', 10],
    ['count = +3', 3],
    ['count = 0', 0],
  ])('integer %j', (line, value) => {
    expect(resolve(`${line}\n`).DEFAULT.count).toBe(value);
  });

  it.each(['count = 11', 'count = -1', 'count = 1.5', 'count = 0x10', 'count ='])('rejects %j', (line) => {
    expect(thrown(() => resolve(`${line}\n`)).message).toContain('[DEFAULT] count');
  });

  it('splits lists on commas, trimming and dropping empty items', () => {
    expect(resolve('names = a, b ,,c\n').DEFAULT.names).toEqual(['a', 'b', 'c']);
  });

  it('an empty optional string means unset', () => {
    expect(resolve('maybe =\n').DEFAULT.maybe).toBeNull();
    expect(resolve('').DEFAULT.maybe).toBe('preset');
  });

  it('accepts a deprecated name with a warning', () => {
    const c = resolve('old_name = v\n');
    expect(c.DEFAULT.renamed).toBe('v');
    expect(warnings).toEqual([expect.stringContaining('[DEFAULT] old_name is deprecated; use renamed')]);
  });

  it('prefers the current name over a deprecated one', () => {
    expect(resolve('old_name = old\nrenamed = new\n').DEFAULT.renamed).toBe('new');
  });
});

describe('parseIniText', () => {
  it('reads sections, both separators, quotes and comments like oslo.config', () => {
    const text = [
      'top = 1',
      '[DEFAULT]',
      'a = "quoted # not a comment"',
      "b = 'single'",
      'c: colon separated',
      'd = x = y',
      'e =',
      '  f = indented  ',
      '# comment = no',
      '; comment = no',
      '[oslo_messaging_rabbit]',
      'g = "unbalanced',
      '[a.b]',
      'h = dotted section',
    ].join('\r\n');
    expect(parseIniText(text, 'x.conf').map((e) => [e.section, e.key, e.value, e.line])).toEqual([
      ['DEFAULT', 'top', '1', 1],
      ['DEFAULT', 'a', 'quoted # not a comment', 3],
      ['DEFAULT', 'b', 'single', 4],
      ['DEFAULT', 'c', 'colon separated', 5],
      ['DEFAULT', 'd', 'x = y', 6],
      ['DEFAULT', 'e', '', 7],
      ['DEFAULT', 'f', 'indented', 8],
      ['oslo_messaging_rabbit', 'g', '"unbalanced', 12],
      ['a.b', 'h', 'dotted section', 14],
    ]);
  });

  it('lets the last of repeated keys win', () => {
    const f = file('dup.conf', '[bridge]\ntopic = one\ntopic = two\n');
    expect(readIniFiles([f]).get('bridge')?.get('topic')?.value).toBe('two');
  });

  it.each([
    ['a line that is not key = value', '[DEFAULT]\nhost\n', /bad\.conf:2: expected "key = value"/],
    ['a section header without "]"', '[DEFAULT\n', /bad\.conf:1: invalid section header/],
    ['an empty section name', '[ ]\n', /bad\.conf:1: invalid section header/],
    ['a missing key', '= value\n', /bad\.conf:1: missing option name/],
  ])('rejects %s with file and line', (_name, text, error) => {
    expect(thrown(() => parseIniText(text, 'bad.conf')).message).toMatch(error);
  });
});
