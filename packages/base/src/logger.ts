/**
 * The logging surface every component takes. It is the subset of pino's API Eddy uses, so
 * `main.ts` passes a pino logger and tests pass `silentLogger` or a recording fake.
 */
export interface LogFn {
  (message: string): void;
  (fields: Record<string, unknown>, message: string): void;
}

export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  /** A logger that adds these fields (component, nodeId, topic, ...) to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFn = () => undefined;

export const silentLogger: Logger = {
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
  trace: ignore,
  child: () => silentLogger,
};
