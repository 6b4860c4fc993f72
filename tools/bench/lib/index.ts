export { median, quantile, relativeSpread } from './stats.js';
export { type TableCell, type TableColumn, formatBytes, formatNumber, formatTable } from './table.js';
export { type RoundsResult, type TimeRoundsOptions, blackhole, timeRounds, timeRoundsAsync } from './time-rounds.js';
export { cpuMicros, RssSampler, rssBytes } from './process-stats.js';
