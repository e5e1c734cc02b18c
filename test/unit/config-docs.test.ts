import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { boolOpt, intOpt, listOpt, optionalStringOpt, stringOpt, type ConfigDefs } from '../../src/config/option-types.js';
import { CONFIG_DEFS } from '../../src/config/options/index.js';
import {
  GEN_CONFIG_COMMAND,
  defaultAsText,
  renderConfigMarkdown,
  renderConfigSample,
  wrapText,
} from '../../src/config/render-config-docs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const committed = (p: string): string => readFileSync(path.join(root, p), 'utf8');

describe('committed configuration docs', () => {
  it(`docs/configuration.md equals a fresh render (else run ${GEN_CONFIG_COMMAND})`, () => {
    expect(committed('docs/configuration.md'), `docs/configuration.md is stale: run ${GEN_CONFIG_COMMAND}`).toBe(
      renderConfigMarkdown(CONFIG_DEFS),
    );
  });

  it(`etc/nova-docker-bridge.conf.sample equals a fresh render (else run ${GEN_CONFIG_COMMAND})`, () => {
    expect(committed('etc/nova-docker-bridge.conf.sample'), `the sample is stale: run ${GEN_CONFIG_COMMAND}`).toBe(
      renderConfigSample(CONFIG_DEFS),
    );
  });
});

describe('renderers over the real option table', () => {
  const md = renderConfigMarkdown(CONFIG_DEFS);
  const sample = renderConfigSample(CONFIG_DEFS);
  const sections = Object.keys(CONFIG_DEFS);

  it('lists every option under its own section, in both files', () => {
    for (const [i, section] of sections.entries()) {
      const mdStart = md.indexOf(`\n### [${section}]\n`);
      const mdEnd = i + 1 < sections.length ? md.indexOf(`\n### [${sections[i + 1]}]\n`) : md.length;
      const sStart = sample.indexOf(`\n[${section}]\n`);
      const sEnd = i + 1 < sections.length ? sample.indexOf(`\n[${sections[i + 1]}]\n`) : sample.length;
      expect(mdStart, `docs section [${section}]`).toBeGreaterThan(0);
      expect(sStart, `sample section [${section}]`).toBeGreaterThan(0);
      const mdPart = md.slice(mdStart, mdEnd);
      const samplePart = sample.slice(sStart, sEnd);
      for (const [key, opt] of Object.entries(CONFIG_DEFS[section as keyof typeof CONFIG_DEFS].options)) {
        expect(mdPart, `[${section}] ${key} in docs`).toContain(`\n#### \`${key}\`\n`);
        expect(samplePart, `[${section}] ${key} in sample`).toContain(`\n#${key} = ${defaultAsText(opt)}`.trimEnd());
      }
    }
  });

  it('keeps sample lines within 79 columns except unbreakable words', () => {
    for (const line of sample.split('\n')) {
      if (line.length > 79) expect(line.slice(2), `line too long: ${line}`).not.toMatch(/\s/);
    }
  });

  it('shows in the sample defaults that parse back to the defaults', () => {
    // Uncomment every option line whose default is a real value, then load it.
    const computed = new Set<string>();
    for (const def of Object.values(CONFIG_DEFS)) {
      for (const [key, opt] of Object.entries(def.options)) if (opt.defaultText !== undefined) computed.add(key);
    }
    const uncommented = sample
      .split('\n')
      .map((line) => {
        const m = /^#([A-Za-z0-9_]+) =(.*)$/.exec(line);
        return m && !computed.has(m[1] ?? '') ? line.slice(1) : line;
      })
      .join('\n');
    expect(uncommented).not.toBe(sample);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-sample-'));
    try {
      const file = path.join(dir, 'sample.conf');
      writeFileSync(file, uncommented);
      const warnings: string[] = [];
      expect(loadConfig([file], { warn: (m) => void warnings.push(m) })).toEqual(loadConfig([]));
      expect(warnings).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderers over a small table', () => {
  const defs = {
    DEFAULT: {
      help: 'Section <help>.',
      options: {
        password: stringOpt({ help: 'A password.', default: 'pw', secret: true }),
        computed: stringOpt({ help: 'Computed.', default: () => 'machine-specific' }),
        described: stringOpt({ help: 'Described.', default: () => 'x', defaultText: '<the hostname>' }),
        nothing: optionalStringOpt({ help: 'Optional.', default: null }),
        names: listOpt({ help: 'A list.', default: ['a', 'b'] }),
        empty: listOpt({ help: 'Empty list.', default: [] }),
        newer: intOpt({ help: 'Renamed.', default: 3, min: 1, max: 5, deprecatedNames: ['older'] }),
        piped: stringOpt({ help: 'Pipe.', default: 'a|b' }),
        flag: boolOpt({ help: 'x '.repeat(60).trim(), default: true }),
      },
    },
  } as const satisfies ConfigDefs;
  const md = renderConfigMarkdown(defs);
  const sample = renderConfigSample(defs);

  it.each([
    ['password', 'pw'],
    ['computed', '<computed at start-up>'],
    ['described', '<the hostname>'],
    ['nothing', ''],
    ['names', 'a,b'],
    ['empty', ''],
    ['newer', '3'],
  ] as const)('default of %s is shown as %j', (key, text) => {
    expect(defaultAsText(defs.DEFAULT.options[key])).toBe(text);
  });

  it('writes oslo-style commented option lines with a type line', () => {
    expect(sample).toContain('# Renamed.\n# type: integer (default 3); allowed: 1..5; deprecated names: older\n#newer = 3\n');
    expect(sample).toContain('# A password.\n# type: string (default pw); secret\n#password = pw\n');
    expect(sample).toContain('# type: string (default unset)\n#nothing =\n');
    expect(sample).toContain('[DEFAULT]\n\n# Section <help>.\n');
    expect(sample).not.toContain('machine-specific');
  });

  it('wraps long help in the sample', () => {
    const flagHelp = sample.slice(sample.indexOf('# x x'), sample.indexOf('#flag ='));
    expect(flagHelp.split('\n').length).toBeGreaterThan(2);
  });

  it('escapes Markdown where needed', () => {
    expect(md).toContain('Section \\<help>.');
    expect(md).toContain('| `piped` | string | `a\\|b` |');
    expect(md).toContain('| `nothing` | string | (unset) |');
    expect(md).toContain('| `empty` | list | (empty list) |');
    expect(md).toContain('- Deprecated names: `older`');
    expect(md).toContain('- Secret: hidden');
  });

  it('is deterministic', () => {
    expect(renderConfigMarkdown(defs)).toBe(md);
    expect(renderConfigSample(defs)).toBe(sample);
  });
});

describe('wrapText', () => {
  it.each([
    ['', 10, '', []],
    ['one two three four', 9, '', ['one two', 'three', 'four']],
    ['one two three', 11, '# ', ['# one two', '# three']],
    ['averyveryverylongword x', 8, '# ', ['# averyveryverylongword', '# x']],
    ['  spaced\n\tout  ', 80, '', ['spaced out']],
  ] as const)('%j at %d', (text, width, prefix, lines) => {
    expect(wrapText(text, width, prefix)).toEqual(lines);
  });
});
