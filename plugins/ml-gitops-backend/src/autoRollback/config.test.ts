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
import { readAutoRollbackConfig } from './config';

const ENVS = ['dev', 'staging', 'production'];
const read = (autoRollback: object) =>
  readAutoRollbackConfig(new ConfigReader({ autoRollback }), ENVS);

describe('readAutoRollbackConfig', () => {
  it('is enabled only in the last environment and only for annotated models by default', () => {
    const config = readAutoRollbackConfig(undefined, ENVS);
    expect(config.allModels).toBe(false);
    expect(config.environments.production).toEqual({
      enabled: true,
      onCanaryFailure: true,
      onNotServing: true,
      notServingAfterMs: 600_000,
      rejectVersion: true,
    });
    expect(config.environments.dev.enabled).toBe(false);
    expect(config.environments.staging.enabled).toBe(false);
  });

  it('takes each setting from the environment, else the default', () => {
    const config = read({
      allModels: true,
      default: { enabled: true, notServingAfter: '15m', rejectVersion: false },
      environments: {
        dev: { enabled: false },
        production: { notServingAfter: { minutes: 5 }, onNotServing: false },
      },
    });
    expect(config.allModels).toBe(true);
    expect(config.environments).toEqual({
      dev: {
        enabled: false,
        onCanaryFailure: true,
        onNotServing: true,
        notServingAfterMs: 900_000,
        rejectVersion: false,
      },
      staging: {
        enabled: true,
        onCanaryFailure: true,
        onNotServing: true,
        notServingAfterMs: 900_000,
        rejectVersion: false,
      },
      production: {
        enabled: true,
        onCanaryFailure: true,
        onNotServing: false,
        notServingAfterMs: 300_000,
        rejectVersion: false,
      },
    });
  });

  it.each([
    [
      { environments: { prod: { enabled: true } } },
      'mlGitops.autoRollback.environments.prod is not a configured environment; use one of dev, staging, production (mlGitops.environments)',
    ],
    [
      { default: { enable: true } },
      'mlGitops.autoRollback.default.enable is not a setting of the automatic rollback; use enabled, onCanaryFailure, onNotServing, notServingAfter, rejectVersion',
    ],
    [
      { models: ['x'] },
      'mlGitops.autoRollback.models is not a key of the automatic rollback; use allModels, default or environments',
    ],
    [
      { environments: { production: { notServingAfter: { minutes: 0 } } } },
      'mlGitops.autoRollback.environments.production.notServingAfter must be longer than zero, e.g. { minutes: 10 }; set onNotServing: false to turn that trigger off',
    ],
    [
      { default: { notServingAfter: 'soon' } },
      /^mlGitops\.autoRollback\.default\.notServingAfter must be a duration such as \{ minutes: 10 \} or "10m"/,
    ],
  ])('refuses %j', (config, message) => {
    expect(() => read(config)).toThrow(message);
  });
});
