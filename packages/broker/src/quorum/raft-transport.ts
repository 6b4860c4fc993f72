import type { Logger } from '@eddy/base';
import type { Messages, ServiceClient, ServiceHandlers } from '@eddy/protocol';
import type { Message, Transport } from '@eddy/raft';
import type * as grpc from '@grpc/grpc-js';
import {
  appendRequestFromWire,
  appendResponseFromWire,
  heartbeatRequestFromWire,
  heartbeatResponseFromWire,
  installSnapshotResponseFromWire,
  isOutboundRequest,
  type OutboundRequest,
  type OutboundResponse,
  readIndexRequestFromWire,
  readIndexResponseFromWire,
  snapshotChunkFromWire,
  timeoutNowFromWire,
  toWire,
  voteRequestFromWire,
  voteResponseFromWire,
} from './raft-wire.js';

type RaftClient = ServiceClient<'RaftService'>;
type StreamRpc = 'append' | 'heartbeat' | 'installSnapshot';
type PendingRpc = 'vote' | 'readIndex';

export interface RaftTransportOptions {
  readonly nodeId: number;
  /** The RaftService client of a peer, or undefined while its address is unknown. */
  readonly clientOf: (nodeId: number) => RaftClient | undefined;
  readonly logger: Logger;
  /** A unary request the local node has not answered by then gets REQUEST_TIMED_OUT. */
  readonly answerTimeoutMs?: number;
  /** Bytes buffered on one outgoing stream beyond which messages are dropped (Raft resends). */
  readonly streamBufferBytesMax?: number;
}

interface OutgoingStreams {
  append?: grpc.ClientDuplexStream<Messages['AppendRequest'], Messages['AppendResponse']>;
  heartbeat?: grpc.ClientDuplexStream<Messages['RaftHeartbeatRequest'], Messages['RaftHeartbeatResponse']>;
  installSnapshot?: grpc.ClientDuplexStream<Messages['SnapshotChunk'], Messages['InstallSnapshotResponse']>;
}

interface PendingAnswer {
  readonly answer: (response: OutboundResponse['response'] | undefined) => void;
}

/**
 * Raft's Transport over the RaftService of proto/eddy/v1. Each peer gets its own long-lived
 * streams (Append, Heartbeat, InstallSnapshot), so a slow peer never holds up another; votes,
 * TimeoutNow and ReadIndex are unary calls. Requests from a peer are stepped into the local
 * node, and the node's responses go back on the stream (or call) the request came on.
 *
 * Delivery is best effort, as Raft expects: a full stream buffer or a broken connection drops
 * messages, and Raft's retries and heartbeats repair the gap.
 */
export class RaftGrpcTransport implements Transport {
  private handler: (message: Message) => void = () => undefined;
  private readonly outgoing = new Map<number, OutgoingStreams>();
  private readonly incoming = new Map<StreamRpc, Map<number, grpc.ServerDuplexStream<unknown, unknown>>>([
    ['append', new Map()],
    ['heartbeat', new Map()],
    ['installSnapshot', new Map()],
  ]);
  private readonly pending = new Map<PendingRpc, Map<number, PendingAnswer[]>>([
    ['vote', new Map()],
    ['readIndex', new Map()],
  ]);
  private closed = false;
  /** When each peer last answered one of this node's requests (wall-clock ms). */
  private readonly lastAnswerMs = new Map<number, number>();
  private readonly answerTimeoutMs: number;
  private readonly streamBufferBytesMax: number;

  constructor(private readonly options: RaftTransportOptions) {
    this.answerTimeoutMs = options.answerTimeoutMs ?? 2_000;
    this.streamBufferBytesMax = options.streamBufferBytesMax ?? 16 * 1024 * 1024;
  }

  onMessage(handler: (message: Message) => void): void {
    this.handler = handler;
  }

  send(message: Message): void {
    if (this.closed) return;
    const wire = toWire(message, '');
    if (isOutboundRequest(wire)) this.sendRequest(message.to, wire);
    else this.sendResponse(message.to, wire);
  }

