import type { Endpoint } from '@eddy/metadata';
import { type Connection, connect, type Protocol, type ServiceClient, type ServiceName } from '@eddy/protocol';
import { formatEndpoint } from '../config/endpoint.js';

/**
 * One gRPC channel per peer node, opened on first use and reopened when the peer's address
 * changes. Addresses come from the controller quorum (voters) and from broker registrations
 * in the metadata image (every node).
 */
export class NodeConnections {
  private readonly connections = new Map<number, Connection>();

  constructor(
    private readonly protocol: Protocol,
    private readonly clientId: string,
    private readonly endpointOf: (nodeId: number) => Endpoint | undefined,
  ) {}

  service<S extends ServiceName>(nodeId: number, service: S): ServiceClient<S> | undefined {
    const endpoint = this.endpointOf(nodeId);
    if (endpoint === undefined) return undefined;
    const target = formatEndpoint(endpoint);
    let connection = this.connections.get(nodeId);
    if (connection?.target !== target) {
      connection?.close();
      connection = connect(this.protocol, target, { clientId: this.clientId });
      this.connections.set(nodeId, connection);
    }
    return connection.service(service);
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
