import { Level } from 'level';
import type { CommittedOffset, OffsetsTopicRecord } from './offsets-topic-records.js';

/**
 * Committed offsets and group metadata, materialized from `__consumer_offsets` into LevelDB
 * on every replica of each of its partitions. Each apply writes the records and the partition's
 * applied offset in one atomic batch, so after a crash or a failover the store is exactly the
 * log up to that offset: a new coordinator serves from its own store at once and replays only
 * what follows.
 *
 * Keys: `a<partition>` applied offset; `o<group>\0<topic>\0<partition>` offset;
 * `g<group>` group metadata; `p<group>` the __consumer_offsets partition the group's records are in.
 */
export class GroupStateStore {
  private constructor(private readonly db: Level<string, string>) {}

  static async open(directory: string): Promise<GroupStateStore> {
    const db = new Level<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    return new GroupStateStore(db);
  }

  /** The next offset of `__consumer_offsets-<partition>` to apply (0 when nothing was). */
  async nextOffsetToApply(partition: number): Promise<bigint> {
    const value = await this.db.get(appliedKey(partition));
    return value === undefined ? 0n : BigInt(value);
  }

  /** Applies records of one partition up to (not including) `nextOffset`, atomically. */
  async apply(partition: number, records: readonly OffsetsTopicRecord[], nextOffset: bigint): Promise<void> {
    const batch = this.db.batch();
    for (const record of records) {
      batch.put(ownerKey(record.group), String(partition));
      if (record.type === 'offset') {
        const key = offsetKey(record.group, record.topic, record.partition);
        if (record.value === null) batch.del(key);
        else batch.put(key, JSON.stringify({ ...record.value, offset: record.value.offset.toString() }));
      } else {
        const { group } = record;
        if (record.value === null) batch.del(groupKey(group));
        else batch.put(groupKey(group), Buffer.from(record.value).toString('base64'));
      }
    }
    batch.put(appliedKey(partition), nextOffset.toString());
    await batch.write();
  }

  /** Committed offsets of a group, by topic then partition. */
  async committedOffsets(group: string): Promise<Map<string, Map<number, CommittedOffset>>> {
    const result = new Map<string, Map<number, CommittedOffset>>();
    const prefix = `o${group}\0`;
    for await (const [key, value] of this.db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) {
      const [topic, partitionText] = key.slice(prefix.length).split('\0') as [string, string];
      const parsed = JSON.parse(value) as Omit<CommittedOffset, 'offset'> & { offset: string };
      let topicOffsets = result.get(topic);
      if (topicOffsets === undefined) result.set(topic, (topicOffsets = new Map<number, CommittedOffset>()));
      topicOffsets.set(Number(partitionText), { ...parsed, offset: BigInt(parsed.offset) });
    }
    return result;
  }

  /** Group metadata of the groups owned by `partition` (what a new coordinator loads). */
  async groupsOfPartition(partition: number): Promise<Map<string, Uint8Array>> {
    const groups = new Map<string, Uint8Array>();
    for await (const [key, value] of this.db.iterator({ gte: 'p', lt: 'p\uffff' })) {
      if (Number(value) !== partition) continue;
      const group = key.slice(1);
      const metadata = await this.db.get(groupKey(group));
      if (metadata !== undefined) groups.set(group, Buffer.from(metadata, 'base64'));
    }
    return groups;
  }

  /** Every group with stored metadata or offsets. */
  async groupIds(): Promise<string[]> {
    const ids = new Set<string>();
    for await (const key of this.db.keys({ gte: 'g', lt: 'g\uffff' })) ids.add(key.slice(1));
    for await (const key of this.db.keys({ gte: 'o', lt: 'o\uffff' })) ids.add(key.slice(1, key.indexOf('\0')));
    return [...ids].sort();
  }

  /** Forgets one partition's state (this node no longer replicates it). */
  async dropPartition(partition: number): Promise<void> {
    const batch = this.db.batch();
    for await (const [key, value] of this.db.iterator({ gte: 'p', lt: 'p\uffff' })) {
      if (Number(value) !== partition) continue;
      const group = key.slice(1);
      batch.del(key);
      batch.del(groupKey(group));
      for await (const offset of this.db.keys({ gte: `o${group}\0`, lt: `o${group}\0\uffff` })) batch.del(offset);
    }
    batch.del(appliedKey(partition));
    await batch.write();
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

const appliedKey = (partition: number): string => `a${partition}`;
const offsetKey = (group: string, topic: string, partition: number): string => `o${group}\0${topic}\0${partition}`;
const groupKey = (group: string): string => `g${group}`;
const ownerKey = (group: string): string => `p${group}`;
