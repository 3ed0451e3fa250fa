/**
 * An error that ends the run with exit code 2: bad usage, bad configuration
 * or an I/O failure that prevents checking at all.
 */
export class UsageError extends Error {
  readonly name = 'UsageError';
}

/** Exit codes of `ml-gitops`. */
export const EXIT = {
  /** Every check passed. */
  ok: 0,
  /** A check failed. */
  failed: 1,
  /** Usage, configuration or I/O error: the checks could not all run. */
  error: 2,
} as const;

/** A short description of any thrown value, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message || error.name;
  }
  return String(error);
}
