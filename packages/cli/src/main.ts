import { EddyError } from '@eddy/base';
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { registerBrokersCommands } from './commands/brokers.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerConsumeCommand } from './commands/consume.js';
import { registerGroupsCommands } from './commands/groups.js';
import { registerPerfCommands } from './commands/perf.js';
import { registerProduceCommand } from './commands/produce.js';
import { registerQuorumCommands } from './commands/quorum.js';
import { registerReassignCommands } from './commands/reassign.js';
import { registerRebalanceCommand } from './commands/rebalance.js';
import { registerServerCommand } from './commands/server.js';
import { registerTopicsCommands } from './commands/topics.js';

const packageJson = createRequire(import.meta.url)('../package.json') as { version: string };

/** Builds the `eddy` command tree. Each command group lives in its own module. */
export function buildProgram(): Command {
  const program = new Command('eddy')
    .description('Eddy: a Kafka-style event streaming cluster with a built-in Raft metadata quorum.')
    .version(packageJson.version, '-V, --version')
    .showHelpAfterError(false)
    .exitOverride();
  registerServerCommand(program);
  registerClusterCommands(program);
  registerTopicsCommands(program);
  registerProduceCommand(program);
  registerConsumeCommand(program);
  registerGroupsCommands(program);
  registerBrokersCommands(program);
  registerReassignCommands(program);
  registerRebalanceCommand(program);
  registerQuorumCommands(program);
  registerPerfCommands(program);
  return program;
}

/**
 * Runs the CLI and returns the process exit code. Failures print one line on stderr, never a
 * stack trace: users see what went wrong and scripts see a non-zero exit.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      // Help and version exit through here with code 0; usage errors were already printed.
      return error.exitCode;
    }
    process.stderr.write(`error: ${describeError(error)}\n`);
    return 1;
  }
}

function describeError(error: unknown): string {
  if (error instanceof EddyError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
