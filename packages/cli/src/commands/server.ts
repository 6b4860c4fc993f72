import { EddyError } from '@eddy/base';
import { createNodeLogger, EddyNode, type NodeConfig, nodeSettings, parseProperties, resolveNodeConfig } from '@eddy/broker';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';

interface ServerFlags {
  readonly config?: string;
  readonly set?: readonly string[];
  readonly [flag: string]: unknown;
}

/** Flags that are shortcuts for node settings (`--node-id 1` is `node.id=1`). */
const flagSettings: ReadonlyArray<readonly [flag: string, setting: string, description: string]> = [
  ['--node-id <id>', 'node.id', 'this node\'s id, at least 1'],
  ['--listen <host:port>', 'listen', 'where to serve clients, brokers and controllers'],
  ['--advertised-listener <host:port>', 'advertised.listener', 'the address others use (default: --listen)'],
  ['--data-dir <dir>', 'data.dir', 'where logs, the metadata log and group state live'],
  ['--controller-quorum <voters>', 'controller.quorum', 'metadata quorum voters, id@host:port,...'],
  ['--rack <rack>', 'rack', 'rack or zone, for rack-aware placement'],
  ['--log-level <level>', 'log.level', 'fatal, error, warn, info, debug, trace or silent'],
];

function camelCaseOf(flag: string): string {
  return (flag.split(' ')[0] as string).replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function registerServerCommand(program: Command): void {
  const command = program
    .command('server')
    .description('run one Eddy node (a broker; also a controller when it is listed in the quorum)')
    .option('--config <file>', 'a properties file of node settings (key=value lines)')
    .option('--set <key=value...>', 'any node setting, e.g. --set broker.session.timeout.ms=9000');
  for (const [flag, , description] of flagSettings) command.option(flag, description);
  command.addHelpText(
    'after',
    `\nSettings (properties file keys; --set key=value):\n${Object.entries(nodeSettings)
      .map(([key, setting]) => `  ${key.padEnd(34)} ${setting.doc}`)
      .join('\n')}`,
  );
  command.action(async (flags: ServerFlags) => {
    const config = await nodeConfigFrom(flags);
    await runNode(config);
  });
}

async function nodeConfigFrom(flags: ServerFlags): Promise<NodeConfig> {
  const fromFile = flags.config === undefined ? new Map<string, string>() : parseProperties(await readConfigFile(flags.config));
  const fromFlags = new Map<string, string>();
  for (const pair of flags.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new EddyError('INVALID_CONFIG', `--set expects key=value, got ${JSON.stringify(pair)}`);
    fromFlags.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  for (const [flag, setting] of flagSettings) {
    const value = flags[camelCaseOf(flag)];
    if (typeof value === 'string') fromFlags.set(setting, value);
  }
  return resolveNodeConfig(fromFile, fromFlags);
}

async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error: unknown) {
    throw new EddyError('INVALID_CONFIG', `cannot read --config ${path}: ${(error as Error).message}`);
  }
}

/** Runs the node until SIGTERM or SIGINT, then shuts it down cleanly. */
async function runNode(config: NodeConfig): Promise<void> {
  const logger = createNodeLogger({ nodeId: config.nodeId, level: config.logLevel });
  const node = await EddyNode.start({ config, logger });
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      node.stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
