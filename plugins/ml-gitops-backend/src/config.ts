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

import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import {
  MlGitopsArgoCdInstanceConfig,
  MlGitopsRegistryConfig,
  readArgoCdInstancesConfig,
  readMlGitopsSharedConfig,
  MAX_REQUESTS_PER_COMMIT,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  AutoRollbackConfig,
  readAutoRollbackConfig,
} from './autoRollback/config';

/**
 * An Argo CD instance from `mlGitops.argocd.instances`, as the scaffolder
 * actions read it too.
 *
 * @public
 */
export type ArgoCdInstanceConfig = MlGitopsArgoCdInstanceConfig;

/**
 * A model registry from `mlGitops.registries`, as the scaffolder actions
 * read it too.
 *
 * @public
 */
export type RegistryConfig = MlGitopsRegistryConfig;

/**
 * The `mlGitops` configuration, read once with defaults applied.
 *
 * @public
 */
export type MlGitopsConfig = {
  environments: string[];
  schedule: SchedulerServiceTaskScheduleDefinition;
  driftGracePeriodMs: number;
  rollbackTargetMs: number;
  concurrency: number;
  /**
   * How long one HTTP request to Argo CD, a cluster, a registry or the Git
   * host may take before it counts as failed.
   */
  requestTimeoutMs: number;
  /** The shortest time between two polls of one model outside the schedule. */
  refreshMinIntervalMs: number;
  /**
   * Requests each scheduled cycle may send, across the fleet, to read the
   * older history of environment branches
   * (`mlGitops.historyBackfill.requestsPerCycle`; 0 reads none).
   */
  historyRequestsPerCycle: number;
  /**
   * Requests each scheduled cycle may send, across the fleet, to read the
   * newest commits of branches read for the first time
   * (`mlGitops.historyBackfill.firstReadRequestsPerCycle`); a branch beyond
   * it is declared from its head and its history joins the older history.
   */
  historyFirstReadRequestsPerCycle: number;
  /**
   * How old polled data may get before the UI marks it stale
   * (`mlGitops.staleAfter`; default three schedule periods).
   */
  staleAfterMs: number;
  /**
   * How long an environment may stay `unknown` or `missing` before its
   * owners are notified (`mlGitops.alerts.unknownAfter`).
   */
  unknownAfterMs: number;
  argocd: ArgoCdInstanceConfig[];
  fluxClusters: string[];
  registries: RegistryConfig[];
  /**
   * How often a READY registry version's aliases, stage and tags are read
   * again (`mlGitops.registry.recheckAfter`; an addition to the design
   * contract).
   */
  registryRecheckAfterMs: number;
  /**
   * `mlGitops.allowedOwners`: the only GitHub owners (lower case, `acme` or
   * `host/acme`) whose repos may be config repos; unset allows any.
   */
  allowedOwners?: string[];
  /** `mlGitops.autoRollback`; an addition to the design contract. */
  autoRollback: AutoRollbackConfig;
  /**
   * `mlGitops.watch.enabled`: follow Argo CD's application event stream and
   * Kubernetes watches between polls (default true; false polls only). An
   * addition to the design contract.
   */
  watch: { enabled: boolean };
};

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { seconds: 30 },
  timeout: { minutes: 2 },
  initialDelay: { seconds: 5 },
};

/** The default of `mlGitops.alerts.unknownAfter`: 30 minutes. */
export const DEFAULT_UNKNOWN_AFTER_MS = 30 * 60_000;

/** Polled data older than this many schedule periods counts as stale. */
export const STALE_PERIODS = 3;

/**
 * The time between two scheduled polls, when the schedule gives it as a
 * duration; undefined for a cron expression or a manual trigger.
 */
function schedulePeriodMs(
  frequency: SchedulerServiceTaskScheduleDefinition['frequency'],
): number | undefined {
  if ('cron' in frequency || 'trigger' in frequency) return undefined;
  const ms =
    'toMillis' in frequency && typeof frequency.toMillis === 'function'
      ? frequency.toMillis()
      : durationToMilliseconds(frequency as HumanDuration);
  return ms > 0 ? ms : undefined;
}

/**
 * The default of `mlGitops.historyBackfill.requestsPerCycle`: 2,400 REST
 * requests an hour at the default 30-second schedule, while older history
 * is left to read (see docs/performance.md).
 */
