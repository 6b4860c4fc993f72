import { describe, expect, it } from 'vitest';
import { verifyReassignment } from './reassign.js';

describe('reassign verify', () => {
  it('tells completed, running and diverged partitions apart', () => {
    const targets = [
      { topic: 't', partition: 0, replicas: [1, 2] },
      { topic: 't', partition: 1, replicas: [2, 3] },
      { topic: 't', partition: 2, replicas: [3, 1] },
    ];
    const current = [
      { topic: 't', partition: 0, replicas: [1, 2] },
      { topic: 't', partition: 1, replicas: [2, 3] },
      { topic: 't', partition: 2, replicas: [1, 3] },
    ];
    const ongoing = [{ topic: 't', partition: 1, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }];
    expect(verifyReassignment(targets, current, ongoing)).toEqual([
      { status: 'completed', line: 'Reassignment of partition t-0 is completed.' },
      { status: 'in-progress', line: 'Reassignment of partition t-1 is still in progress.' },
      { status: 'different', line: 'There is no active reassignment of partition t-2, but replica set is 1,3 rather than 3,1.' },
    ]);
  });
});
