/**
 * Image property `os_command_line` → container command (nova-docker's
 * convention; it is also a standard Nova ImageMetaProps field). The line is
 * split like a shell would split words, with no expansion and no shell, so it
 * cannot run anything but the one program it names.
 */
import { BridgeError } from '../../errors/bridge-error.js';
import { shellSplit, ShellSplitError } from '../../util/shell-split.js';

/** Longest command line accepted (Linux ARG_MAX is far larger; this is sanity). */
export const MAX_COMMAND_LINE = 65536;

/**
 * The command for the container, or null to keep the image's own CMD. Reads
 * `image_meta.properties.os_command_line`, falling back to
 * `instance.system_metadata.image_os_command_line` (where Nova keeps every image
 * property, including those ImageMetaProps drops).
 */
export function commandFromImage(properties: Readonly<Record<string, unknown>>, systemMetadata: Readonly<Record<string, string | null>>): string[] | null {
  const fromProps = properties.os_command_line;
  const field = fromProps !== undefined && fromProps !== null ? 'image_meta.properties.os_command_line' : 'instance.system_metadata.image_os_command_line';
  const raw = fromProps !== undefined && fromProps !== null ? fromProps : systemMetadata.image_os_command_line;
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') {
    throw new BridgeError('ERR_INVALID_ARGUMENT', `${field} must be a string, got ${typeof raw}`, { details: { field } });
  }
  if (raw.length > MAX_COMMAND_LINE) {
    throw new BridgeError('ERR_INVALID_ARGUMENT', `${field} must be at most ${MAX_COMMAND_LINE} characters`, { details: { field } });
  }
  if (raw.includes('\0')) throw new BridgeError('ERR_INVALID_ARGUMENT', `${field} must not contain NUL characters`, { details: { field } });
  let words: string[];
  try {
    words = shellSplit(raw);
  } catch (err) {
    if (err instanceof ShellSplitError) {
      throw new BridgeError('ERR_INVALID_ARGUMENT', `${field} cannot be split into words: ${err.message} at character ${err.offset + 1}`, { details: { field } });
    }
    throw err;
  }
  // An empty or blank property means "no override", as nova-docker treated it.
  return words.length === 0 ? null : words;
}
