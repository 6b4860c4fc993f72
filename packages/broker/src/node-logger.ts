import type { Logger } from '@eddy/base';
import { pino, type DestinationStream, type LevelWithSilent } from 'pino';

export interface NodeLoggerOptions {
  readonly nodeId: number;
  readonly level?: LevelWithSilent;
  /** Where JSON lines go; standard output when omitted. */
  readonly destination?: DestinationStream;
}

/**
 * The one pino logger of a node. Every line carries the node id; components take a child
 * (`componentLogger`) so lines also say which part of the node wrote them.
 */
export function createNodeLogger(options: NodeLoggerOptions): Logger {
  const base = { nodeId: options.nodeId };
  const level = options.level ?? 'info';
  return options.destination === undefined
    ? pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime })
    : pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, options.destination);
}

/** A child logger for one component of the node (raft, controller, replication, group, ...). */
export function componentLogger(nodeLogger: Logger, component: string, fields: Record<string, unknown> = {}): Logger {
  return nodeLogger.child({ component, ...fields });
}
