import { describe, expect, it } from 'vitest';
import { isVoter, parseProperties, resolveNodeConfig } from './node-config.js';

const required = new Map([
  ['node.id', '2'],
  ['listen', '127.0.0.1:9093'],
  ['data.dir', './data/2'],
]);

describe('node config', () => {
  it('applies defaults, then the properties file, then flags', () => {
    const file = parseProperties('# comment\nbroker.session.timeout.ms = 12000\nrack=r1\n\nlog.level=debug\n');
    const flags = new Map([...required, ['log.level', 'warn'], ['controller.quorum', '1@127.0.0.1:9092,2@127.0.0.1:9093']]);
    const config = resolveNodeConfig(file, flags);
    expect(config).toMatchObject({ nodeId: 2, brokerSessionTimeoutMs: 12000, rack: 'r1', logLevel: 'warn', dataDir: './data/2' });
    expect(config.advertised).toEqual({ host: '127.0.0.1', port: 9093 });
    expect(isVoter(config)).toBe(true);
    expect(config.offsetsTopicNumPartitions).toBe(10);
    // Probing a silent broker's listener starts after two missed heartbeats unless set.
    expect(config.brokerProbeAfterMs).toBe(2 * config.brokerHeartbeatIntervalMs);
  });

  it('makes a lone node its own single-voter quorum', () => {
    const config = resolveNodeConfig(required);
    expect([...config.controllerQuorum]).toEqual([[2, { host: '127.0.0.1', port: 9093 }]]);
  });

  it('is an observer when the quorum does not list it', () => {
    const config = resolveNodeConfig(required, new Map([['controller.quorum', '1@127.0.0.1:9092']]));
    expect(isVoter(config)).toBe(false);
  });

  it.each([
    [new Map([['node.id', '1']]), /listen: is required/],
    [new Map([...required, ['no.such', '1']]), /no.such: unknown setting/],
    [new Map([...required, ['node.id', '-1']]), /non-negative integer/],
    [new Map([...required, ['log.level', 'loud']]), /expected one of/],
    [new Map([...required, ['broker.probe.after.ms', '500']]), /above broker.heartbeat.interval.ms/],
    [new Map([...required, ['broker.session.timeout.ms', '900']]), /at least twice/],
    [new Map([...required, ['num.partitions', '0']]), /at least 1/],
    [new Map([...required, ['node.id', '0']]), /node.id: must be at least 1/],
    [new Map([...required, ['offsets.retention.minutes', '0']]), /offsets.retention.minutes: must be in/],
    [new Map([...required, ['offsets.retention.check.interval.ms', '0']]), /offsets.retention.check.interval.ms: must be in/],
  ])('rejects bad settings with INVALID_CONFIG (%#)', (settings, message) => {
    expect(() => resolveNodeConfig(settings)).toThrow(message);
    expect(() => resolveNodeConfig(settings)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('rejects a properties line without =', () => {
    expect(() => parseProperties('node.id 1')).toThrow(/line 1: expected key=value/);
  });
});
