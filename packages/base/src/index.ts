export { AssertionError, assert, unreachable } from './assert.js';
export { BoundedQueue } from './bounded-queue.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export { EddyError, type EddyErrorOptions } from './eddy-error.js';
export { type LogFn, type Logger, silentLogger } from './logger.js';
export { Prng } from './prng.js';
