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

import { PermissionsService } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { Entity, UserEntity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { http, HttpResponse } from 'msw';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlGitopsActionsConfig } from '../actions/config';
import { MlGitopsActionOptions } from '../actions/actionOptions';

export const GITHUB_TOKEN = 'ghp_supersecret_token_123';
export const MLFLOW_URL = 'https://mlflow.example.com';

export function fraudDetectorEntity(
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'fraud-detector',
      namespace: 'default',
      annotations: {
        'ml-gitops/model': 'fraud-detector',
        'ml-gitops/config-repo':
          'https://github.com/acme/fraud-detector-config',
        ...annotations,
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'ml-team' },
  };
}

/**
 * A permission policy for the actions' tests: allows everything except the
 * permissions named in `deny`, and records what it was asked.
 */
export function fakePermissions(deny: string[] = []) {
  const asked: Array<{ permission: string; resourceRef?: string }> = [];
  const service: PermissionsService = {
    authorize: async requests =>
      requests.map(request => {
        const resourceRef = (request as { resourceRef?: string }).resourceRef;
        asked.push({ permission: request.permission.name, resourceRef });
        return {
          result: deny.includes(request.permission.name)
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
        };
      }),
    authorizeConditional: async requests =>
      requests.map(() => ({ result: AuthorizeResult.ALLOW })),
  } as PermissionsService;
  return { service, asked };
}

export function makeOptions(
  extra: {
    entities?: Entity[];
    environments?: string[];
    permissions?: PermissionsService;
    sealedSecrets?: MlGitopsActionsConfig['sealedSecrets'];
    registries?: MlGitopsActionsConfig['registries'];
  } = {},
): MlGitopsActionOptions {
  return {
    permissions: extra.permissions ?? fakePermissions().service,
    integrations: ScmIntegrations.fromConfig(
      new ConfigReader({
        integrations: { github: [{ host: 'github.com', token: GITHUB_TOKEN }] },
      }),
    ),
    config: {
      environments: extra.environments ?? ['dev', 'staging', 'production'],
      registries: extra.registries ?? [
        { name: 'mlflow-default', type: 'mlflow', url: MLFLOW_URL },
      ],
      ...(extra.sealedSecrets ? { sealedSecrets: extra.sealedSecrets } : {}),
    },
    catalog: catalogServiceMock({
      entities: extra.entities ?? [fraudDetectorEntity()],
    }),
  };
}

export type FakeMlflowVersion = {
  version: string;
  status?: string;
  /** MLflow's status_message: details of a pending or failed registration. */
  statusMessage?: string;
  stage?: string;
  tags?: Record<string, string>;
  metrics?: Record<string, number>;
  /** ModelVersion.source (default s3://acme-mlflow/1/run-<version>/artifacts/model). */
  source?: string;
  /** The flavors of its MLmodel file (default python_function and sklearn; empty: no file). */
  flavors?: string[];
};

/** The source a fake version has unless it says otherwise. */
export const fakeSource = (version: string) =>
  `s3://acme-mlflow/1/run-${version}/artifacts/model`;

