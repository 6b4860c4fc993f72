import { Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import type { Message } from '../core/messages.js';
import { Scheduler } from './scheduler.js';
import { SimNetwork } from './sim-network.js';

const timeoutNow = (from: number, to: number): Message => ({ type: 'timeoutNow', from, to, term: 1 });

function setup(faults = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 1 }) {
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, new Prng(3), faults);
  const received = new Map<number, Message[]>();
  const transports = [1, 2, 3].map((id) => {
    const transport = network.transport(id);
    received.set(id, []);
    transport.onMessage((m) => received.get(id)!.push(m));
    return transport;
  });
  const run = (): void => {
    while (scheduler.runNext());
  };
  return { scheduler, network, received, transports, run };
}

describe('SimNetwork', () => {
  it('cuts symmetric partitions both ways and asymmetric ones one way', () => {
    const { network, received, transports, run } = setup();
    network.partition([1], [2, 3]);
    transports[0]!.send(timeoutNow(1, 2));
    transports[1]!.send(timeoutNow(2, 1));
    transports[1]!.send(timeoutNow(2, 3));
    run();
    expect(received.get(1)).toEqual([]);
    expect(received.get(2)).toEqual([]);
    expect(received.get(3)).toHaveLength(1);
    network.heal();
    network.cutLink(1, 2);
    transports[0]!.send(timeoutNow(1, 2));
    transports[1]!.send(timeoutNow(2, 1));
    run();
    expect(received.get(2)).toEqual([]);
    expect(received.get(1)).toHaveLength(1);
  });

  it('drops messages to a detached (crashed) node and reorders by random delay', () => {
    const { network, received, transports, run } = setup({ lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 50 });
    for (let i = 0; i < 50; i++) transports[0]!.send({ ...timeoutNow(1, 2), term: i });
    run();
    const terms = received.get(2)!.map((m) => m.term);
    expect([...terms].sort((a, b) => a - b)).toEqual(terms.map((_, i) => i));
    expect(terms).not.toEqual(terms.map((_, i) => i));
    (transports[1] as ReturnType<SimNetwork['transport']>).detach();
    transports[0]!.send(timeoutNow(1, 2));
    run();
    expect(received.get(2)).toHaveLength(50);
    expect(network.stats.dropped).toBe(1);
  });

  it('loses and duplicates at the configured rates', () => {
    const { network, received, transports, run } = setup({ lossRate: 0.5, duplicateRate: 0.5, delayMinMs: 1, delayMaxMs: 1 });
    for (let i = 0; i < 1000; i++) transports[0]!.send(timeoutNow(1, 3));
    run();
    expect(network.stats.dropped).toBeGreaterThan(400);
    expect(network.stats.duplicated).toBeGreaterThan(150);
    expect(received.get(3)!.length).toBe(1000 - network.stats.dropped + network.stats.duplicated);
  });
});
