import { describe, expect, it } from 'vitest';
import { ShellSplitError, shellSplit } from '../../../src/util/shell-split.js';

describe('shellSplit', () => {
  const table: Array<[string, string[]]> = [
    ['', []],
    ['   ', []],
    ['sleep 3600', ['sleep', '3600']],
    ['  a \t b\n c  ', ['a', 'b', 'c']],
    [`'a b' "c d"`, ['a b', 'c d']],
    [`a'b'"c"d`, ['abcd']],
    [`''`, ['']],
    [`"" x`, ['', 'x']],
    [`a\\ b`, ['a b']],
    [`"a \\"quoted\\" \\\\ \\$HOME \\x"`, ['a "quoted" \\ $HOME \\x']],
    [`'no \\escapes in single'`, ['no \\escapes in single']],
    ['$HOME ~ *.txt $(rm -rf /) `id` a;b | c && d', ['$HOME', '~', '*.txt', '$(rm', '-rf', '/)', '`id`', 'a;b', '|', 'c', '&&', 'd']],
    ['sh -c "echo $HOSTNAME; exec sleep 1"', ['sh', '-c', 'echo $HOSTNAME; exec sleep 1']],
    ['line\\\ncontinued', ['linecontinued']],
    ['"multi\nline"', ['multi\nline']],
    ['ünïcødé "ok ✓"', ['ünïcødé', 'ok ✓']],
  ];
  it.each(table)('%j', (line, words) => {
    expect(shellSplit(line)).toEqual(words);
  });

  it.each([
    [`'open`, 'unterminated single quote', 0],
    [`a "open`, 'unterminated double quote', 2],
    [`"ends with escaped quote\\"`, 'unterminated double quote', 0],
    [`trailing\\`, 'trailing backslash escapes nothing', 8],
  ])('refuses %j', (line, message, offset) => {
    let err: unknown;
    try {
      shellSplit(line);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShellSplitError);
    expect((err as ShellSplitError).message).toBe(message);
    expect((err as ShellSplitError).offset).toBe(offset);
  });
});
