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

// The drift of an environment (declared against live) and the fleet-wide `GET /v1/drift` answer.

/**
 * The drift states of one environment, see {@link DriftStatus}.
 *
 * @public
 */
export type DriftState =
  | 'in-sync'
  | 'progressing'
  | 'drifted'
  | 'unknown'
  | 'missing';

/**
 * All drift states, in order from healthy to not answerable.
 *
 * @public
 */
export const DRIFT_STATES: readonly DriftState[] = [
  'in-sync',
  'progressing',
  'drifted',
  'unknown',
  'missing',
] as const;

/**
 * The drift verdict for one environment.
 *
 * @public
 */
export type DriftStatus = {
  state: DriftState;
  /** ISO 8601 UTC: since when this state holds (when known). */
  since?: string;
  /** A human explanation, e.g. which source failed. */
  reason?: string;
};

/**
 * One entry of {@link DriftResponse}.
 *
 * @public
 */
export type DriftItem = {
  entityRef: string;
  environment: string;
  drift: DriftStatus;
};

/**
 * Response of `GET /v1/drift`: every environment in the fleet that is not
 * `in-sync`.
 *
 * @public
 */
export type DriftResponse = {
  items: DriftItem[];
};
