/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

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
