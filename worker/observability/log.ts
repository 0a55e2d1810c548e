/**
 * Every JSON log line the worker and its objects print goes through here: one object per line
 * (Workers Logs indexes JSON fields, https://developers.cloudflare.com/workers/observability/logs/workers-logs/),
 * with `level` and `msg` first. The console method follows the level, so the line's severity in
 * Workers Logs is the one it names.
 *
 * @example
 * log.error('kv read failed', { error: errorMessage(err) });
 */
export type LogLevel = 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

function write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
  print(level, JSON.stringify({ level, msg, ...fields }));
}

function print(level: LogLevel, text: string): void {
  if (level === 'error') console.error(text);
  else if (level === 'warn') console.warn(text);
  else console.log(text);
}

/** A line the caller built with `level` and `msg` first. */
export type LogLine = { level: LogLevel; msg: string } & LogFields;

export const log = {
  info: (msg: string, fields?: LogFields) => write('info', msg, fields),
  warn: (msg: string, fields?: LogFields) => write('warn', msg, fields),
  error: (msg: string, fields?: LogFields) => write('error', msg, fields),
  /**
   * A line built by the caller, level decided there (the request line: by status), printed as
   * built: on every request, so without the copy the others make.
   */
  line: (line: LogLine) => print(line.level, JSON.stringify(line)),
};

/** An error's message for a log line (not for clients: it may quote a statement or a header). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