/** msw handlers answering MLflow's registry API for one model. */
export function fakeMlflow(model: string, versions: FakeMlflowVersion[]) {
  const notFound = () =>
    HttpResponse.json(
      { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'not found' },
      { status: 404 },
    );
  return [
    http.get(
      `${MLFLOW_URL}/api/2.0/mlflow/model-versions/get`,
      ({ request }) => {
        const q = new URL(request.url).searchParams;
        const v = versions.find(x => x.version === q.get('version'));
        if (q.get('name') !== model || !v) return notFound();
        return HttpResponse.json({
          model_version: {
            name: model,
            version: v.version,
            status: v.status ?? 'READY',
            ...(v.statusMessage ? { status_message: v.statusMessage } : {}),
            current_stage: v.stage ?? 'None',
            source: v.source ?? fakeSource(v.version),
            run_id: `run-${v.version}`,
            creation_timestamp: 1764000000000,
            last_updated_timestamp: 1764000000000,
            // Protobuf's JSON leaves out empty lists (no aliases here).
            ...(v.tags && Object.keys(v.tags).length
              ? {
                  tags: Object.entries(v.tags).map(([key, value]) => ({
                    key,
                    value,
                  })),
                }
              : {}),
          },
        });
      },
    ),
    // get_model_version_download_uri in
    // mlflow/store/model_registry/sqlalchemy_store.py: storage_location,
    // else source; these versions have no storage_location.
    http.get(
      `${MLFLOW_URL}/api/2.0/mlflow/model-versions/get-download-uri`,
      ({ request }) => {
        const q = new URL(request.url).searchParams;
        const v = versions.find(x => x.version === q.get('version'));
        if (q.get('name') !== model || !v) return notFound();
        return HttpResponse.json({
          artifact_uri: v.source ?? fakeSource(v.version),
        });
      },
    ),
    // The MLmodel file through the tracking server
    // (get_model_version_artifact_handler in mlflow/server/handlers.py), as
    // Model.to_yaml in mlflow/models/model.py writes it.
    http.get(`${MLFLOW_URL}/model-versions/get-artifact`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      const v = versions.find(x => x.version === q.get('version'));
      const flavors = v?.flavors ?? ['python_function', 'sklearn'];
      if (
        q.get('name') !== model ||
        !v ||
        q.get('path') !== 'MLmodel' ||
        flavors.length === 0
      ) {
        return notFound();
      }
      return new HttpResponse(
        `artifact_path: model\nflavors:\n${flavors
          .map(f => `  ${f}:\n    model_path: model.pkl\n`)
          .join('')}mlflow_version: 2.16.0\nrun_id: run-${v.version}\n`,
        { headers: { 'content-type': 'text/plain' } },
      );
    }),
    http.get(`${MLFLOW_URL}/api/2.0/mlflow/runs/get`, ({ request }) => {
      const runId = new URL(request.url).searchParams.get('run_id');
      const v = versions.find(x => `run-${x.version}` === runId);
      if (!v) return notFound();
      return HttpResponse.json({
        run: {
          info: {
            run_id: runId,
            run_uuid: runId,
            experiment_id: '1',
            status: 'FINISHED',
            lifecycle_stage: 'active',
          },
          data:
            v.metrics && Object.keys(v.metrics).length
              ? {
                  metrics: Object.entries(v.metrics).map(([key, value]) => ({
                    key,
                    value,
                    timestamp: 1,
                    step: 0,
                  })),
                }
              : {},
        },
      });
    }),
    // Model version tags (mlflow/protos/model_registry.proto,
    // SetModelVersionTag and DeleteModelVersionTag): an empty object on
    // success, RESOURCE_DOES_NOT_EXIST for an unknown model version.
    http.post(
      `${MLFLOW_URL}/api/2.0/mlflow/model-versions/set-tag`,
      async ({ request }) => {
        const body = (await request.json()) as {
          name: string;
          version: string;
          key: string;
          value: string;
        };
        const v = versions.find(x => x.version === body.version);
        if (body.name !== model || !v) return notFound();
        v.tags = { ...v.tags, [body.key]: body.value };
        return HttpResponse.json({});
      },
    ),
    http.delete(
      `${MLFLOW_URL}/api/2.0/mlflow/model-versions/delete-tag`,
      async ({ request }) => {
        const body = (await request.json()) as {
          name: string;
          version: string;
          key: string;
        };
        const v = versions.find(x => x.version === body.version);
        if (body.name !== model || !v) return notFound();
        // Deleting a tag that is not set succeeds (MLflow's stores answer {}).
        const { [body.key]: _removed, ...rest } = v.tags ?? {};
        v.tags = rest;
        return HttpResponse.json({});
      },
    ),
  ];
}

/** The workspaces makeContext made, removed once the test file has run. */
const madeWorkspaces: string[] = [];
afterAll(() => {
  for (const dir of madeWorkspaces.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A context whose checkpoints remember results by key, as a task retry does. */
export function makeContext<T extends JsonObject>(
  input: T,
  options: {
    checkpoints?: Map<string, unknown>;
    isDryRun?: boolean;
    workspacePath?: string;
    taskId?: string;
    /** Who started the task; default user:default/alice. */
    user?: { ref?: string; entity?: UserEntity };
  } = {},
): {
  ctx: ActionContext<T, any>;
  logs: string[];
  checkpoints: Map<string, unknown>;
} {
  const checkpoints = options.checkpoints ?? new Map<string, unknown>();
  const logs: string[] = [];
  let workspacePath = options.workspacePath;
  if (!workspacePath) {
    workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-ws-'));
    madeWorkspaces.push(workspacePath);
  }
  const base = createMockActionContext<T>({
    input,
    isDryRun: options.isDryRun,
    workspacePath,
    task: { id: options.taskId ?? 'a1b2c3d4-task' },
    user: options.user ?? {
      ref: 'user:default/alice',
      entity: {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'User',
        metadata: { name: 'alice' },
        spec: {
          profile: { displayName: 'Alice', email: 'alice@example.com' },
        },
      },
    },
  });
  const record =
    (level: string) =>
    (message: unknown): any => {
      logs.push(`${level}: ${String(message)}`);
      return base.logger;
    };
  const logger = Object.assign(Object.create(base.logger), {
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
  });
  const ctx = {
    ...base,
    isDryRun: options.isDryRun,
    logger,
    checkpoint: jest.fn(async (opts: { key: string; fn: () => any }) => {
      if (checkpoints.has(opts.key)) {
        return checkpoints.get(opts.key);
      }
      const value = await opts.fn();
      checkpoints.set(opts.key, value);
      return value;
    }),
  };
  return { ctx: ctx as unknown as ActionContext<T, any>, logs, checkpoints };
}

/** Every value the context received through ctx.output. */
export function outputsOf(ctx: { output: unknown }): Record<string, unknown> {
  return Object.fromEntries(
    (ctx.output as jest.Mock).mock.calls.map(([k, v]) => [k, v]),
  );
}

/** A fake GitHub config repo whose environment branches declare these versions. */
export function fakeConfigRepo(versions: Record<string, string>) {
  return fakeConfigRepoOf(
    Object.fromEntries(
      Object.entries(versions).map(([branch, v]) => [branch, manifest(v)]),
    ),
  );
}

/** A config repo whose branches hold these texts of deploy/model.yaml. */
export function fakeConfigRepoOf(manifests: Record<string, string>) {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  for (const [branch, text] of Object.entries(manifests)) {
    repo.commit({
      branch,
      parents: [],
      message: `Initial ${branch}`,
      date: '2026-11-01T10:00:00Z',
      files: { 'deploy/model.yaml': text },
    });
  }
  return repo;
}
