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

import { ConfigReader } from '@backstage/config';
import { JsonObject, JsonValue } from '@backstage/types';
import { checkWebhookSecret, readMlGitopsConfig } from './config';

describe('readMlGitopsConfig', () => {
  it('applies the defaults of the design', () => {
    const config = readMlGitopsConfig(new ConfigReader({}));
    expect(config).toEqual({
      environments: ['dev', 'staging', 'production'],
      schedule: {
        frequency: { seconds: 30 },
        timeout: { minutes: 2 },
        initialDelay: { seconds: 5 },
      },
      driftGracePeriodMs: 300_000,
      rollbackTargetMs: 300_000,
      concurrency: 8,
      requestTimeoutMs: 15_000,
      refreshMinIntervalMs: 10_000,
      historyRequestsPerCycle: 20,
      historyFirstReadRequestsPerCycle: 500,
      staleAfterMs: 90_000,
      unknownAfterMs: 1_800_000,
      argocd: [],
      fluxClusters: [],
      registries: [],
      registryRecheckAfterMs: 300_000,
      autoRollback: {
        allModels: false,
        environments: {
          dev: expect.objectContaining({ enabled: false }),
          staging: expect.objectContaining({ enabled: false }),
          production: {
            enabled: true,
            onCanaryFailure: true,
            onNotServing: true,
            notServingAfterMs: 600_000,
            rejectVersion: true,
          },
        },
      },
      watch: { enabled: true },
    });
  });

  it('reads what first reads of branches may spend, and refuses what is not a whole number of at least 0', () => {
    const firstReads = (value: JsonValue) => () =>
      readMlGitopsConfig(
        new ConfigReader({
          mlGitops: { historyBackfill: { firstReadRequestsPerCycle: value } },
        }),
      ).historyFirstReadRequestsPerCycle;
    expect(firstReads(0)()).toBe(0);
    expect(firstReads(2000)()).toBe(2000);
    expect(firstReads(-1)).toThrow(
      /mlGitops\.historyBackfill\.firstReadRequestsPerCycle must be a whole number of at least 0/,
    );
    expect(firstReads(2.5)).toThrow(/firstReadRequestsPerCycle/);
  });

  it('turns the watches off with watch.enabled: false', () => {
    expect(
      readMlGitopsConfig(
        new ConfigReader({ mlGitops: { watch: { enabled: false } } }),
      ).watch,
    ).toEqual({ enabled: false });
  });

  it('counts stale data from three schedule periods, and needs staleAfter with a cron schedule', () => {
    const every = (frequency: JsonValue, extra: JsonObject = {}) =>
      readMlGitopsConfig(
        new ConfigReader({
          mlGitops: {
            schedule: { frequency, timeout: { minutes: 1 } },
            ...extra,
          },
        }),
      ).staleAfterMs;
    expect(every({ minutes: 2 })).toBe(360_000);
    expect(every('PT10S')).toBe(30_000);
    expect(() => every({ cron: '*/5 * * * *' })).toThrow(
      /mlGitops\.schedule\.frequency is a cron expression or a manual trigger.*set mlGitops\.staleAfter/,
    );
    expect(
      every({ cron: '*/5 * * * *' }, { staleAfter: { minutes: 15 } }),
    ).toBe(900_000);
    expect(() =>
      every({ seconds: 30 }, { staleAfter: { seconds: 0 } }),
    ).toThrow('mlGitops.staleAfter must be longer than zero');
    expect(() =>
      readMlGitopsConfig(
        new ConfigReader({ mlGitops: { alerts: { unknownAfter: 'soon' } } }),
      ),
    ).toThrow(/alerts\.unknownAfter/);
  });

  it('reads every key', () => {
    const config = readMlGitopsConfig(
      new ConfigReader({
        mlGitops: {
          environments: ['dev', 'prod'],
          schedule: { frequency: { seconds: 10 }, timeout: { minutes: 1 } },
          driftGracePeriod: { minutes: 2 },
          rollbackTarget: 'PT3M',
          concurrency: 4,
          requestTimeout: { seconds: 5 },
          refreshMinInterval: { seconds: 3 },
          staleAfter: { minutes: 4 },
          registry: { recheckAfter: { minutes: 10 } },
          alerts: { unknownAfter: 'PT45M' },
          argocd: {
            instances: [
              { name: 'main', url: 'https://argocd.example.com/', token: 't' },
            ],
          },
          flux: { clusters: ['prod-eu'] },
          registries: [
            {
              name: 'mlflow-default',
              type: 'mlflow',
              url: 'https://mlflow.example.com',
            },
          ],
        },
      }),
    );
    expect(config.environments).toEqual(['dev', 'prod']);
    expect(config.driftGracePeriodMs).toBe(120_000);
    expect(config.rollbackTargetMs).toBe(180_000);
    expect(config.requestTimeoutMs).toBe(5_000);
    expect(config.refreshMinIntervalMs).toBe(3_000);
    expect(config.staleAfterMs).toBe(240_000);
    expect(config.unknownAfterMs).toBe(2_700_000);
    expect(config.argocd[0].url).toBe('https://argocd.example.com');
    expect(config.fluxClusters).toEqual(['prod-eu']);
    expect(config.registries[0].name).toBe('mlflow-default');
    expect(config.registryRecheckAfterMs).toBe(600_000);
  });

  it.each([
    [{ environments: ['dev', 'dev'] }, /"dev" is listed twice/],
    [{ environments: [] }, /at least one environment/],
    [{ requestTimeout: { seconds: 0 } }, /requestTimeout must be longer/],
    [
      { registry: { recheckAfter: { milliseconds: 10 } } },
      /registry.recheckAfter must be at least a second/,
    ],
    [{ concurrency: 0 }, /concurrency must be a whole number from 1 to 64/],
    [
      {
        argocd: { instances: [{ name: 'main', url: 'https://a.example.com' }] },
      },
      /instances\[0\] needs either token or username and password/,
    ],
    [
      { argocd: { instances: [{ name: 'main', url: 'argocd', token: 't' }] } },
      /instances\[0\].url must be an absolute http\(s\) URL/,
    ],
    [
      {
        registries: [
          { name: 'r', type: 'mlflow', url: 'https://a.example.com' },
          { name: 'r', type: 'mlflow', url: 'https://b.example.com' },
        ],
      },
      /mlGitops.registries lists the name "r" twice/,
    ],
  ])('refuses %j with a message saying what to fix', (mlGitops, message) => {
    expect(() => readMlGitopsConfig(new ConfigReader({ mlGitops }))).toThrow(
      message,
    );
  });
});

