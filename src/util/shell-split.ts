/**
 * POSIX-shell-like word splitting WITHOUT any expansion: quotes and backslashes
 * group and escape, nothing else is special. `$HOME`, `*`, `;`, `|`, `$(…)` and
 * `~` stay literal characters, so a command line from an image property can
 * never run extra commands; an image that wants a shell says `sh -c '…'`.
 */

/** Why a command line could not be split; `offset` is the 0-based character index. */
export class ShellSplitError extends Error {
  override readonly name = 'ShellSplitError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\f', '\v']);
/** Inside double quotes a backslash escapes only these (POSIX 2.2.3). */
const DQ_ESCAPABLE = new Set(['\\', '"', '$', '`', '\n']);

/** Splits `line` into words; throws ShellSplitError on an unterminated quote or escape. */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  // A word exists once any character or an empty quoted string ('' or "") was seen.
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (WHITESPACE.has(c)) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      i += 1;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new ShellSplitError('trailing backslash escapes nothing', i);
      const next = line[i + 1] as string;
      // Backslash-newline is a line continuation, as in sh.
      if (next !== '\n') {
        word += next;
        inWord = true;
      }
      i += 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSplitError('unterminated single quote', i);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let closed = false;
      while (j < line.length) {
        const d = line[j] as string;
        if (d === '"') {
          closed = true;
          break;
        }
        if (d === '\\' && j + 1 < line.length && DQ_ESCAPABLE.has(line[j + 1] as string)) {
          if (line[j + 1] !== '\n') word += line[j + 1];
          j += 2;
          continue;
        }
        word += d;
        j += 1;
      }
      if (!closed) throw new ShellSplitError('unterminated double quote', i);
      inWord = true;
      i = j + 1;
    } else {
      word += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}
