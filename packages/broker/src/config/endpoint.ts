import { EddyError } from '@eddy/base';
import type { Endpoint } from '@eddy/metadata';

/** Parses `host:port` (IPv6 hosts in brackets: `[::1]:9092`). */
export function parseEndpoint(text: string): Endpoint {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || !(port > 0 && port < 65536)) {
    throw new EddyError('INVALID_CONFIG', `expected host:port, got ${JSON.stringify(text)}`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** Parses the quorum voter list `1@127.0.0.1:9092,2@127.0.0.1:9093`. */
export function parseQuorumVoters(text: string): Map<number, Endpoint> {
  const voters = new Map<number, Endpoint>();
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const at = part.indexOf('@');
    const id = Number(part.slice(0, at));
    if (at <= 0 || !Number.isInteger(id) || id < 0) {
      throw new EddyError('INVALID_CONFIG', `expected nodeId@host:port in the controller quorum, got ${JSON.stringify(part)}`);
    }
    if (voters.has(id)) throw new EddyError('INVALID_CONFIG', `node ${id} appears twice in the controller quorum`);
    voters.set(id, parseEndpoint(part.slice(at + 1)));
  }
  if (voters.size === 0) throw new EddyError('INVALID_CONFIG', 'the controller quorum lists no voter');
  return voters;
}
