import { isValidNodeId } from './membership.js';
import type { Message } from './messages.js';

/**
 * Structural checks on a message from the network, so a malformed one is dropped with a reason
 * instead of corrupting the core. Returns the problem, or undefined when the message is sound.
 * Protocol-level questions (stale terms, mismatched logs) are the core's, not this function's.
 */
export function messageProblem(message: Message, self: number): string | undefined {
  if (message.to !== self) return `addressed to ${message.to}`;
  if (!isValidNodeId(message.from) || message.from === self) return `bad sender ${message.from}`;
  if (!isCount(message.term)) return `bad term ${message.term}`;
  switch (message.type) {
    case 'voteRequest':
      return isCount(message.lastLogIndex) && isCount(message.lastLogTerm) && message.lastLogTerm <= message.term ? undefined : 'bad last log position';
    case 'appendRequest': {
      if (!isCount(message.prevLogIndex) || !isCount(message.prevLogTerm) || !isCount(message.commit)) return 'bad append position';
      if (message.prevLogTerm > message.term) return 'prevLogTerm above the term';
      let index = message.prevLogIndex;
      let term = message.prevLogTerm;
      for (const entry of message.entries) {
        if (entry.index !== ++index) return `entries not contiguous at ${entry.index}`;
        if (!isCount(entry.term) || entry.term < term || entry.term > message.term) return `bad entry term ${entry.term} at ${entry.index}`;
        if (entry.kind !== 'normal' && entry.kind !== 'noop' && entry.kind !== 'membership') return `bad entry kind at ${entry.index}`;
        term = entry.term;
      }
      return undefined;
    }
    case 'appendResponse':
      return isCount(message.index) && isCount(message.rejectHint) && isCount(message.rejectHintTerm) ? undefined : 'bad append response';
    case 'heartbeatRequest':
      return isCount(message.commit) && isCount(message.readRound) ? undefined : 'bad heartbeat';
    case 'heartbeatResponse':
      return isCount(message.readRound) ? undefined : 'bad heartbeat response';
    case 'installSnapshotRequest': {
      const { snapshotIndex, snapshotTerm, totalBytes, offset, data } = message;
      if (!isCount(snapshotIndex) || !isCount(snapshotTerm) || snapshotTerm > message.term) return 'bad snapshot position';
      if (!isCount(totalBytes) || !isCount(offset) || offset + data.byteLength > totalBytes) return 'bad snapshot chunk bounds';
      if (message.done !== (offset + data.byteLength === totalBytes)) return 'snapshot done flag disagrees with its bounds';
      if (!message.voters.every(isValidNodeId) || !message.observers.every(isValidNodeId)) return 'bad snapshot membership';
      return undefined;
    }
    case 'installSnapshotResponse':
      return isCount(message.snapshotIndex) && isCount(message.offset) && isCount(message.nextOffset) ? undefined : 'bad snapshot response';
    case 'readIndexResponse':
      return isCount(message.index) ? undefined : 'bad read index';
    case 'voteResponse':
    case 'timeoutNow':
    case 'readIndexRequest':
      return undefined;
  }
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