const DEFAULT_HISTORY_REQUESTS_PER_CYCLE = 20;
/**
 * About 25 models' newest commits (three branches of a few commits each):
 * a new model's history is read at once, while a fleet met for the first
 * time is declared from its heads in one cycle and its history follows
 * within the backfill budget.
 */
const DEFAULT_HISTORY_FIRST_READ_REQUESTS_PER_CYCLE = 500;

/**
 * The default of `mlGitops.registry.recheckAfter`: a READY version's
 * aliases, stage and tags are read again every five minutes.
 */
export const DEFAULT_REGISTRY_RECHECK_AFTER_MS = 5 * 60_000;

/** The default of `mlGitops.requestTimeout`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

function readDurationMs(
  config: Config,
  key: string,
  defaultMs: number,
): number {
  if (!config.has(key)) {
    return defaultMs;
  }
  const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  if (!(ms >= 0)) {
    throw new Error(`mlGitops.${key} must be a positive duration`);
  }
  return ms;
}

/** A duration that must be longer than zero; its error shows an example. */
function readPositiveDurationMs(
  config: Config | undefined,
  key: string,
  defaultMs: number,
  example: string,
): number {
  const ms = config ? readDurationMs(config, key, defaultMs) : defaultMs;
  if (ms < 1) {
    throw new Error(
      `mlGitops.${key} must be longer than zero, e.g. ${example}`,
    );
  }
  return ms;
}

/**
 * Reads and checks the `mlGitops` configuration. Throws an error that names
 * the key to fix when something is wrong, so a bad config stops the plugin at
 * start rather than failing later.
 *
 * @public
 */
export function readMlGitopsConfig(rootConfig: Config): MlGitopsConfig {
  const config = rootConfig.getOptionalConfig('mlGitops');

  // The keys the scaffolder actions read too, through the same reader.
  const { environments, registries, allowedOwners } =
    readMlGitopsSharedConfig(rootConfig);

  const schedule = config?.has('schedule')
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
        config.getConfig('schedule'),
      )
    : DEFAULT_SCHEDULE;

  const concurrency = config?.getOptionalNumber('concurrency') ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new Error('mlGitops.concurrency must be a whole number from 1 to 64');
  }

  const requestTimeoutMs = readPositiveDurationMs(
    config,
    'requestTimeout',
    DEFAULT_REQUEST_TIMEOUT_MS,
    '{ seconds: 15 }',
  );

  const refreshMinIntervalMs = config
    ? readDurationMs(config, 'refreshMinInterval', 10_000)
    : 10_000;
  if (refreshMinIntervalMs < 0) {
    throw new Error(
      'mlGitops.refreshMinInterval must not be negative, e.g. { seconds: 10 }',
    );
  }

  // An addition to the design contract: `mlGitops.historyBackfill`.
  const historyRequestsPerCycle =
    config?.getOptionalNumber('historyBackfill.requestsPerCycle') ??
    DEFAULT_HISTORY_REQUESTS_PER_CYCLE;
  if (
    !Number.isInteger(historyRequestsPerCycle) ||
    (historyRequestsPerCycle !== 0 &&
      historyRequestsPerCycle < MAX_REQUESTS_PER_COMMIT)
  ) {
    throw new Error(
      `mlGitops.historyBackfill.requestsPerCycle must be 0 (read no older history) or a whole number of at least ${MAX_REQUESTS_PER_COMMIT} (what one commit may cost), e.g. ${DEFAULT_HISTORY_REQUESTS_PER_CYCLE}`,
    );
  }

  const historyFirstReadRequestsPerCycle =
    config?.getOptionalNumber('historyBackfill.firstReadRequestsPerCycle') ??
    DEFAULT_HISTORY_FIRST_READ_REQUESTS_PER_CYCLE;
  if (
    !Number.isInteger(historyFirstReadRequestsPerCycle) ||
    historyFirstReadRequestsPerCycle < 0
  ) {
    throw new Error(
      `mlGitops.historyBackfill.firstReadRequestsPerCycle must be a whole number of at least 0 (0: every branch read for the first time is declared from its head, and its history is read as older history), e.g. ${DEFAULT_HISTORY_FIRST_READ_REQUESTS_PER_CYCLE}`,
    );
  }

  // An addition to the design contract: `mlGitops.staleAfter` and
  // `mlGitops.alerts.unknownAfter`.
  const period = schedulePeriodMs(schedule.frequency);
  let staleAfterMs: number;
  if (config?.has('staleAfter')) {
    staleAfterMs = readPositiveDurationMs(
      config,
      'staleAfter',
      0,
      '{ minutes: 2 }',
    );
  } else if (period === undefined) {
    throw new Error(
      'mlGitops.schedule.frequency is a cron expression or a manual trigger, so the time between polls is not known: set mlGitops.staleAfter to how old polled data may get before the UI marks it stale (about three times the time between polls), e.g. { minutes: 15 }',
    );
  } else {
    staleAfterMs = STALE_PERIODS * period;
  }
  const unknownAfterMs = readPositiveDurationMs(
    config,
    'alerts.unknownAfter',
    DEFAULT_UNKNOWN_AFTER_MS,
    '{ minutes: 30 }',
  );

  // An addition to the design contract: `mlGitops.registry.recheckAfter`.
  const registryRecheckAfterMs = config
    ? readDurationMs(
        config,
        'registry.recheckAfter',
        DEFAULT_REGISTRY_RECHECK_AFTER_MS,
      )
    : DEFAULT_REGISTRY_RECHECK_AFTER_MS;
  if (registryRecheckAfterMs < 1000) {
    throw new Error(
      'mlGitops.registry.recheckAfter must be at least a second, e.g. { minutes: 5 }',
    );
  }

  // The instances the scaffolder actions register Applications with too.
  const argocd: ArgoCdInstanceConfig[] = readArgoCdInstancesConfig(rootConfig);

  return {
    environments,
    ...(allowedOwners ? { allowedOwners } : {}),
    schedule,
    driftGracePeriodMs: config
      ? readDurationMs(config, 'driftGracePeriod', 5 * 60_000)
      : 5 * 60_000,
    rollbackTargetMs: config
      ? readDurationMs(config, 'rollbackTarget', 5 * 60_000)
      : 5 * 60_000,
    concurrency,
    requestTimeoutMs,
    refreshMinIntervalMs,
    historyRequestsPerCycle,
    historyFirstReadRequestsPerCycle,
    staleAfterMs,
    unknownAfterMs,
    argocd,
    fluxClusters: config?.getOptionalStringArray('flux.clusters') ?? [],
    registries,
    registryRecheckAfterMs,
    autoRollback: readAutoRollbackConfig(config, environments),
    // An addition to the design contract: `mlGitops.watch.enabled`.
    watch: { enabled: config?.getOptionalBoolean('watch.enabled') ?? true },
  };
}

