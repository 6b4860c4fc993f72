import { EddyError } from '@eddy/base';
import { type Admin, Eddy, type EddyOptions } from '@eddy/client';
import type { Command } from 'commander';

export const DEFAULT_BOOTSTRAP_SERVER = '127.0.0.1:9092';
export const BOOTSTRAP_ENV = 'EDDY_BOOTSTRAP_SERVER';

export interface ClientFlags {
  readonly bootstrapServer?: string;
  readonly json?: boolean;
}

/** Adds `--bootstrap-server` (and optionally `--json`) to a command that talks to a cluster. */
export function clientCommand(command: Command, options: { json?: boolean } = {}): Command {
  command.option('--bootstrap-server <servers>', `host:port[,host:port...] (default ${DEFAULT_BOOTSTRAP_SERVER}, or $${BOOTSTRAP_ENV})`);
  if (options.json === true) command.option('--json', 'print JSON instead of text');
  return command;
}

export function bootstrapServers(flags: ClientFlags): string[] {
  const raw = flags.bootstrapServer ?? process.env[BOOTSTRAP_ENV] ?? DEFAULT_BOOTSTRAP_SERVER;
  const servers = raw
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (servers.length === 0) throw new EddyError('INVALID_CONFIG', '--bootstrap-server lists no server');
  return servers;
}

/** Runs `work` with a client connected to the cluster, closing it afterwards. */
export async function withEddy<T>(flags: ClientFlags, work: (eddy: Eddy) => Promise<T>, options: Pick<EddyOptions, 'metadataMaxAgeMs'> = {}): Promise<T> {
  const eddy = new Eddy({ bootstrapServers: bootstrapServers(flags), clientId: 'eddy-cli', ...options });
  try {
    return await work(eddy);
  } finally {
    await eddy.close();
  }
}

export function withAdmin<T>(flags: ClientFlags, work: (admin: Admin) => Promise<T>): Promise<T> {
  return withEddy(flags, async (eddy) => {
    const admin = eddy.admin();
    try {
      return await work(admin);
    } finally {
      await admin.close();
    }
  });
}

/** Parses a positive integer flag, or fails with a clear message. */
export function integerFlag(name: string, value: string | undefined, min = 0): number {
  const parsed = Number(value);
  if (value === undefined || !/^-?\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min) {
    throw new EddyError('INVALID_REQUEST', `${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** Parses repeated `k=v` flags into a record. */
export function keyValueFlags(name: string, pairs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new EddyError('INVALID_REQUEST', `${name} expects key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
