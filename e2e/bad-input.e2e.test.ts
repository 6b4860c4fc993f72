import { Eddy, EddyError } from '@eddy/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eddyUntilOk, waitForRunningBrokers } from './support/cluster-state.js';
import { ProcessCluster } from './support/eddy-cluster.js';
import { waitFor } from './support/wait.js';

let cluster: ProcessCluster | undefined;
let eddy: Eddy | undefined;
beforeAll(async () => {
  cluster = await ProcessCluster.start({ nodes: 3, settings: { 'broker.session.timeout.ms': '2000', 'broker.heartbeat.interval.ms': '400' } });
  await waitForRunningBrokers(cluster, 3);
  await eddyUntilOk(cluster, ['topics', 'create', '--topic', 'existing', '--partitions', '3', '--replication-factor', '3']);
  eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers, clientId: 'bad-input-e2e', retry: { deadlineMs: 5_000 } });
});
afterAll(async () => {
  await eddy?.close();
  await cluster?.close();
  eddy = undefined;
  cluster = undefined;
});

function running(): { c: ProcessCluster; client: Eddy } {
  if (cluster === undefined || eddy === undefined) throw new Error('no cluster');
  return { c: cluster, client: eddy };
}

/** The CLI failed with exactly one `error: CODE: ...` line and no stack trace. */
async function expectCliError(args: readonly string[], code: string, input?: string): Promise<string> {
  const result = await running().c.eddy(args, input === undefined ? {} : { input });
  expect(result.code, `eddy ${args.join(' ')}`).not.toBe(0);
  expect(result.stderr).toMatch(new RegExp(`^error: ${code}: [^\\n]+\\n$`));
  return result.stderr;
}

async function sdkError(work: () => Promise<unknown>): Promise<EddyError> {
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EddyError);
  return error as EddyError;
}

describe('bad input to a cluster of real processes gets typed errors', () => {
  it('unknown topics', async () => {
    const { client } = running();
    await expectCliError(['topics', 'describe', '--topic', 'no-such-topic'], 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectCliError(['topics', 'delete', '--topic', 'no-such-topic'], 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectCliError(['produce', '--topic', 'no-such-topic'], 'UNKNOWN_TOPIC_OR_PARTITION', 'x\n');
    await expectCliError(['consume', '--topic', 'no-such-topic', '--timeout-ms', '100'], 'UNKNOWN_TOPIC_OR_PARTITION');

    const admin = client.admin();
    expect(await sdkError(() => admin.describeTopics(['no-such-topic']))).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    await admin.close();
    const producer = client.producer({ acks: 'all', maxBlockMs: 1_000 });
    expect(await sdkError(() => producer.send({ topic: 'no-such-topic', messages: [{ value: 'x' }] }))).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await producer.close();
  });

  it('invalid topic names', async () => {
    const { client } = running();
    for (const name of ['bad name!', 'slash/es', '..', 'x'.repeat(250)]) {
      await expectCliError(['topics', 'create', '--topic', name, '--partitions', '1', '--replication-factor', '1'], 'INVALID_TOPIC_EXCEPTION');
    }
    const admin = client.admin();
    expect(await sdkError(() => admin.createTopics([{ topic: 'ünïcode', partitions: 1, replicationFactor: 1, configs: {} }]))).toMatchObject({
      code: 'INVALID_TOPIC_EXCEPTION',
      retriable: false,
    });
    // A name of exactly 249 characters is fine.
    await admin.createTopics([{ topic: 'y'.repeat(249), partitions: 1, replicationFactor: 1, configs: {} }]);
    await admin.close();
  });

  it('partition counts below 1, and shrinking a topic', async () => {
    const { client } = running();
    await expectCliError(['topics', 'create', '--topic', 'zero', '--partitions', '0', '--replication-factor', '1'], 'INVALID_REQUEST');
    const admin = client.admin();
    expect(await sdkError(() => admin.createTopics([{ topic: 'zero', partitions: 0, replicationFactor: 1, configs: {} }]))).toMatchObject({ code: 'INVALID_PARTITIONS', retriable: false });
    expect(await sdkError(() => admin.createTopics([{ topic: 'negative', partitions: -5, replicationFactor: 1, configs: {} }]))).toMatchObject({ code: 'INVALID_PARTITIONS' });
    await admin.close();
    await expectCliError(['topics', 'alter', '--topic', 'existing', '--partitions', '2'], 'INVALID_PARTITIONS');
    const listed = await running().c.eddy(['topics', 'list']);
    expect(listed.stdout.split('\n')).not.toContain('zero');
  });

  it('replication factors above the live brokers, and the cluster keeps serving afterwards', async () => {
    const { c, client } = running();
    await expectCliError(['topics', 'create', '--topic', 'too-wide', '--partitions', '1', '--replication-factor', '4'], 'INVALID_REPLICATION_FACTOR');
    const admin = client.admin();
    expect(await sdkError(() => admin.createTopics([{ topic: 'too-wide', partitions: 1, replicationFactor: 4, configs: {} }]))).toMatchObject({
      code: 'INVALID_REPLICATION_FACTOR',
      retriable: false,
    });

    // With one broker down (fenced), three copies are more than the live brokers.
    const quorum = JSON.parse(await eddyUntilOk(c, ['quorum', 'describe', '--status', '--json'])) as { leaderId: number };
    const victim = [1, 2, 3].find((id) => id !== quorum.leaderId) as number;
    await c.node(victim).kill();
    await waitForRunningBrokers(c, 2);
    await expectCliError(['topics', 'create', '--topic', 'three-copies', '--partitions', '1', '--replication-factor', '3'], 'INVALID_REPLICATION_FACTOR');
    await admin.createTopics([{ topic: 'two-copies', partitions: 1, replicationFactor: 2, configs: {} }]);

    // Nothing above crashed a node: the survivors still serve produce and consume.
    expect([1, 2, 3].filter((id) => c.node(id).isRunning)).toHaveLength(2);
    expect((await c.eddy(['produce', '--topic', 'two-copies'], { input: 'still here\n' })).code).toBe(0);
    const consumed = await waitFor('the record back', async () => {
      const result = await c.eddy(['consume', '--topic', 'two-copies', '--from-beginning', '--max-messages', '1', '--timeout-ms', '5000']);
      return result.stdout === 'still here\n' ? result : undefined;
    }, 20_000);
    expect(consumed.code).toBe(0);
    await admin.close();
  });
});