describe('checkWebhookSecret', () => {
  const config = (events: object) => new ConfigReader({ events });
  const unsigned = { http: { topics: ['github'] } };

  it('refuses unsigned GitHub push events outside development, naming the key', () => {
    expect(() => checkWebhookSecret(config(unsigned), 'production')).toThrow(
      'events.http.topics takes GitHub webhooks (github) but events.modules.github.webhookSecret is not set',
    );
    expect(() => checkWebhookSecret(config(unsigned), 'staging')).toThrow(
      /events\.modules\.github\.webhookSecret is not set/,
    );
  });

  it('takes signed events anywhere, and unsigned ones in development and tests', () => {
    const signed = {
      http: { topics: ['github'] },
      modules: { github: { webhookSecret: 's3cret' } },
    };
    expect(() =>
      checkWebhookSecret(config(signed), 'production'),
    ).not.toThrow();
    expect(() =>
      checkWebhookSecret(config(unsigned), 'development'),
    ).not.toThrow();
    expect(() => checkWebhookSecret(config(unsigned), 'test')).not.toThrow();
    // No topic of a Git host: nothing to check.
    expect(() =>
      checkWebhookSecret(config({ http: { topics: ['other'] } }), 'production'),
    ).not.toThrow();
  });

  it('refuses GitLab push events without a secret token outside development, naming the key', () => {
    const both = { http: { topics: ['github', 'gitlab'] } };
    expect(() =>
      checkWebhookSecret(
        config({ ...both, modules: { github: { webhookSecret: 's3cret' } } }),
        'production',
      ),
    ).toThrow(
      'events.http.topics takes GitLab webhooks (gitlab) but events.modules.gitlab.webhookSecret is not set: pushes without a secret token from anyone could trigger polls. Set events.modules.gitlab.webhookSecret to the secret token of the GitLab project or group webhook',
    );
    expect(() =>
      checkWebhookSecret(
        config({
          ...both,
          modules: {
            github: { webhookSecret: 's3cret' },
            gitlab: { webhookSecret: 't0ken' },
          },
        }),
        'production',
      ),
    ).not.toThrow();
    expect(() =>
      checkWebhookSecret(
        config({
          http: { topics: ['gitlab'] },
          modules: { gitlab: { webhookSecret: 't0ken' } },
        }),
        'production',
      ),
    ).not.toThrow();
    expect(() =>
      checkWebhookSecret(
        config({ http: { topics: ['gitlab'] } }),
        'development',
      ),
    ).not.toThrow();
  });
});
