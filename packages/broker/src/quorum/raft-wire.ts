import type { Messages } from '@eddy/protocol';
import type { Entry, EntryKind, Message } from '@eddy/raft';

/**
 * Raft's plain messages on the wire (raft.proto), field by field. Responses on the wire carry
 * no addressee: they travel back to the node that sent the request, so the receiver fills
 * `to` with its own id.
 */
type Wire = Messages;

const entryTypes: Readonly<Record<EntryKind, Wire['RaftEntry']['type']>> = {
  normal: 'RAFT_ENTRY_TYPE_NORMAL',
  noop: 'RAFT_ENTRY_TYPE_NO_OP',
  membership: 'RAFT_ENTRY_TYPE_MEMBERSHIP',
};

function entryToWire(entry: Entry): Wire['RaftEntry'] {
  return { index: BigInt(entry.index), term: BigInt(entry.term), type: entryTypes[entry.kind], data: Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength) };
}

function entryFromWire(entry: Wire['RaftEntry']): Entry | undefined {
  const kind = entry.type === 'RAFT_ENTRY_TYPE_NORMAL' ? 'normal' : entry.type === 'RAFT_ENTRY_TYPE_NO_OP' ? 'noop' : entry.type === 'RAFT_ENTRY_TYPE_MEMBERSHIP' ? 'membership' : undefined;
  return kind === undefined ? undefined : { index: Number(entry.index), term: Number(entry.term), kind, data: entry.data };
}

const n = (value: bigint): number => Number(value);
const b = (value: number): bigint => BigInt(value);

export type OutboundRequest =
  | { readonly rpc: 'vote'; readonly request: Wire['VoteRequest'] }
  | { readonly rpc: 'append'; readonly request: Wire['AppendRequest'] }
  | { readonly rpc: 'heartbeat'; readonly request: Wire['RaftHeartbeatRequest'] }
  | { readonly rpc: 'installSnapshot'; readonly request: Wire['SnapshotChunk'] }
  | { readonly rpc: 'timeoutNow'; readonly request: Wire['TimeoutNowRequest'] }
  | { readonly rpc: 'readIndex'; readonly request: Wire['ReadIndexRequest'] };

export type OutboundResponse =
  | { readonly rpc: 'vote'; readonly response: Wire['VoteResponse'] }
  | { readonly rpc: 'append'; readonly response: Wire['AppendResponse'] }
  | { readonly rpc: 'heartbeat'; readonly response: Wire['RaftHeartbeatResponse'] }
  | { readonly rpc: 'installSnapshot'; readonly response: Wire['InstallSnapshotResponse'] }
  | { readonly rpc: 'readIndex'; readonly response: Wire['ReadIndexResponse'] };

const ok = { errorCode: 'NONE', errorMessage: '' } as const;

/** A message the local node sends: a request for a peer, or a response to a peer's request. */
export function toWire(message: Message, clusterId: string): OutboundRequest | OutboundResponse {
  const { from, to, term } = message;
  const envelope = { clusterId, term: b(term), fromId: from, toId: to };
  switch (message.type) {
    case 'voteRequest':
      return {
        rpc: 'vote',
        request: { ...envelope, lastLogIndex: b(message.lastLogIndex), lastLogTerm: b(message.lastLogTerm), preVote: message.preVote, leadershipTransfer: message.transfer },
      };
    case 'appendRequest':
      return {
        rpc: 'append',
        request: { ...envelope, prevLogIndex: b(message.prevLogIndex), prevLogTerm: b(message.prevLogTerm), entries: message.entries.map(entryToWire), commit: b(message.commit) },
      };
    case 'heartbeatRequest':
      return { rpc: 'heartbeat', request: { ...envelope, commit: b(message.commit), readRound: b(message.readRound) } };
    case 'installSnapshotRequest':
      return {
        rpc: 'installSnapshot',
        request: {
          ...envelope,
          snapshotIndex: b(message.snapshotIndex),
          snapshotTerm: b(message.snapshotTerm),
          membership: { voters: [...message.voters], observers: [...message.observers] },
          sizeBytes: b(message.totalBytes),
          position: b(message.offset),
          data: Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength),
          done: message.done,
          ...ok,
        },
      };
    case 'timeoutNow':
      return { rpc: 'timeoutNow', request: envelope };
    case 'readIndexRequest':
      return { rpc: 'readIndex', request: { ...envelope, context: Buffer.from(message.context) } };
    case 'voteResponse':
      return { rpc: 'vote', response: { ...ok, term: b(term), fromId: from, preVote: message.preVote, voteGranted: message.granted } };
    case 'appendResponse':
      return {
        rpc: 'append',
        response: { ...ok, term: b(term), fromId: from, success: message.success, index: b(message.index), rejectHint: b(message.rejectHint), rejectHintTerm: b(message.rejectHintTerm) },
      };
    case 'heartbeatResponse':
      return { rpc: 'heartbeat', response: { ...ok, term: b(term), fromId: from, readRound: b(message.readRound) } };
    case 'installSnapshotResponse':
      return {
        rpc: 'installSnapshot',
        response: { ...ok, term: b(term), fromId: from, snapshotIndex: b(message.snapshotIndex), nextPosition: b(message.nextOffset), done: message.done, position: b(message.offset) },
      };
    case 'readIndexResponse':
      return { rpc: 'readIndex', response: { ...ok, term: b(term), fromId: from, leaderId: from, context: Buffer.from(message.context), readIndex: b(message.index) } };
  }
}

