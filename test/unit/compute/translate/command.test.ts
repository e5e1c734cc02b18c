import { describe, expect, it } from 'vitest';
import { commandFromImage } from '../../../../src/compute/translate/command.js';
import { isBridgeError } from '../../../../src/errors/bridge-error.js';

describe('commandFromImage', () => {
  const table: Array<[Record<string, unknown>, Record<string, string | null>, string[] | null]> = [
    [{ os_command_line: 'sleep 3600' }, {}, ['sleep', '3600']],
    [{ os_command_line: '/usr/sbin/sshd -D -e' }, {}, ['/usr/sbin/sshd', '-D', '-e']],
    [{ os_command_line: `sh -c 'echo $HOME; rm -rf /x'` }, {}, ['sh', '-c', 'echo $HOME; rm -rf /x']],
    [{ os_command_line: 'echo "a b" c\\ d' }, {}, ['echo', 'a b', 'c d']],
    [{ os_command_line: 'sleep 1; reboot' }, {}, ['sleep', '1;', 'reboot']], // no shell: ";" is literal
    [{ os_command_line: '' }, {}, null],
    [{ os_command_line: '   ' }, {}, null],
    [{}, {}, null],
    [{}, { image_os_command_line: 'cat /app/hello.txt' }, ['cat', '/app/hello.txt']],
    [{ os_command_line: 'a' }, { image_os_command_line: 'b' }, ['a']],
    [{ os_command_line: null }, { image_os_command_line: 'b' }, ['b']],
    [{}, { image_os_command_line: null }, null],
  ];
  it.each(table)('%j / %j', (props, sysmeta, want) => {
    expect(commandFromImage(props, sysmeta)).toEqual(want);
  });

  it.each([
    [{ os_command_line: 'sh -c "unterminated' }, /image_meta\.properties\.os_command_line cannot be split into words: unterminated double quote at character 7/],
    [{ os_command_line: 42 }, /image_meta\.properties\.os_command_line must be a string/],
    [{ os_command_line: 'a\0b' }, /must not contain NUL/],
    [{ os_command_line: 'x'.repeat(70000) }, /at most 65536 characters/],
  ])('refuses %j', (props, message) => {
    let err: unknown;
    try {
      commandFromImage(props, {});
    } catch (e) {
      err = e;
    }
    expect(isBridgeError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('names the system_metadata field when the value came from there', () => {
    expect(() => commandFromImage({}, { image_os_command_line: "'" })).toThrow(/instance\.system_metadata\.image_os_command_line/);
  });
});
