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

import { mockServices } from '@backstage/backend-test-utils';
import type {
  ConfigRepoHistory,
  GitHostRateLimitReport,
  GitHostReader,
} from '@ml-gitops/plugin-ml-gitops-node';
import type { MlGitopsStore } from '../database/MlGitopsStore';
import { ConfigRepoReader } from './ConfigRepoReader';
import { SourceFailures } from './failures';
import type { PollHealth } from './PollHealth';

/** A reader of Git hosts whose rate limits say `report`, or that has none. */
function readerOf(report?: { current: GitHostRateLimitReport }) {
  const logger = mockServices.logger.mock();
  const git = (report
    ? { rateLimitReport: () => report.current }
    : {}) as Partial<GitHostReader> as GitHostReader;
  const reader = new ConfigRepoReader({
    logger,
    git,
    // Rate limits touch neither the store, the history nor the health.
    store: {} as MlGitopsStore,
    history: {} as ConfigRepoHistory,
    health: {} as PollHealth,
    environments: ['production'],
    failures: new SourceFailures(() => new Date()),
    now: () => new Date(),
  });
  return { reader, logger };
}

const low = (host: string, resetAt: string) => ({
  api: 'Host API',
  host,
  remaining: 10,
  unit: 'requests',
  resetAt,
  lowBelow: 100,
  spending: 'branch heads are read one repo at a time',
});

describe('ConfigRepoReader rate limits', () => {
  it('warns once a window for each host, and says what is left of each', () => {
    const report: { current: GitHostRateLimitReport } = {
      current: {
        limits: [low('a.example.com', 'T1'), low('b.example.com', 'T1')],
        refusals: [],
      },
    };
    const { reader, logger } = readerOf(report);
    reader.warnOfRateLimits();
    reader.warnOfRateLimits();
    expect(logger.warn.mock.calls.map(c => c[0])).toEqual([
      'Host API on a.example.com has 10 requests left until T1; branch heads are read one repo at a time. Lengthen mlGitops.schedule or give the integration a token with a higher limit.',
      'Host API on b.example.com has 10 requests left until T1; branch heads are read one repo at a time. Lengthen mlGitops.schedule or give the integration a token with a higher limit.',
    ]);
    expect(reader.rateLimitsText()).toBe(
      '; Host API on a.example.com: 10 requests left until T1; Host API on b.example.com: 10 requests left until T1',
    );

    // A new window of one host is warned about; the other is not again.
    report.current = {
      limits: [low('a.example.com', 'T2'), low('b.example.com', 'T1')],
      refusals: [
        {
          api: 'Host API',
          host: 'b.example.com',
          refused: 'branch heads',
          kind: 'per-minute',
          message: 'Retry later',
          fallback: 'they are read one repo at a time',
          until: 'T3',
        },
      ],
    };
    reader.warnOfRateLimits();
    reader.warnOfRateLimits();
    expect(logger.warn.mock.calls.slice(2).map(c => c[0])).toEqual([
      'Host API on a.example.com has 10 requests left until T2; branch heads are read one repo at a time. Lengthen mlGitops.schedule or give the integration a token with a higher limit.',
      'Host API on b.example.com refused branch heads for its per-minute rate limit (Retry later); they are read one repo at a time until T3. Lengthen mlGitops.schedule or give the integration a token with a higher limit.',
    ]);
  });

  it('says nothing of a host that watches no rate limits', () => {
    const { reader, logger } = readerOf();
    reader.warnOfRateLimits();
    expect(reader.rateLimitsText()).toBe('');
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