  /** Closes every stream and answers every waiting call; later sends are dropped. */
  close(): void {
    this.closed = true;
    for (const streams of this.outgoing.values()) {
      streams.append?.cancel();
      streams.heartbeat?.cancel();
      streams.installSnapshot?.cancel();
    }
    this.outgoing.clear();
    for (const streams of this.incoming.values()) for (const stream of streams.values()) stream.end();
    for (const byPeer of this.pending.values()) for (const answers of byPeer.values()) for (const pending of answers.splice(0)) pending.answer(undefined);
  }

  /** The server side of RaftService for this node. */
  handlers(): Partial<ServiceHandlers<'RaftService'>> {
    return {
      vote: (call, callback) => {
        const message = voteRequestFromWire(call.request);
        this.awaitAnswer('vote', message.from, (response) => callback(null, (response as Messages['VoteResponse'] | undefined) ?? this.timedOut('vote')));
        this.deliver(message);
      },
      readIndex: (call, callback) => {
        const message = readIndexRequestFromWire(call.request);
        this.awaitAnswer('readIndex', message.from, (response) => callback(null, (response as Messages['ReadIndexResponse'] | undefined) ?? this.timedOut('readIndex')));
        this.deliver(message);
      },
      timeoutNow: (call, callback) => {
        this.deliver(timeoutNowFromWire(call.request));
        callback(null, { errorCode: 'NONE', errorMessage: '', term: call.request.term, fromId: this.options.nodeId });
      },
      append: (stream) => this.serveStream('append', stream, appendRequestFromWire),
      heartbeat: (stream) => this.serveStream('heartbeat', stream, heartbeatRequestFromWire),
      installSnapshot: (stream) => this.serveStream('installSnapshot', stream, snapshotChunkFromWire),
    };
  }

  /** When `peer` last answered this node (wall-clock ms), if ever. */
  lastAnswerFrom(peer: number): number | undefined {
    return this.lastAnswerMs.get(peer);
  }

  private deliver(message: Message | undefined): void {
    if (message === undefined || message.to !== this.options.nodeId || this.closed) return;
    if (message.type.endsWith('Response')) this.lastAnswerMs.set(message.from, Date.now());
    try {
      this.handler(message);
    } catch (error: unknown) {
      this.options.logger.warn({ err: error, type: message.type, from: message.from }, 'dropped a Raft message the node refused');
    }
  }

  private serveStream<Req>(rpc: StreamRpc, stream: grpc.ServerDuplexStream<unknown, unknown> & grpc.ServerDuplexStream<Req, unknown>, decode: (request: Req) => Message | undefined): void {
    const streams = this.incoming.get(rpc) as Map<number, grpc.ServerDuplexStream<unknown, unknown>>;
    let peer: number | undefined;
    const forget = (): void => {
      if (peer !== undefined && streams.get(peer) === stream) streams.delete(peer);
    };
    stream.on('data', (request: Req) => {
      const message = decode(request);
      if (message === undefined) return;
      if (peer !== message.from) {
        forget();
        peer = message.from;
        streams.get(peer)?.end();
        streams.set(peer, stream);
      }
      this.deliver(message);
    });
    stream.on('end', () => {
      forget();
      stream.end();
    });
    stream.on('error', forget);
    stream.on('close', forget);
  }

