import { ManualClock, Prng, silentLogger } from '@eddy/base';
import { MetadataImage } from '@eddy/metadata';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeMetadataEntry } from '../metadata/metadata-loader.js';
import { defaultControllerConfig } from './controller-core.js';
import { ControllerDriver, type MetadataLogWriter } from './controller-driver.js';
import type { ListenerProbe } from './listener-probe.js';

/** A metadata log whose commits the test releases by hand. */
class FakeLog implements MetadataLogWriter {
  leading = true;
  /** Commit every entry as it is appended. */
  autoCommit = false;
  readonly entries: Array<{ index: number; data: Uint8Array; commit: () => void; fail: (error: Error) => void }> = [];
  private nextIndex = 1;

  append(data: Uint8Array) {
    if (!this.leading) return undefined;
    let commit = (): void => undefined;
    let fail = (_error: Error): void => undefined;
    const committed = new Promise<void>((resolve, reject) => {
      commit = resolve;
      fail = reject;
    });
    const index = this.nextIndex++;
    this.entries.push({ index, data, commit, fail });
    if (this.autoCommit) commit();
    return { index, committed };
  }
}

const endpoint = { host: '127.0.0.1', port: 9092 };
let driver: ControllerDriver | undefined;
afterEach(() => driver?.deactivate());

function activeDriver(log: FakeLog): ControllerDriver {
  driver = new ControllerDriver(log, new Prng(1), defaultControllerConfig, new ManualClock(), silentLogger);
  driver.activate(MetadataImage.empty);
  return driver;
}

describe('ControllerDriver', () => {
  it('answers once the records commit, and later operations see earlier records at once', async () => {
    const log = new FakeLog();
    const controller = activeDriver(log);
    const first = controller.run((core, now) => core.registerBroker({ brokerId: 1, incarnationId: 'a', endpoint, rack: null }, now));
    const second = controller.run((core) => ({ records: [], response: core.latestImage.brokers.has(1) }));
    await expect(second).resolves.toBe(true);
    let settled = false;
    void first.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    // Entry 1 is the new cluster's id; entry 2 registers broker 1.
    expect(log.entries.map((entry) => decodeMetadataEntry(entry.data)[0]?.type)).toEqual(['ClusterId', 'RegisterBroker']);
    log.entries.forEach((entry) => entry.commit());
    await expect(first).resolves.toEqual({ brokerEpoch: 2 });
  });

  it('fails operations with a retriable NOT_CONTROLLER when leadership is lost', async () => {
    const log = new FakeLog();
    const controller = activeDriver(log);
    const pending = controller.run((core, now) => core.registerBroker({ brokerId: 1, incarnationId: 'a', endpoint, rack: null }, now));
    await vi.waitFor(() => expect(log.entries).toHaveLength(2));
    log.entries[1]?.fail(new Error('lost leadership'));
    await expect(pending).rejects.toMatchObject({ code: 'NOT_CONTROLLER', retriable: true });
    log.leading = false;
    await expect(controller.run((core, now) => core.registerBroker({ brokerId: 2, incarnationId: 'b', endpoint, rack: null }, now))).rejects.toMatchObject({
      code: 'NOT_CONTROLLER',
    });
    expect(controller.isActive).toBe(false);
  });

  it('keeps validation errors to the caller and goes on with the next operation', async () => {
    const log = new FakeLog();
    const controller = activeDriver(log);
    await expect(controller.run((core) => core.createPartitions('missing', 3))).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(controller.run(() => ({ records: [], response: 'next' }))).resolves.toBe('next');
  });

  it('fences a silent broker whose listener refuses connections, and leaves one whose probe is inconclusive', async () => {
    const log = new FakeLog();
    const clock = new ManualClock();
    const probed: number[] = [];
    const probe: ListenerProbe = (target) => {
      probed.push(target.port);
      return Promise.resolve(target.port === 9002 ? 'refused' : 'unknown');
    };
    driver = new ControllerDriver(log, new Prng(1), { ...defaultControllerConfig, probeSilentBrokersAfterMs: 1_000 }, clock, silentLogger, probe);
    driver.activate(MetadataImage.empty);
    const controller = driver;
    log.autoCommit = true;
    for (const brokerId of [1, 2, 3]) {
      const { brokerEpoch } = await controller.run((core, now) =>
        core.registerBroker({ brokerId, incarnationId: `i${brokerId}`, endpoint: { host: '127.0.0.1', port: 9000 + brokerId }, rack: null }, now),
      );
      await controller.run((core, now) => core.brokerHeartbeat({ brokerId, brokerEpoch, metadataOffset: 99, wantFence: false, wantShutdown: false }, now));
    }

    await expect(controller.fenceUnreachableBrokers()).resolves.toEqual([]);
    expect(probed).toEqual([]);

    clock.advance(1_500);
    await controller.run((core, now) =>
      core.brokerHeartbeat({ brokerId: 1, brokerEpoch: core.latestImage.brokers.get(1)!.brokerEpoch, metadataOffset: 99, wantFence: false, wantShutdown: false }, now),
    );
    await expect(controller.fenceUnreachableBrokers()).resolves.toEqual([2]);
    expect(decodeMetadataEntry(log.entries.at(-1)!.data).map((record) => record.type)).toContain('FenceBroker');
    expect(probed.sort()).toEqual([9002, 9003]);
  });
});
