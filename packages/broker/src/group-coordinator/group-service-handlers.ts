import type { Logger } from '@eddy/base';
import { clientIdMetadataKey, type ServiceHandlers, toGrpcStatus } from '@eddy/protocol';
import type * as grpc from '@grpc/grpc-js';
import type { GroupCoordinator } from './group-coordinator.js';

/**
 * GroupService over gRPC: each RPC is handed to the coordinator and answered when its promise
 * settles (JoinGroup and SyncGroup long-poll). Answers carry their errors in `error_code`; a
 * rejected promise is a bug and fails the call with UNKNOWN_SERVER_ERROR.
 */
export function groupServiceHandlers(coordinator: GroupCoordinator, logger: Logger): ServiceHandlers<'GroupService'> {
  function serve<Req, Res>(run: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      let answer: Promise<Res>;
      try {
        answer = Promise.resolve(run(call.request, call));
      } catch (error) {
        answer = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      answer.then(
        (response) => callback(null, response),
        (error: unknown) => {
          logger.error({ error: error instanceof Error ? error.message : String(error) }, 'a group request failed');
          callback(toGrpcStatus(error));
        },
      );
    };
  }

  return {
    findCoordinator: serve((request) => coordinator.findCoordinator(request)),
    joinGroup: serve((request, call) => coordinator.joinGroup(request, clientIdOf(call), hostOf(call))),
    syncGroup: serve((request) => coordinator.syncGroup(request)),
    heartbeat: serve((request) => coordinator.heartbeat(request)),
    leaveGroup: serve((request) => coordinator.leaveGroup(request)),
    offsetCommit: serve((request) => coordinator.offsetCommit(request)),
    offsetFetch: serve((request) => coordinator.offsetFetch(request)),
    listGroups: serve((request) => coordinator.listGroups(request)),
    describeGroups: serve((request) => coordinator.describeGroups(request)),
    deleteGroups: serve((request) => coordinator.deleteGroups(request)),
    deleteOffsets: serve((request) => coordinator.deleteOffsets(request)),
  };
}

/** The client's `eddy-client-id` call metadata, '' when absent. */
function clientIdOf(call: grpc.ServerUnaryCall<unknown, unknown>): string {
  const value = call.metadata.get(clientIdMetadataKey)[0];
  return typeof value === 'string' ? value.slice(0, 1024) : '';
}

/** The peer's address without its port (`127.0.0.1`, `::1`), as `groups describe` shows it. */
export function hostOf(call: { getPeer(): string }): string {
  return peerHost(call.getPeer());
}

export function peerHost(peer: string): string {
  const address = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed !== null) return bracketed[1] ?? address;
  const hostPort = /^([^:]+):\d+$/.exec(address);
  return hostPort?.[1] ?? address;
}