  private awaitAnswer(rpc: PendingRpc, peer: number, answer: (response: OutboundResponse['response'] | undefined) => void): void {
    const byPeer = this.pending.get(rpc) as Map<number, PendingAnswer[]>;
    const answers = byPeer.get(peer) ?? [];
    byPeer.set(peer, answers);
    let done = false;
    const pending: PendingAnswer = {
      answer: (response) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const at = answers.indexOf(pending);
        if (at >= 0) answers.splice(at, 1);
        answer(response);
      },
    };
    const timer = setTimeout(() => pending.answer(undefined), this.answerTimeoutMs);
    answers.push(pending);
  }

  /** The answer to a unary request the local node dropped or did not answer in time. */
  private timedOut(rpc: PendingRpc): Messages['VoteResponse'] & Messages['ReadIndexResponse'] {
    // One object serves both RPCs: each serializer keeps only its message's fields.
    return {
      errorCode: 'REQUEST_TIMED_OUT',
      errorMessage: `node ${this.options.nodeId} did not answer the ${rpc} request within ${this.answerTimeoutMs} ms`,
      term: 0n,
      fromId: this.options.nodeId,
      preVote: false,
      voteGranted: false,
      leaderId: 0,
      context: Buffer.alloc(0),
      readIndex: 0n,
    };
  }

  private sendResponse(peer: number, wire: OutboundResponse): void {
    if (wire.rpc === 'vote' || wire.rpc === 'readIndex') {
      const answers = this.pending.get(wire.rpc)?.get(peer);
      answers?.[0]?.answer(wire.response);
      return;
    }
    const stream = this.incoming.get(wire.rpc)?.get(peer);
    if (stream !== undefined && stream.writableLength < this.streamBufferBytesMax) stream.write(wire.response);
  }

  private sendRequest(peer: number, wire: OutboundRequest): void {
    const client = this.options.clientOf(peer);
    if (client === undefined) return;
    const local = this.options.nodeId;
    const ignore = (error: unknown): void => this.options.logger.debug({ err: error, peer, rpc: wire.rpc }, 'Raft request failed');
    switch (wire.rpc) {
      case 'vote':
        client.vote(wire.request, { timeoutMs: this.answerTimeoutMs }).then((response) => {
          if (response.errorCode === 'NONE') this.deliver(voteResponseFromWire(response, local));
        }, ignore);
        return;
      case 'readIndex':
        client.readIndex(wire.request, { timeoutMs: this.answerTimeoutMs }).then((response) => {
          if (response.errorCode === 'NONE') this.deliver(readIndexResponseFromWire(response, local));
        }, ignore);
        return;
      case 'timeoutNow':
        client.timeoutNow(wire.request, { timeoutMs: this.answerTimeoutMs }).catch(ignore);
        return;
      case 'append':
        this.write(peer, 'append', wire.request, () => {
          const stream = client.append();
          stream.on('data', (response: Messages['AppendResponse']) => this.deliver(appendResponseFromWire(response, local)));
          return stream;
        });
        return;
      case 'heartbeat':
        this.write(peer, 'heartbeat', wire.request, () => {
          const stream = client.heartbeat();
          stream.on('data', (response: Messages['RaftHeartbeatResponse']) => this.deliver(heartbeatResponseFromWire(response, local)));
          return stream;
        });
        return;
      case 'installSnapshot':
        this.write(peer, 'installSnapshot', wire.request, () => {
          const stream = client.installSnapshot();
          stream.on('data', (response: Messages['InstallSnapshotResponse']) => this.deliver(installSnapshotResponseFromWire(response, local)));
          return stream;
        });
        return;
    }
  }

  /** Writes on the peer's stream for `rpc`, opening it when there is none. */
  private write<K extends StreamRpc>(peer: number, rpc: K, request: Parameters<NonNullable<OutgoingStreams[K]>['write']>[0], open: () => NonNullable<OutgoingStreams[K]>): void {
    let streams = this.outgoing.get(peer);
    if (streams === undefined) this.outgoing.set(peer, (streams = {}));
    let stream = streams[rpc];
    if (stream === undefined) {
      const opened = open();
      const drop = (): void => {
        if (streams[rpc] === opened) delete streams[rpc];
      };
      opened.on('error', (error: unknown) => {
        drop();
        this.options.logger.debug({ err: error, peer, rpc }, 'Raft stream closed');
      });
      opened.on('end', drop);
      opened.on('close', drop);
      streams[rpc] = opened;
      stream = opened;
    }
    if (stream.writableLength >= this.streamBufferBytesMax) return;
    (stream as grpc.ClientDuplexStream<typeof request, unknown>).write(request);
  }
}
