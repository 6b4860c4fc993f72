import type { Logger, Prng } from '@eddy/base';
import type { ServiceHandlers } from '@eddy/protocol';
import {
  bootstrapState,
  type ConfChange,
  emptyState,
  type Entry,
  IntervalTicker,
  type Membership,
  RaftDriver,
  type RaftStatus,
  raftConfig,
  type Snapshot,
  type SoftState,
  type StateMachine,
} from '@eddy/raft';
import type { MetadataLogWriter } from '../controller/controller-driver.js';
import { decodeMetadataEntry, encodeMetadataSnapshot, type MetadataLoader } from '../metadata/metadata-loader.js';
import { FileRaftLogStore } from '../storage/file-raft-log-store.js';
import type { RaftGrpcTransport } from './raft-transport.js';

export interface MetadataQuorumOptions {
  readonly nodeId: number;
  /** Where the metadata log lives (`<data dir>/__cluster_metadata`). */
  readonly directory: string;
  /** The voters a new cluster starts with; a node not listed starts empty, as an observer. */
  readonly initialVoters: readonly number[];
  readonly loader: MetadataLoader;
  readonly transport: RaftGrpcTransport;
  readonly prng: Prng;
  readonly logger: Logger;
  readonly tickMs: number;
  readonly electionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** Snapshot the metadata and compact the log after this many entries. */
  readonly snapshotEveryEntries: number;
  /** Told when this node starts or stops being able to act as the active controller. */
  readonly onLeadership: (event: LeadershipEvent) => void;
}

export type LeadershipEvent = { readonly type: 'ready' } | { readonly type: 'lost' };

/**
 * The metadata quorum of one node: Raft over the durable WAL and the gRPC transport, with the
 * metadata loader as its state machine. When this node wins an election it waits until it has
 * applied its whole log (through the entry that opens its term), then reports `ready`: only
 * then is its image complete enough for the controller to decide on.
 */
export class MetadataQuorum implements MetadataLogWriter {
  private leadershipIndex: number | undefined;
  private leadershipReady = false;

  private constructor(
    private readonly driver: RaftDriver,
    private readonly store: FileRaftLogStore,
    private readonly options: MetadataQuorumOptions,
  ) {}

  static async start(options: MetadataQuorumOptions): Promise<MetadataQuorum> {
    const membership: Membership = { voters: [...options.initialVoters], observers: [] };
    const isInitialVoter = options.initialVoters.includes(options.nodeId);
    const store = await FileRaftLogStore.open(options.directory, () => (isInitialVoter ? bootstrapState(membership) : emptyState()));
    let quorum: MetadataQuorum | undefined;
    const stateMachine: StateMachine = {
      apply: (entry: Entry) => {
        const records = entry.kind === 'normal' ? decodeMetadataEntry(entry.data) : [];
        options.loader.applyCommitted([{ offset: entry.index, records }]);
        quorum?.onApplied(entry.index);
      },
      snapshot: () => encodeMetadataSnapshot(options.loader.image),
      restore: (snapshot: Snapshot) => options.loader.loadSnapshot(snapshot.data, snapshot.meta.index),
    };
    const tickMs = options.tickMs;
    const driver = await RaftDriver.start({
      id: options.nodeId,
      store,
      transport: options.transport,
      stateMachine,
      ticker: new IntervalTicker(tickMs),
      prng: options.prng,
      config: raftConfig({
        electionTimeoutTicks: Math.max(2, Math.round(options.electionTimeoutMs / tickMs)),
        heartbeatTicks: Math.max(1, Math.round(options.heartbeatIntervalMs / tickMs)),
      }),
      logger: options.logger,
      snapshotEveryEntries: options.snapshotEveryEntries,
      onSoftState: (softState) => quorum?.onSoftState(softState),
      onFatal: (error) => options.logger.error({ err: error }, 'the metadata quorum stopped on a storage failure'),
    });
    quorum = new MetadataQuorum(driver, store, options);
    quorum.onSoftState(driver.softState);
    return quorum;
  }

  /** The RaftService handlers for this node's gRPC server. */
  handlers(): Partial<ServiceHandlers<'RaftService'>> {
    return this.options.transport.handlers();
  }

  get leaderId(): number | undefined {
    return this.driver.softState.leaderId;
  }

  get isLeader(): boolean {
    return this.driver.raft.isLeader;
  }

  status(): RaftStatus {
    return this.driver.status();
  }

  /** Proposes a one-at-a-time membership change; resolves once it is committed. */
  async changeMembership(change: ConfChange): Promise<void> {
    await this.driver.proposeConfChange(change);
  }

  append(data: Uint8Array): { readonly index: number; readonly committed: Promise<void> } | undefined {
    if (!this.leadershipReady) return undefined;
    const before = this.driver.raft.lastIndex;
    const proposal = this.driver.propose(data);
    const index = this.driver.raft.lastIndex;
    if (index === before) {
      // Refused synchronously (no longer leader, or back-pressure): nothing was appended.
      proposal.catch(() => undefined);
      return undefined;
    }
    return { index, committed: proposal.then(() => undefined) };
  }

  /** Stops Raft and closes the WAL; the node stops answering its peers. */
  async stop(): Promise<void> {
    this.driver.stop();
    this.options.transport.close();
    await this.store.close();
  }

  private onSoftState(softState: SoftState): void {
    if (softState.role === 'leader') {
      if (this.leadershipIndex === undefined) {
        // The leader appended the entry that opens its term; once that is applied, every
        // entry of earlier terms is too.
        this.leadershipIndex = this.driver.raft.lastIndex;
        this.onApplied(this.driver.raft.appliedIndex);
      }
      return;
    }
    this.leadershipIndex = undefined;
    if (this.leadershipReady) {
      this.leadershipReady = false;
      this.options.onLeadership({ type: 'lost' });
    }
  }

  private onApplied(index: number): void {
    if (this.leadershipReady || this.leadershipIndex === undefined || index < this.leadershipIndex) return;
    if (!this.driver.raft.isLeader) return;
    this.leadershipReady = true;
    this.options.onLeadership({ type: 'ready' });
  }
}
