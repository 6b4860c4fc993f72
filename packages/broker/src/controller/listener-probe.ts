import { connect } from 'node:net';
import type { Endpoint } from '@eddy/metadata';

/**
 * What one TCP connection attempt to a broker's listener showed. Only `refused` is evidence:
 * the host answered that nothing listens on the port, so the broker process is gone. A timeout
 * or any other error says nothing (a slow network, an isolated host) and is `unknown`.
 */
export type ListenerProbeResult = 'refused' | 'reachable' | 'unknown';

export type ListenerProbe = (endpoint: Endpoint, timeoutMs: number) => Promise<ListenerProbeResult>;

/** Opens and at once closes a TCP connection to `endpoint`. */
export const probeListener: ListenerProbe = (endpoint, timeoutMs) =>
  new Promise((resolve) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => settle('unknown'), timeoutMs);
    function settle(result: ListenerProbeResult): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
    socket.once('connect', () => settle('reachable'));
    socket.once('error', (error: NodeJS.ErrnoException) => settle(error.code === 'ECONNREFUSED' ? 'refused' : 'unknown'));
  });
