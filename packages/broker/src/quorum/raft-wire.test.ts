import { loadProtocol } from '@eddy/protocol';
import type { Message } from '@eddy/raft';
import { describe, expect, it } from 'vitest';
import {
  appendRequestFromWire,
  appendResponseFromWire,
  heartbeatRequestFromWire,
  heartbeatResponseFromWire,
  installSnapshotResponseFromWire,
  isOutboundRequest,
  readIndexRequestFromWire,
  readIndexResponseFromWire,
  snapshotChunkFromWire,
  timeoutNowFromWire,
  toWire,
  voteRequestFromWire,
  voteResponseFromWire,
} from './raft-wire.js';

const envelope = { from: 1, to: 2, term: 7 };
const messages: Message[] = [
  { ...envelope, type: 'voteRequest', preVote: true, lastLogIndex: 10, lastLogTerm: 6, transfer: false },
  { ...envelope, type: 'voteResponse', preVote: false, granted: true },
  { ...envelope, type: 'appendRequest', prevLogIndex: 4, prevLogTerm: 3, commit: 4, entries: [{ index: 5, term: 7, kind: 'normal', data: Buffer.from('x') }, { index: 6, term: 7, kind: 'noop', data: Buffer.alloc(0) }] },
  { ...envelope, type: 'appendResponse', success: false, index: 9, rejectHint: 3, rejectHintTerm: 2 },
  { ...envelope, type: 'heartbeatRequest', commit: 8, readRound: 2 },
  { ...envelope, type: 'heartbeatResponse', readRound: 2 },
  { ...envelope, type: 'installSnapshotRequest', snapshotIndex: 40, snapshotTerm: 6, voters: [1, 2, 3], observers: [4], totalBytes: 100, offset: 50, data: Buffer.from('chunk'), done: false },
  { ...envelope, type: 'installSnapshotResponse', snapshotIndex: 40, offset: 50, nextOffset: 55, done: false },
  { ...envelope, type: 'timeoutNow' },
  { ...envelope, type: 'readIndexRequest', context: Buffer.from('ctx') },
  { ...envelope, type: 'readIndexResponse', context: Buffer.from('ctx'), index: 12 },
];

/** Sends a message through the same path as the transport: to wire, protobuf bytes, back. */
function roundTrip(message: Message): Message | undefined {
  const protocol = loadProtocol();
  const wire = toWire(message, '');
  if (isOutboundRequest(wire)) {
    const names = { vote: 'VoteRequest', append: 'AppendRequest', heartbeat: 'RaftHeartbeatRequest', installSnapshot: 'SnapshotChunk', timeoutNow: 'TimeoutNowRequest', readIndex: 'ReadIndexRequest' } as const;
    const codec = protocol.codec(names[wire.rpc]);
    const decoded = codec.decode(codec.encode(wire.request)) as never;
    const fromWire = { vote: voteRequestFromWire, append: appendRequestFromWire, heartbeat: heartbeatRequestFromWire, installSnapshot: snapshotChunkFromWire, timeoutNow: timeoutNowFromWire, readIndex: readIndexRequestFromWire }[wire.rpc];
    return fromWire(decoded);
  }
  const names = { vote: 'VoteResponse', append: 'AppendResponse', heartbeat: 'RaftHeartbeatResponse', installSnapshot: 'InstallSnapshotResponse', readIndex: 'ReadIndexResponse' } as const;
  const codec = protocol.codec(names[wire.rpc]);
  const decoded = codec.decode(codec.encode(wire.response)) as never;
  const fromWire = { vote: voteResponseFromWire, append: appendResponseFromWire, heartbeat: heartbeatResponseFromWire, installSnapshot: installSnapshotResponseFromWire, readIndex: readIndexResponseFromWire }[wire.rpc];
  return fromWire(decoded, message.to);
}

const normalize = (message: Message | undefined): unknown =>
  JSON.parse(JSON.stringify(message, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value)));

describe('Raft messages on the wire', () => {
  it.each(messages.map((message) => [message.type, message] as const))('%s survives encoding and decoding', (_type, message) => {
    expect(normalize(roundTrip(message))).toEqual(normalize(message));
  });
});
