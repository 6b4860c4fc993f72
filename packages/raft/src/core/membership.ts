import { assert } from '@eddy/base';
import { raftLimits } from '../limits.js';
import type { ConfChange, ConfChangeType, Membership, NodeId } from './types.js';

/**
 * Membership arithmetic and the membership entry codec. Changes are single-server (Raft thesis
 * §4.1): each adds or removes one node, and a node uses the latest membership in its log as soon
 * as the entry is appended, committed or not. A membership entry carries the whole resulting
 * membership, so truncating the log (or installing a snapshot) restores the previous one by
 * looking back, never by undoing a change.
 */

export const emptyMembership: Membership = { voters: [], observers: [] };

export function isVoter(membership: Membership, id: NodeId): boolean {
  return membership.voters.includes(id);
}

export function isObserver(membership: Membership, id: NodeId): boolean {
  return membership.observers.includes(id);
}

export function isMember(membership: Membership, id: NodeId): boolean {
  return isVoter(membership, id) || isObserver(membership, id);
}

export function membersOf(membership: Membership): NodeId[] {
  return [...membership.voters, ...membership.observers];
}

export function isValidNodeId(id: number): boolean {
  return Number.isInteger(id) && id > 0 && id <= raftLimits.nodeIdMax;
}

export function assertValidMembership(membership: Membership): void {
  const all = membersOf(membership);
  assert(new Set(all).size === all.length, `membership lists a node twice: ${describeMembership(membership)}`);
  assert(all.every(isValidNodeId), `membership holds an invalid node id: ${describeMembership(membership)}`);
  assert(all.length <= raftLimits.membersMax, `membership exceeds ${raftLimits.membersMax} members`);
}

export function sameMembership(a: Membership, b: Membership): boolean {
  return sameIds(a.voters, b.voters) && sameIds(a.observers, b.observers);
}

function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

export function describeMembership(membership: Membership): string {
  return `voters [${membership.voters.join(',')}] observers [${membership.observers.join(',')}]`;
}

export type ConfChangeOutcome = { readonly ok: true; readonly membership: Membership } | { readonly ok: false; readonly message: string };

/**
 * The membership after one change. Adding a voter that is an observer promotes it; every other
 * change that would do nothing, remove the last voter or exceed membersMax is refused.
 */
export function applyConfChange(membership: Membership, change: ConfChange): ConfChangeOutcome {
  const { nodeId } = change;
  if (!isValidNodeId(nodeId)) return { ok: false, message: `invalid node id ${nodeId}` };
  const voters = membership.voters.filter((id) => id !== nodeId);
  const observers = membership.observers.filter((id) => id !== nodeId);
  switch (change.type) {
    case 'addVoter':
      if (isVoter(membership, nodeId)) return { ok: false, message: `node ${nodeId} is already a voter` };
      voters.push(nodeId);
      break;
    case 'removeVoter':
      if (!isVoter(membership, nodeId)) return { ok: false, message: `node ${nodeId} is not a voter` };
      if (voters.length === 0) return { ok: false, message: `node ${nodeId} is the last voter` };
      break;
    case 'addObserver':
      if (isMember(membership, nodeId)) return { ok: false, message: `node ${nodeId} is already a member` };
      observers.push(nodeId);
      break;
    case 'removeObserver':
      if (!isObserver(membership, nodeId)) return { ok: false, message: `node ${nodeId} is not an observer` };
      break;
  }
  const next = { voters: voters.sort(byId), observers: observers.sort(byId) };
  if (membersOf(next).length > raftLimits.membersMax) return { ok: false, message: `membership would exceed ${raftLimits.membersMax} members` };
  return { ok: true, membership: next };
}

function byId(a: NodeId, b: NodeId): number {
  return a - b;
}

/** A membership with sorted id lists, as every membership entry stores it. */
export function normalizeMembership(membership: Membership): Membership {
  const normalized = { voters: [...membership.voters].sort(byId), observers: [...membership.observers].sort(byId) };
  assertValidMembership(normalized);
  return normalized;
}

/** The payload of a membership entry: the change that produced it (none at bootstrap) and the result. */
export interface MembershipEntryData {
  readonly change: ConfChange | undefined;
  readonly membership: Membership;
}

const codecVersion = 1;
const changeTypes: readonly ConfChangeType[] = ['addVoter', 'removeVoter', 'addObserver', 'removeObserver'];

/** Layout: u8 version, u8 change type (0 = none), u32 node id, u32 voter count, voters, u32 observer count, observers. */
export function encodeMembershipEntry(value: MembershipEntryData): Uint8Array {
  const { voters, observers } = value.membership;
  const bytes = new Uint8Array(2 + 4 + 4 + 4 * voters.length + 4 + 4 * observers.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, codecVersion);
  view.setUint8(1, value.change === undefined ? 0 : changeTypes.indexOf(value.change.type) + 1);
  view.setUint32(2, value.change?.nodeId ?? 0);
  let at = 6;
  for (const list of [voters, observers]) {
    view.setUint32(at, list.length);
    at += 4;
    for (const id of list) {
      view.setUint32(at, id);
      at += 4;
    }
  }
  return bytes;
}

export function decodeMembershipEntry(bytes: Uint8Array): MembershipEntryData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert(bytes.byteLength >= 14 && view.getUint8(0) === codecVersion, 'malformed membership entry');
  const typeCode = view.getUint8(1);
  const nodeId = view.getUint32(2);
  let at = 6;
  const lists: NodeId[][] = [];
  for (let list = 0; list < 2; list++) {
    assert(at + 4 <= bytes.byteLength, 'truncated membership entry');
    const count = view.getUint32(at);
    at += 4;
    assert(at + 4 * count <= bytes.byteLength, 'truncated membership entry');
    const ids: NodeId[] = [];
    for (let i = 0; i < count; i++, at += 4) ids.push(view.getUint32(at));
    lists.push(ids);
  }
  assert(at === bytes.byteLength, 'trailing bytes in membership entry');
  const type = typeCode === 0 ? undefined : changeTypes[typeCode - 1];
  assert(typeCode === 0 || type !== undefined, `unknown membership change type ${typeCode}`);
  const membership = { voters: lists[0] ?? [], observers: lists[1] ?? [] };
  assertValidMembership(membership);
  return { change: type === undefined ? undefined : { type, nodeId }, membership };
}
