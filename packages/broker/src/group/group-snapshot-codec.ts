import { EddyError } from '@eddy/base';
import type { GroupSnapshot, MemberSnapshot, RebalanceRecord } from './group-types.js';
import { groupLimits } from './limits.js';

/**
 * Group metadata as bytes, for the value of its record in __consumer_offsets and its LevelDB
 * entry: versioned JSON with the opaque member bytes in base64. The decoder checks every field,
 * because the bytes come from disk and from other nodes.
 */
export class GroupMetadataError extends EddyError {
  override readonly name = 'GroupMetadataError';

  constructor(message: string) {
    super('CORRUPT_RECORD', `group metadata: ${message}`, { retriable: false });
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeGroupSnapshot(snapshot: GroupSnapshot): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      ...snapshot,
      members: snapshot.members.map((m) => ({ ...m, subscription: toBase64(m.subscription), assignment: toBase64(m.assignment) })),
    }),
  );
}

export function decodeGroupSnapshot(bytes: Uint8Array): GroupSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new GroupMetadataError(`not JSON (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  const root = object(json, 'snapshot');
  if (root['version'] !== 1) throw new GroupMetadataError(`unsupported version ${JSON.stringify(root['version'])}`);
  const groupId = name(root['groupId'], 'groupId');
  const members = list(root['members'], 'members').map((m, i) => member(m, `members[${i}]`));
  const snapshot: GroupSnapshot = {
    version: 1,
    groupId,
    generationId: integer(root['generationId'], 'generationId', 0),
    protocolType: nullable(root['protocolType'], 'protocolType'),
    protocolName: nullable(root['protocolName'], 'protocolName'),
    leaderId: nullable(root['leaderId'], 'leaderId'),
    members,
    rebalanceHistory: list(root['rebalanceHistory'], 'rebalanceHistory')
      .slice(-groupLimits.rebalanceHistoryMax)
      .map((r, i) => rebalanceRecord(r, `rebalanceHistory[${i}]`)),
    ...(root['emptySinceMs'] === undefined ? {} : { emptySinceMs: number(root['emptySinceMs'], 'emptySinceMs') }),
  };
  if (members.length > 0 && snapshot.emptySinceMs !== undefined) throw new GroupMetadataError('a group with members cannot be empty since a time');
  if (members.length > 0 && (snapshot.protocolName === null || snapshot.protocolType === null)) throw new GroupMetadataError('members without a protocol');
  if (new Set(members.map((m) => m.memberId)).size !== members.length) throw new GroupMetadataError('a member appears twice');
  const instances = members.flatMap((m) => (m.groupInstanceId === null ? [] : [m.groupInstanceId]));
  if (new Set(instances).size !== instances.length) throw new GroupMetadataError('an instance id appears twice');
  return snapshot;
}

function member(value: unknown, what: string): MemberSnapshot {
  const m = object(value, what);
  return {
    memberId: name(m['memberId'], `${what}.memberId`),
    groupInstanceId: nullable(m['groupInstanceId'], `${what}.groupInstanceId`),
    clientId: text(m['clientId'], `${what}.clientId`),
    clientHost: text(m['clientHost'], `${what}.clientHost`),
    sessionTimeoutMs: integer(m['sessionTimeoutMs'], `${what}.sessionTimeoutMs`, 1),
    rebalanceTimeoutMs: integer(m['rebalanceTimeoutMs'], `${what}.rebalanceTimeoutMs`, 1),
    subscription: bytes(m['subscription'], `${what}.subscription`, groupLimits.protocolMetadataBytesMax),
    assignment: bytes(m['assignment'], `${what}.assignment`, groupLimits.assignmentBytesMax),
  };
}

function rebalanceRecord(value: unknown, what: string): RebalanceRecord {
  const r = object(value, what);
  return {
    startedAtMs: number(r['startedAtMs'], `${what}.startedAtMs`),
    fromGenerationId: integer(r['fromGenerationId'], `${what}.fromGenerationId`, 0),
    reasons: list(r['reasons'], `${what}.reasons`)
      .slice(0, groupLimits.reasonsPerRebalanceMax)
      .map((reason, i) => text(reason, `${what}.reasons[${i}]`)),
    omittedReasonCount: integer(r['omittedReasonCount'], `${what}.omittedReasonCount`, 0),
  };
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GroupMetadataError(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new GroupMetadataError(`${what} must be a list`);
  if (value.length > groupLimits.groupSizeMax) throw new GroupMetadataError(`${what} is too long`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length > groupLimits.nameLengthMax * 64) throw new GroupMetadataError(`${what} must be a string`);
  return value;
}

function name(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value.length > groupLimits.nameLengthMax) throw new GroupMetadataError(`${what} must be a non-empty name`);
  return value;
}

function nullable(value: unknown, what: string): string | null {
  return value === null ? null : name(value, what);
}

function number(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new GroupMetadataError(`${what} must be a number`);
  return value;
}

function integer(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new GroupMetadataError(`${what} must be an integer >= ${min}`);
  return value;
}

function bytes(value: unknown, what: string, max: number): Uint8Array {
  if (typeof value !== 'string' || value.length > Math.ceil(max / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new GroupMetadataError(`${what} must be base64 of at most ${max} bytes`);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

function toBase64(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
}
