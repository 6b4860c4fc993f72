import type { Message } from './messages.js';
import type { Entry, HardState, ReadState, Snapshot, SoftState } from './types.js';

/**
 * The work a RaftNode hands its caller, to be done in this order before `advance(ready)`:
 *
 * 1. Persist, then sync when `mustSync`:
 *    a. `snapshot`: a snapshot received from the leader. Store it and drop the whole stored log
 *       (the snapshot replaces it).
 *    b. `localSnapshot`: a snapshot the application took (`compact`). Store it and drop the
 *       stored entries it covers.
 *    c. `truncateFrom`: when set, drop every stored entry at or after this index (a conflicting
 *       suffix being overwritten); it always equals `entries[0].index`.
 *    d. `entries`: append them; the first continues the stored log exactly.
 *    e. `hardState`: store it.
 * 2. Send `messages`. They may depend on everything above being durable (a vote, an
 *    acknowledged entry), which is why sending waits for the sync. Sending is best effort.
 * 3. Apply: restore the state machine from `snapshot` (when set), then apply
 *    `committedEntries` in order. Serve `readStates` once the applied index reaches theirs.
 * 4. Call `advance(ready)`.
 *
 * A node may be stepped and ticked between `ready()` and `advance()`; it does not call
 * `ready()` again until the previous Ready is advanced.
 */
export interface Ready {
  /** Role and leader, when they changed since the previous Ready. */
  readonly softState: SoftState | undefined;
  /** Term, vote and commit, when they changed since the previous Ready. */
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  readonly localSnapshot: Snapshot | undefined;
  readonly truncateFrom: number | undefined;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** Something durable changed: sync before sending. */
  readonly mustSync: boolean;
}