export function isOutboundRequest(message: OutboundRequest | OutboundResponse): message is OutboundRequest {
  return 'request' in message;
}

/** Requests from peers, as Raft messages for the local node; undefined for malformed ones. */
export function voteRequestFromWire(request: Wire['VoteRequest']): Message {
  return {
    type: 'voteRequest',
    from: request.fromId,
    to: request.toId,
    term: n(request.term),
    preVote: request.preVote,
    lastLogIndex: n(request.lastLogIndex),
    lastLogTerm: n(request.lastLogTerm),
    transfer: request.leadershipTransfer,
  };
}

export function appendRequestFromWire(request: Wire['AppendRequest']): Message | undefined {
  const entries = request.entries.map(entryFromWire);
  if (entries.some((entry) => entry === undefined)) return undefined;
  return {
    type: 'appendRequest',
    from: request.fromId,
    to: request.toId,
    term: n(request.term),
    prevLogIndex: n(request.prevLogIndex),
    prevLogTerm: n(request.prevLogTerm),
    entries: entries as Entry[],
    commit: n(request.commit),
  };
}

export function heartbeatRequestFromWire(request: Wire['RaftHeartbeatRequest']): Message {
  return { type: 'heartbeatRequest', from: request.fromId, to: request.toId, term: n(request.term), commit: n(request.commit), readRound: n(request.readRound) };
}

export function snapshotChunkFromWire(chunk: Wire['SnapshotChunk']): Message {
  return {
    type: 'installSnapshotRequest',
    from: chunk.fromId,
    to: chunk.toId,
    term: n(chunk.term),
    snapshotIndex: n(chunk.snapshotIndex),
    snapshotTerm: n(chunk.snapshotTerm),
    voters: chunk.membership?.voters ?? [],
    observers: chunk.membership?.observers ?? [],
    totalBytes: n(chunk.sizeBytes),
    offset: n(chunk.position),
    data: chunk.data,
    done: chunk.done,
  };
}

export function timeoutNowFromWire(request: Wire['TimeoutNowRequest']): Message {
  return { type: 'timeoutNow', from: request.fromId, to: request.toId, term: n(request.term) };
}

export function readIndexRequestFromWire(request: Wire['ReadIndexRequest']): Message {
  return { type: 'readIndexRequest', from: request.fromId, to: request.toId, term: n(request.term), context: request.context };
}

/** Responses from peers, addressed to the local node `to`. */
export function voteResponseFromWire(response: Wire['VoteResponse'], to: number): Message {
  return { type: 'voteResponse', from: response.fromId, to, term: n(response.term), preVote: response.preVote, granted: response.voteGranted };
}

export function appendResponseFromWire(response: Wire['AppendResponse'], to: number): Message {
  return {
    type: 'appendResponse',
    from: response.fromId,
    to,
    term: n(response.term),
    success: response.success,
    index: n(response.index),
    rejectHint: n(response.rejectHint),
    rejectHintTerm: n(response.rejectHintTerm),
  };
}

export function heartbeatResponseFromWire(response: Wire['RaftHeartbeatResponse'], to: number): Message {
  return { type: 'heartbeatResponse', from: response.fromId, to, term: n(response.term), readRound: n(response.readRound) };
}

export function installSnapshotResponseFromWire(response: Wire['InstallSnapshotResponse'], to: number): Message {
  return {
    type: 'installSnapshotResponse',
    from: response.fromId,
    to,
    term: n(response.term),
    snapshotIndex: n(response.snapshotIndex),
    offset: n(response.position),
    nextOffset: n(response.nextPosition),
    done: response.done,
  };
}

export function readIndexResponseFromWire(response: Wire['ReadIndexResponse'], to: number): Message {
  return { type: 'readIndexResponse', from: response.fromId, to, term: n(response.term), context: response.context, index: n(response.readIndex) };
}
