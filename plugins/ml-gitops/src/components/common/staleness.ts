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

import { useState } from 'react';
import useInterval from 'react-use/esm/useInterval';
import type {
  DeploymentsResponse,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';

/**
 * How fresh the data of one environment is: the older of when the backend
 * last polled the model and when the environment's operator last answered,
 * and after how long that counts as stale (`mlGitops.staleAfter`, sent by
 * the backend in each answer).
 */
export type Freshness = {
  observedAt?: string;
  staleAfterSeconds?: number;
};

/** The freshness of `environment` in the answer `response`. */
export function freshnessOf(
  environment: EnvironmentStatus,
  response: Pick<DeploymentsResponse, 'observedAt' | 'staleAfterSeconds'>,
): Freshness {
  const times = [environment.live?.observedAt, response.observedAt].filter(
    (t): t is string => typeof t === 'string' && !Number.isNaN(Date.parse(t)),
  );
  const observedAt = times.sort()[0];
  return {
    ...(observedAt ? { observedAt } : {}),
    ...(response.staleAfterSeconds !== undefined
      ? { staleAfterSeconds: response.staleAfterSeconds }
      : {}),
  };
}

/**
 * The time data was last observed when it is stale now, else undefined.
 * Without a threshold from the backend nothing is called stale.
 */
export function staleSince(
  freshness: Freshness | undefined,
  now: number,
): string | undefined {
  if (!freshness?.observedAt || freshness.staleAfterSeconds === undefined) {
    return undefined;
  }
  const age = now - Date.parse(freshness.observedAt);
  return age > freshness.staleAfterSeconds * 1000
    ? freshness.observedAt
    : undefined;
}

/** How often a shown status checks whether it turned stale. */
export const STALE_CHECK_MS = 15_000;

/**
 * The current time, renewed every {@link STALE_CHECK_MS}: a page left open
 * while the backend stops polling receives no new data, yet must turn its
 * statuses stale.
 */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useInterval(() => setNow(Date.now()), STALE_CHECK_MS);
  return now;
}
