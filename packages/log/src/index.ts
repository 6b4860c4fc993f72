export { type LogConfig, type LogConfigInput, defaultLogConfig, resolveLogConfig } from './config.js';
export { type LogErrorCode, type LogErrorContext, LogError, OffsetOutOfRangeError } from './errors.js';
export { CachedFile, FileHandleCache } from './file-handle-cache.js';
export {
  CLEAN_SHUTDOWN_FILE,
  LEADER_EPOCH_FILE,
  LOG_START_OFFSET_FILE,
  PARTITION_METADATA_FILE,
  RECOVERY_POINT_FILE,
  type TopicPartition,
  formatBaseOffset,
  isValidTopicName,
  parsePartitionDirName,
  partitionDirName,
} from './file-names.js';
export { type EpochEndOffset, type EpochEntry, LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';
export { logLimits } from './limits.js';
export { type LogManagerDeps, type LogManagerOptions, LogManager } from './log-manager.js';
export {
  type AppendOptions,
  type AppendResult,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  PartitionLog,
  type PartitionLogDeps,
  type ReadOptions,
  type ReadResult,
  type RetentionResult,
  type TimestampOffset,
} from './partition-log.js';
export { type RetentionCandidate, type RetentionPlan, type RetentionReason, planRetention } from './retention-plan.js';
