/**
 * Structured logging: JSON lines for log shippers, or oslo-like text that
 * operators already grep (`<date> <pid> <LEVEL> <logger> [<request id> <method>] msg`).
 */

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type LogFormat = 'json' | 'text';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };

/** Facts attached to every line a logger writes. `request_id` and `method` are shown in text mode. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warning(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` (and optionally a sub-name) to every line. */
  child(fields: LogFields, name?: string): Logger;
  /** Whether lines of `level` are written: lets hot paths skip building fields nobody reads. */
  isEnabled(level: LogLevel): boolean;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Dotted logger name, e.g. `nova_docker_bridge.rpc.server`. */
  name?: string;
  format?: LogFormat;
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Where lines go. Default: process.stderr. */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'text';
  const min = LEVEL_RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  return makeLogger(options.name ?? 'nova_docker_bridge', {}, { format, min, write, now });
}

interface Sink {
  format: LogFormat;
  min: number;
  write: (line: string) => void;
  now: () => Date;
}

function makeLogger(name: string, base: LogFields, sink: Sink): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVEL_RANK[level] < sink.min) return;
    const all = fields ? { ...base, ...fields } : base;
    sink.write(sink.format === 'json' ? jsonLine(sink.now(), level, name, msg, all) : textLine(sink.now(), level, name, msg, all));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warning: (m, f) => emit('warning', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields, sub) => makeLogger(sub ? `${name}.${sub}` : name, { ...base, ...fields }, sink),
    isEnabled: (level) => LEVEL_RANK[level] >= sink.min,
  };
}

function jsonLine(at: Date, level: LogLevel, name: string, msg: string, fields: LogFields): string {
  return `${safeStringify({ ts: at.toISOString(), level, logger: name, pid: process.pid, msg, ...fields })}\n`;
}

function textLine(at: Date, level: LogLevel, name: string, msg: string, fields: LogFields): string {
  const { request_id: requestId, method, ...rest } = fields;
  const ctx = `[${requestId ?? '-'}${method ? ` ${String(method)}` : ''}]`;
  const extra = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : safeStringify(v)}`)
    .join(' ');
  const stamp = at.toISOString().replace('T', ' ').replace('Z', '');
  return `${stamp} ${process.pid} ${level.toUpperCase()} ${name} ${ctx} ${msg}${extra ? ` ${extra}` : ''}\n`;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v)) ?? 'undefined';
  } catch {
    return '"<unserializable>"';
  }
}

/** A logger that drops everything; for tests and library use. */
export const silentLogger: Logger = createLogger({ write: () => undefined, level: 'error' });
