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

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Sandbox,
  SANDBOX_CREDENTIALS,
  SandboxOptions,
  startSandbox,
} from 'sandbox';

/** The last requests each sandbox served (method, path, status), newest last. */
const served = new WeakMap<Sandbox, string[]>();

/**
 * What the sandbox served last, for a test's failure message: a status the
 * product's error does not repeat (it never quotes what a URL answered).
 */
export function recentRequests(sandbox: Sandbox, count = 20): string[] {
  return (served.get(sandbox) ?? []).slice(-count);
}

/**
 * Starts the sandbox (on free ports, in a private folder; with `options`)
 * before the tests of a file, seeds it further with `seed`, and stops it
 * after them. The
 * tests read the running sandbox through the returned function.
 */
export function useSandbox(
  name: string,
  seed: (sandbox: Sandbox) => void = () => {},
  options: Pick<SandboxOptions, 'actions'> = {},
): () => Sandbox {
  let sandbox: Sandbox | undefined;
  let tmp: string | undefined;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), `ml-gitops-${name}-`));
    const lines: string[] = [];
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      dataDir: path.join(tmp, 'data'),
      reconcileIntervalSeconds: 3600,
      logRequests: true,
      log: line => {
        lines.push(line);
        if (lines.length > 200) lines.splice(0, lines.length - 200);
      },
      ...options,
    });
    served.set(sandbox, lines);
    seed(sandbox);
  }, 180_000);
  afterAll(async () => {
    await sandbox?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);
  return () => {
    if (!sandbox) throw new Error('the sandbox is not started yet');
    return sandbox;
  };
}

/**
 * Registers versions of `model` of `team` in the sandbox's MLflow, an hour
 * ago, by ada.
 */
export function registerMlflowVersions(
  sandbox: Sandbox,
  model: string,
  team: string,
  versions: string[],
  metrics: Record<string, number>,
) {
  for (const version of versions) {
    sandbox.current().mlflow.registerVersion({
      model,
      team,
      version,
      userEmail: 'ada@acme.example',
      registeredAt: Date.now() - 3600_000,
      experimentId: '1',
      stage: 'None',
      aliases: [],
      description: '',
      metrics,
    });
  }
}

/**
 * {@link useSandbox} with `model` registered in its MLflow as version 1
 * (auc 0.95).
 */
export function useSandboxWithModel(model: string): () => Sandbox {
  return useSandbox(model, sandbox =>
    registerMlflowVersions(sandbox, model, 'risk-ml', ['1'], { auc: 0.95 }),
  );
}

/**
 * Registers versions of `model` in the sandbox's Kubeflow Model Registry, an
 * hour ago, each with its artifact at s3://models/<model>/<version>.
 */
export function registerKubeflowVersions(
  sandbox: Sandbox,
  model: string,
  versions: string[],
  metrics: Record<string, number>,
) {
  for (const version of versions) {
    sandbox.current().kubeflow.registerVersion({
      model,
      version,
      author: 'grace@example.com',
      metrics,
      artifact: {
        uri: `s3://models/${model}/${version}`,
        modelFormatName: 'sklearn',
        modelFormatVersion: '1',
      },
      registeredAt: Date.now() - 3600_000,
    });
  }
}

/**
 * {@link useSandbox} with `model` registered in its Kubeflow Model Registry
 * as version 1 (auc 0.95).
 */
export function useSandboxWithKubeflowModel(model: string): () => Sandbox {
  return useSandbox(model, sandbox =>
    registerKubeflowVersions(sandbox, model, ['1'], { auc: 0.95 }),
  );
}

/** The sandbox's MLflow as an mlGitops.registries entry (app-config.sandbox.yaml). */
export const sandboxMlflowRegistry = (sandbox: Sandbox) => ({
  name: 'mlflow-default',
  type: 'mlflow',
  url: sandbox.urls.mlflow,
});

/** The sandbox's Kubeflow Model Registry as an mlGitops.registries entry (app-config.sandbox.yaml). */
export const sandboxKubeflowRegistry = (sandbox: Sandbox) => ({
  name: 'kubeflow-default',
  type: 'kubeflow',
  url: sandbox.urls.kubeflow,
  token: SANDBOX_CREDENTIALS.kubeflow.token,
});

/**
 * The sandbox's CI runs the real CLI (packages/cli/bin/ml-gitops) on every
 * pull or merge request, as the config repos' validate check.
 */
export const RUN_THE_CLI: Pick<SandboxOptions, 'actions'> = {
  actions: {
    cliBin: path.resolve(__dirname, '../../../../packages/cli/bin/ml-gitops'),
  },
};
