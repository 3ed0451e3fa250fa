/**
 * How long the facts of a version that is not ready (yet), or that the
 * registry does not know (yet), are kept: it may be registered any moment.
 */
export const UNSETTLED_TTL_MS = 60_000;

/** When a version's facts are read again, and at what period. */
export type RecheckSchedule = {
  /** When the version is read again. */
  dueAt: number;
  /** The period it is read again at (a phase kept across reads); 0 = unsettled. */
  periodMs: number;
};

/**
 * The next read of a version's facts, the rule every registry follows: a
 * settled version (known and ready) is read again every `recheckAfterMs`,
 * at a phase of that period chosen at random when it is first read and kept
 * afterwards (also across an outage), so a steady cycle reads about
 * versions × cycle ÷ recheckAfter versions; an unsettled one after a minute.
 */
export function nextRecheck(options: {
  now: number;
  settled: boolean;
  previous: RecheckSchedule | undefined;
  recheckAfterMs: number;
  random: () => number;
}): RecheckSchedule {
  const { now, settled, previous, recheckAfterMs, random } = options;
  if (!settled) {
    return { dueAt: now + UNSETTLED_TTL_MS, periodMs: 0 };
  }
  if (previous?.periodMs === recheckAfterMs) {
    // Keep the version's phase: the next read is a whole number of
    // periods after the last one was due.
    const periods = Math.floor((now - previous.dueAt) / previous.periodMs) + 1;
    return {
      dueAt: previous.dueAt + periods * previous.periodMs,
      periodMs: previous.periodMs,
    };
  }
  return {
    dueAt: now + Math.max(1, (1 - random()) * recheckAfterMs),
    periodMs: recheckAfterMs,
  };
}
