import { describe, expect, it } from 'vitest';
import { defaultTopicConfig, resolveTopicConfig, topicConfigProblem } from './topic-config.js';

describe('topic config', () => {
  it('has Kafka-like defaults', () => {
    expect(defaultTopicConfig).toMatchObject({ cleanupPolicy: 'delete', minInsyncReplicas: 1, retentionBytes: -1, uncleanLeaderElectionEnable: false });
    expect(defaultTopicConfig.flushMessages).toBeUndefined();
  });

  it('resolves overrides into typed values', () => {
    const config = resolveTopicConfig(new Map([['min.insync.replicas', '2'], ['retention.ms', '-1'], ['flush.messages', '1'], ['unclean.leader.election.enable', 'true']]));
    expect(config).toMatchObject({ minInsyncReplicas: 2, retentionMs: -1, flushMessages: 1, uncleanLeaderElectionEnable: true });
  });

  it.each([
    ['no.such.key', '1', /unknown topic config/],
    ['min.insync.replicas', '0', /invalid value/],
    ['retention.ms', '1.5', /invalid value/],
    ['segment.bytes', '10', /invalid value/],
    ['cleanup.policy', 'shred', /invalid value/],
    ['cleanup.policy', 'compact', /invalid value/],
    ['unclean.leader.election.enable', 'yes', /invalid value/],
  ])('rejects %s=%s', (key, value, problem) => {
    expect(topicConfigProblem(key, value)).toMatch(problem);
  });

  it('accepts valid values', () => {
    expect(topicConfigProblem('retention.bytes', '1048576')).toBeUndefined();
    expect(topicConfigProblem('cleanup.policy', 'delete')).toBeUndefined();
  });
});
