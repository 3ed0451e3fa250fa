import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { readMlGitopsSharedConfig } from '@ml-gitops/plugin-ml-gitops-node';
import {
  AutoRollbackConfig,
  readAutoRollbackConfig,
} from './autoRollback/config';

/** @public */
export type ArgoCdInstanceConfig = {
  name: string;
  url: string;
  token?: string;
  username?: string;
  password?: string;
  projects?: string[];
};

/** @public */
export type RegistryConfig = {
  name: string;
  type: string;
  url: string;
  /** A bearer token; never together with `username`. */
  token?: string;
  /** HTTP Basic credentials for MLflow's basic-auth app: both or neither. */
  username?: string;
  password?: string;
};

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
  argocd: ArgoCdInstanceConfig[];
  fluxClusters: string[];
  registries: RegistryConfig[];
  /** `mlGitops.autoRollback`; an addition to the design contract. */
  autoRollback: AutoRollbackConfig;
};

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { seconds: 30 },
  timeout: { minutes: 2 },
  initialDelay: { seconds: 5 },
};

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

function checkUrl(value: string, key: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `${key} must be an absolute http(s) URL such as https://argocd.example.com, got "${value}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${key} must use http or https, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

function uniqueNames<T extends { name: string }>(items: T[], key: string): T[] {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.name)) {
      throw new Error(`${key} lists the name "${item.name}" twice`);
    }
    seen.add(item.name);
  }
  return items;
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
  const { environments, registries } = readMlGitopsSharedConfig(rootConfig);

  const schedule = config?.has('schedule')
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
        config.getConfig('schedule'),
      )
    : DEFAULT_SCHEDULE;

  const concurrency = config?.getOptionalNumber('concurrency') ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new Error('mlGitops.concurrency must be a whole number from 1 to 64');
  }

  const requestTimeoutMs = config
    ? readDurationMs(config, 'requestTimeout', DEFAULT_REQUEST_TIMEOUT_MS)
    : DEFAULT_REQUEST_TIMEOUT_MS;
  if (requestTimeoutMs < 1) {
    throw new Error(
      'mlGitops.requestTimeout must be longer than zero, e.g. { seconds: 15 }',
    );
  }

  const refreshMinIntervalMs = config
    ? readDurationMs(config, 'refreshMinInterval', 10_000)
    : 10_000;
  if (refreshMinIntervalMs < 0) {
    throw new Error(
      'mlGitops.refreshMinInterval must not be negative, e.g. { seconds: 10 }',
    );
  }

  const argocd = uniqueNames(
    (config?.getOptionalConfigArray('argocd.instances') ?? []).map(
      (instance, index) => {
        const key = `mlGitops.argocd.instances[${index}]`;
        const token = instance.getOptionalString('token') || undefined;
        const username = instance.getOptionalString('username');
        const password = instance.getOptionalString('password');
        if (!token && !(username && password)) {
          throw new Error(
            `${key} needs either token or username and password to reach Argo CD`,
          );
        }
        return {
          name: instance.getString('name'),
          url: checkUrl(instance.getString('url'), `${key}.url`),
          token,
          username,
          password,
          projects: instance.getOptionalStringArray('projects'),
        };
      },
    ),
    'mlGitops.argocd.instances',
  );

  return {
    environments,
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
    argocd,
    fluxClusters: config?.getOptionalStringArray('flux.clusters') ?? [],
    registries,
    autoRollback: readAutoRollbackConfig(config, environments),
  };
}

/**
 * Refuses, outside development, to take GitHub push events over HTTP
 * without a webhook secret: unsigned, anyone who reaches
 * `/api/events/http/github` could make the backend poll (and ask every
 * operator to refresh) whenever they like. The GitHub events module checks
 * `X-Hub-Signature-256` only when `events.modules.github.webhookSecret` is
 * set. `NODE_ENV` development and test (the demo, the test suites) may run
 * without one.
 */
export function checkWebhookSecret(
  rootConfig: Config,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): void {
  const topics = rootConfig.getOptionalStringArray('events.http.topics') ?? [];
  if (!topics.includes('github')) return;
  if (rootConfig.getOptionalString('events.modules.github.webhookSecret')) {
    return;
  }
  if (nodeEnv === 'development' || nodeEnv === 'test') return;
  throw new Error(
    'events.http.topics takes GitHub webhooks (github) but events.modules.github.webhookSecret is not set: unsigned pushes from anyone could trigger polls. Set events.modules.github.webhookSecret to the secret of the Git host\'s webhook (docs/configuration.md, "Webhooks"), or remove github from events.http.topics',
  );
}
