import type { BrokerDescription } from '@eddy/client';
import type { Command } from 'commander';
import { type ClientFlags, clientCommand, integerFlag, print, withAdmin } from '../client-options.js';
import { formatJson, formatTable } from '../output/table.js';
import { decommissionBroker } from './broker-decommission.js';
import { parseWaveFlags, type WaveFlags, waveOptions } from './wave-flags.js';

interface DecommissionFlags extends ClientFlags, WaveFlags {
  readonly brokerId: string;
  readonly shutdownTimeoutMs: string;
}

export function registerBrokersCommands(program: Command): void {
  const brokers = program.command('brokers').description('the brokers of the cluster');
  clientCommand(brokers.command('list').description('every registered broker, with its address, rack and state'), { json: true }).action(async (flags: ClientFlags) => {
    const cluster = await withAdmin(flags, (admin) => admin.describeCluster({ includeFencedBrokers: true }));
    const rows = cluster.brokers.map((broker) => ({
      id: broker.brokerId,
      host: broker.host,
      port: broker.port,
      rack: broker.rack === '' ? null : broker.rack,
      state: brokerState(broker),
      isController: broker.brokerId === cluster.controller,
    }));
    if (flags.json === true) return print(formatJson(rows));
    print(formatTable(['ID', 'HOST', 'PORT', 'RACK', 'STATE', 'CONTROLLER'], rows.map((row) => [row.id, row.host, row.port, row.rack, row.state, row.isController ? 'active' : ''])));
  });

  waveOptions(
    clientCommand(brokers.command('decommission').description('move every replica off a broker, wait for its process to stop, and remove it from the cluster'))
      .requiredOption('--broker-id <id>', 'the broker to decommission')
      .option('--shutdown-timeout-ms <ms>', 'how long to wait for the emptied broker\'s process to stop', '600000'),
  ).action(async (flags: DecommissionFlags) => {
    const brokerId = integerFlag('--broker-id', flags.brokerId, 1);
    const options = { ...parseWaveFlags(flags, print), shutdownTimeoutMs: integerFlag('--shutdown-timeout-ms', flags.shutdownTimeoutMs, 0) };
    await withAdmin(flags, (admin) => decommissionBroker(admin, brokerId, options));
  });
}

export function brokerState(broker: BrokerDescription): 'running' | 'fenced' | 'shutting-down' {
  if (broker.inControlledShutdown) return 'shutting-down';
  return broker.isFenced ? 'fenced' : 'running';
}
