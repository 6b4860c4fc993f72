import type { BrokerDescription } from '@eddy/client';
import type { Command } from 'commander';
import { type ClientFlags, clientCommand, print, withAdmin } from '../client-options.js';
import { formatJson, formatTable } from '../output/table.js';

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
}

export function brokerState(broker: BrokerDescription): 'running' | 'fenced' | 'shutting-down' {
  if (broker.inControlledShutdown) return 'shutting-down';
  return broker.isFenced ? 'fenced' : 'running';
}
