/**
 * Bounds of the console tools (`eddy produce`, `eddy consume`, `eddy groups`). Every buffer the CLI keeps has
 * one of these limits, so a fast stdin or a slow stdout never grows memory without bound.
 */
export const cliLimits = {
  /** A line read by `eddy produce` longer than this (in UTF-16 code units) is an error, not a buffer that grows. */
  produceLineCharsMax: 16 * 1024 * 1024,
  /** `producer.send()` calls not yet settled; reading stdin pauses at this many. */
  produceSendsInFlightMax: 64,
  /** Messages in one `producer.send()` call (lines read from one stdin chunk are sent together). */
  produceMessagesPerSendMax: 4096,
  /** After a failed send, how long `eddy produce` lets buffered records settle before it exits. */
  produceCloseAfterFailureMs: 5_000,
  /** Records `eddy consume` takes in one poll. */
  consumeRecordsPerPollMax: 4096,
  /** `producer.send()` calls of `eddy perf produce` not yet settled; sending pauses at this many. */
  perfSendsInFlightMax: 10_000,
  /** Upper bound of one poll's wait, so signals and idle timeouts are noticed promptly. */
  consumePollWaitMsMax: 1_000,
  /** How long `groups describe --json` spends reading the oldest unread records for lag in seconds. */
  lagTimeProbeMs: 5_000,
} as const;
