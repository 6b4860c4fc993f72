import { silentLogger } from '@eddy/base';
import { connect, loadProtocol, type ProduceRequest, type ProduceResponse, type ServerHandle, startServer } from '@eddy/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { CorrelatedStream } from './correlated-stream.js';

const protocol = loadProtocol();
let server: ServerHandle | undefined;
const opened: { count: number } = { count: 0 };

afterEach(async () => {
  await server?.close(50);
  server = undefined;
});

/** Answers every request whose acks is 1, in reverse order of pairs; ignores acks 0; ends the stream on acks 99. */
async function start(): Promise<ServerHandle> {
  opened.count = 0;
  return startServer({
    protocol,
    host: '127.0.0.1',
    port: 0,
    services: {
      ClientService: {
        produce(call) {
          opened.count++;
          let held: ProduceRequest | undefined;
          const answer = (request: ProduceRequest): void => {
            call.write({ correlationId: request.correlationId, errorCode: 'NONE', errorMessage: '', topics: [], throttleTimeMs: request.timeoutMs, nodeEndpoints: [] });
          };
          call.on('data', (request: ProduceRequest) => {
            if (request.acks === 99) {
              call.end();
              return;
            }
            if (request.acks !== 1) return;
            if (held === undefined) {
              held = request;
              return;
            }
            answer(request);
            answer(held);
            held = undefined;
          });
          call.on('end', () => call.end());
        },
      },
    },
  });
}

function request(acks: number, tag: number) {
  return (correlationId: number): ProduceRequest => ({ correlationId, acks, timeoutMs: tag, topics: [] });
}

describe('CorrelatedStream', () => {
  it('matches answers to requests by correlation id, in any order', async () => {
    server = await start();
    const connection = connect(protocol, server.address);
    const stream = new CorrelatedStream<ProduceRequest, ProduceResponse>({ label: 'test', logger: silentLogger, open: () => connection.service('ClientService').produce() });
    try {
      const answers = await Promise.all([1, 2, 3, 4].map((tag) => stream.request(request(1, tag), 5_000)));
      expect(answers.map((answer) => answer.throttleTimeMs)).toEqual([1, 2, 3, 4]);
      expect(stream.inFlight).toBe(0);
      await stream.send(request(0, 5));
      expect(opened.count).toBe(1);
    } finally {
      await stream.close(100);
      connection.close();
    }
  });

  it('fails a request at its deadline and resets the stream; a new stream serves the next', async () => {
    server = await start();
    const connection = connect(protocol, server.address);
    const stream = new CorrelatedStream<ProduceRequest, ProduceResponse>({ label: 'test', logger: silentLogger, open: () => connection.service('ClientService').produce() });
    try {
      // The server holds a lone request until a second arrives: this one times out.
      const lone = stream.request(request(1, 1), 100);
      await expect(lone).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true });
      const [a, b] = await Promise.all([stream.request(request(1, 2), 5_000), stream.request(request(1, 3), 5_000)]);
      expect([a.throttleTimeMs, b.throttleTimeMs]).toEqual([2, 3]);
      expect(opened.count).toBe(2);
    } finally {
      await stream.close(100);
      connection.close();
    }
  });

  it('fails requests in flight with a retriable error when the broker ends the stream', async () => {
    server = await start();
    const connection = connect(protocol, server.address);
    const stream = new CorrelatedStream<ProduceRequest, ProduceResponse>({ label: 'test', logger: silentLogger, open: () => connection.service('ClientService').produce() });
    try {
      const waiting = stream.request(request(1, 1), 5_000);
      await stream.send(request(99, 0));
      await expect(waiting).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true });
      await stream.close(100);
      await expect(stream.request(request(1, 2), 100)).rejects.toMatchObject({ code: 'CANCELLED' });
    } finally {
      await stream.close(100);
      connection.close();
    }
  });
});
