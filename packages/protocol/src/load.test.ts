import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EddyError } from '@eddy/base';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProtocol, protoDirEnvVar, resolveProtoDir } from './load.js';
import type { FetchResponse, MetadataResponse } from './messages/client.js';

const repoProtoDir = resolve(fileURLToPath(new URL('../../../proto', import.meta.url)));

describe('resolveProtoDir', () => {
  const empty = mkdtempSync(join(tmpdir(), 'eddy-proto-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it("finds the repository's proto directory from the package sources", () => {
    expect(resolveProtoDir({ env: {} })).toBe(repoProtoDir);
  });

  it('takes an explicit directory, as proto/ or as proto/eddy/v1', () => {
    expect(resolveProtoDir({ protoDir: repoProtoDir, env: {} })).toBe(repoProtoDir);
    expect(resolveProtoDir({ protoDir: join(repoProtoDir, 'eddy', 'v1'), env: {} })).toBe(repoProtoDir);
  });

  it(`honours ${protoDirEnvVar}, and the explicit option over it`, () => {
    expect(resolveProtoDir({ env: { [protoDirEnvVar]: join(repoProtoDir, 'eddy', 'v1') } })).toBe(repoProtoDir);
    expect(() => resolveProtoDir({ env: { [protoDirEnvVar]: empty } })).toThrow(new RegExp(`${protoDirEnvVar}=.*no eddy/v1/common.proto`));
    expect(resolveProtoDir({ protoDir: repoProtoDir, env: { [protoDirEnvVar]: empty } })).toBe(repoProtoDir);
  });

  it('fails with a typed INVALID_CONFIG error for a directory without the protos', () => {
    const error = (() => {
      try {
        return resolveProtoDir({ protoDir: empty, env: {} });
      } catch (caught: unknown) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(EddyError);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe('loadProtocol', () => {
  const protocol = loadProtocol();

  it('loads once per directory', () => {
    expect(loadProtocol({ protoDir: join(repoProtoDir, 'eddy', 'v1') })).toBe(protocol);
    expect(protocol.protoDir).toBe(repoProtoDir);
  });

  it('decodes int64 as bigint, bytes as Buffer and enums as names, both ways', () => {
    const codec = protocol.codec('FetchResponse');
    const records = Buffer.from('whole record batches');
    const response: FetchResponse = {
      correlationId: 4_000_000_000,
      errorCode: 'NONE',
      errorMessage: '',
      throttleTimeMs: 0,
      nodeEndpoints: [{ brokerId: 2, host: '127.0.0.1', port: 9093, rack: '' }],
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partition: 0,
              errorCode: 'FENCED_LEADER_EPOCH',
              errorMessage: 'epoch 3 is older than 4',
              highWatermark: 2n ** 63n - 1n,
              logStartOffset: -1n,
              divergingEpoch: { epoch: 3, endOffset: 9_007_199_254_740_993n },
              currentLeaderId: 2,
              currentLeaderEpoch: 4,
              records,
            },
          ],
        },
      ],
    };
    const decoded = codec.decode(codec.encode(response));
    expect(decoded).toEqual(response);
    expect(Buffer.isBuffer(decoded.topics[0]?.partitions[0]?.records)).toBe(true);
  });

  it('fills every absent field: zero scalars, empty lists, null messages', () => {
    const codec = protocol.codec('MetadataResponse');
    const decoded: MetadataResponse = codec.decode(Buffer.alloc(0));
    expect(decoded).toEqual({ clusterId: '', controllerId: 0, brokers: [], topics: [], metadataOffset: 0n });
    const partition = protocol.codec('FetchPartitionResponse').decode(Buffer.alloc(0));
    expect(partition.divergingEpoch).toBeNull();
    expect(partition.records).toEqual(Buffer.alloc(0));
    expect(partition.errorCode).toBe('NONE');
  });

  it('decodes enum values it does not know as UNKNOWN_SERVER_ERROR or the zero value', () => {
    // HeartbeatResponse { error_code = 1 }: field 1, varint 4242.
    expect(protocol.codec('HeartbeatResponse').decode(Buffer.from([0x08, 0x92, 0x21])).errorCode).toBe('UNKNOWN_SERVER_ERROR');
    // ListGroupsRequest { repeated GroupState states_filter = 1 }: packed [4 (STABLE), 99].
    expect(protocol.codec('ListGroupsRequest').decode(Buffer.from([0x0a, 0x02, 0x04, 0x63])).statesFilter).toEqual([
      'GROUP_STATE_STABLE',
      'GROUP_STATE_UNSPECIFIED',
    ]);
    // Nested: ListGroupsResponse.groups[0].group_state = 77.
    const group = Buffer.from([0x0a, 0x01, 0x67, 0x18, 0x4d]);
    const listed = protocol.codec('ListGroupsResponse').decode(Buffer.concat([Buffer.from([0x1a, group.length]), group]));
    expect(listed.groups).toEqual([{ groupId: 'g', protocolType: '', groupState: 'GROUP_STATE_UNSPECIFIED' }]);
  });

  it('gives grpc-js definitions of every service with its RPC kinds', () => {
    const client = protocol.serviceDefinition('ClientService');
    expect(client['Produce']).toMatchObject({ path: '/eddy.v1.ClientService/Produce', requestStream: true, responseStream: true });
    expect(client['Metadata']).toMatchObject({ requestStream: false, responseStream: false, originalName: 'metadata' });
    const raft = protocol.serviceDefinition('RaftService');
    expect(raft['InstallSnapshot']).toMatchObject({ requestStream: true, responseStream: true });
    expect(raft['FetchSnapshot']).toMatchObject({ requestStream: false, responseStream: true });
    expect(protocol.method('GroupService', 'JoinGroup').path).toBe('/eddy.v1.GroupService/JoinGroup');
  });
});
