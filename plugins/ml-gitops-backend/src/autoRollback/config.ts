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

import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/**
 * How the automatic rollback acts in one environment.
 *
 * @public
 */
export type AutoRollbackSettings = {
  /** Whether it acts in this environment at all. */
  enabled: boolean;
  /** Roll back when the environment's canary analysis of the declared version fails. */
  onCanaryFailure: boolean;
  /** Roll back when the declared version has not served `notServingAfterMs` after its merge. */
  onNotServing: boolean;
  notServingAfterMs: number;
  /** Mark the version left rejected in the registry. */
  rejectVersion: boolean;
};

/**
 * `mlGitops.autoRollback`, read once with defaults applied: which models
 * take part, and the settings of every configured environment.
 * An addition to the design contract.
 *
 * @public
 */
export type AutoRollbackConfig = {
  /** Every model takes part unless its annotation says "false". */
  allModels: boolean;
  environments: Record<string, AutoRollbackSettings>;
};

const KEYS = [
  'enabled',
  'onCanaryFailure',
  'onNotServing',
  'notServingAfter',
  'rejectVersion',
] as const;

function readSettings(
  config: Config | undefined,
  key: string,
): Partial<AutoRollbackSettings> {
  if (!config) return {};
  for (const name of config.keys()) {
    if (!(KEYS as readonly string[]).includes(name)) {
      throw new Error(
        `${key}.${name} is not a setting of the automatic rollback; use ${KEYS.join(
          ', ',
        )}`,
      );
    }
  }
  const settings: Partial<AutoRollbackSettings> = {};
  for (const name of [
    'enabled',
    'onCanaryFailure',
    'onNotServing',
    'rejectVersion',
  ] as const) {
    const value = config.getOptionalBoolean(name);
    if (value !== undefined) settings[name] = value;
  }
  if (config.has('notServingAfter')) {
    let ms: number;
    try {
      ms = durationToMilliseconds(
        readDurationFromConfig(config, { key: 'notServingAfter' }),
      );
    } catch (error) {
      throw new Error(
        `${key}.notServingAfter must be a duration such as { minutes: 10 } or "10m": ${
          (error as Error).message
        }`,
      );
    }
    if (!(ms > 0)) {
      throw new Error(
        `${key}.notServingAfter must be longer than zero, e.g. { minutes: 10 }; set onNotServing: false to turn that trigger off`,
      );
    }
    settings.notServingAfterMs = ms;
  }
  return settings;
}

/** The default of `notServingAfter`. */
export const DEFAULT_NOT_SERVING_AFTER_MS = 10 * 60_000;

/**
 * Reads `mlGitops.autoRollback`: `allModels`, `default` (every environment)
 * and `environments.<env>` (one environment), each setting taken from the
 * environment, else the default, else built in: enabled only in the last
 * environment of the promotion order, both triggers on, 10 minutes to
 * serve, the version left rejected. Throws naming the key to fix.
 */
export function readAutoRollbackConfig(
  mlGitops: Config | undefined,
  environments: readonly string[],
): AutoRollbackConfig {
  const config = mlGitops?.getOptionalConfig('autoRollback');
  const key = 'mlGitops.autoRollback';
  for (const name of config?.keys() ?? []) {
    if (!['allModels', 'default', 'environments'].includes(name)) {
      throw new Error(
        `${key}.${name} is not a key of the automatic rollback; use allModels, default or environments`,
      );
    }
  }
  const defaults = readSettings(
    config?.getOptionalConfig('default'),
    `${key}.default`,
  );
  const own = config?.getOptionalConfig('environments');
  for (const name of own?.keys() ?? []) {
    if (!environments.includes(name)) {
      throw new Error(
        `${key}.environments.${name} is not a configured environment; use one of ${environments.join(
          ', ',
        )} (mlGitops.environments)`,
      );
    }
  }
  const last = environments[environments.length - 1];
  const settings: Record<string, AutoRollbackSettings> = {};
  for (const environment of environments) {
    const mine = readSettings(
      own?.getOptionalConfig(environment),
      `${key}.environments.${environment}`,
    );
    settings[environment] = {
      enabled: mine.enabled ?? defaults.enabled ?? environment === last,
      onCanaryFailure: mine.onCanaryFailure ?? defaults.onCanaryFailure ?? true,
      onNotServing: mine.onNotServing ?? defaults.onNotServing ?? true,
      notServingAfterMs:
        mine.notServingAfterMs ??
        defaults.notServingAfterMs ??
        DEFAULT_NOT_SERVING_AFTER_MS,
      rejectVersion: mine.rejectVersion ?? defaults.rejectVersion ?? true,
    };
  }
  return {
    allModels: config?.getOptionalBoolean('allModels') ?? false,
    environments: settings,
  };
}