/**
 * What each Git host's events module checks before it publishes a webhook,
 * and only when its secret is set: GitHub's `X-Hub-Signature-256`, GitLab's
 * `X-Gitlab-Token`.
 */
const WEBHOOK_CHECKS = [
  {
    topic: 'github',
    what: 'GitHub webhooks (github)',
    unchecked: 'unsigned pushes',
    secret: "the secret of the Git host's webhook",
  },
  {
    topic: 'gitlab',
    what: 'GitLab webhooks (gitlab)',
    unchecked: 'pushes without a secret token',
    secret: 'the secret token of the GitLab project or group webhook',
  },
];

/**
 * Refuses, outside development, to take a Git host's push events over HTTP
 * without its webhook secret: unchecked, anyone who reaches
 * `/api/events/http/<host>` could make the backend poll (and ask every
 * operator to refresh) whenever they like. The events modules check a
 * webhook only when `events.modules.<host>.webhookSecret` is set.
 * `NODE_ENV` development and test (the demo, the test suites) may run
 * without one.
 */
export function checkWebhookSecret(
  rootConfig: Config,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): void {
  if (nodeEnv === 'development' || nodeEnv === 'test') return;
  const topics = rootConfig.getOptionalStringArray('events.http.topics') ?? [];
  for (const check of WEBHOOK_CHECKS) {
    const key = `events.modules.${check.topic}.webhookSecret`;
    if (!topics.includes(check.topic) || rootConfig.getOptionalString(key)) {
      continue;
    }
    throw new Error(
      `events.http.topics takes ${check.what} but ${key} is not set: ${check.unchecked} from anyone could trigger polls. Set ${key} to ${check.secret} (docs/configuration.md, "Webhooks"), or remove ${check.topic} from events.http.topics`,
    );
  }
}
