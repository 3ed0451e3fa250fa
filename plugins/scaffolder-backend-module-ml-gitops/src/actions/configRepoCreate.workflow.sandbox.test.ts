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
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sandbox, startSandbox } from 'sandbox';
import yaml from 'yaml';
import {
  fakePermissions,
  makeContext,
  outputsOf,
} from '../__testUtils__/setup';
import { readMlGitopsActionsConfig } from './config';
import { createConfigRepoCreateAction } from './configRepoCreate';
import { createDeployAction } from './deploy';

/*
 * A config repo created by ml-gitops:config-repo:create on the sandbox's Git
 * host, whose pull requests are checked by the repo's own workflow with no
 * repository variable or secret set: the sandbox's Actions runner reads
 * .github/workflows/validate.yaml as GitHub would (githost/actions.ts: the
 * workflow's `on`, `env` and steps, the `run:` step's ml-gitops command) and
 * runs the real CLI (packages/cli/bin/ml-gitops) against the sandbox's
 * MLflow, whose versions are stored under an s3:// artifact root.
 */

jest.setTimeout(300_000);

const MODEL = 'basket-scorer';
const REPO = `${MODEL}-config`;
const CHECK = 'ml-gitops/validate';

let sandbox: Sandbox;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-create-sandbox-'));
  sandbox = await startSandbox({
    ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
    dataDir: path.join(tmp, 'data'),
    reconcileIntervalSeconds: 3600,
    log: () => {},
    actions: {
      cliBin: path.resolve(__dirname, '../../../../packages/cli/bin/ml-gitops'),
      // A repository variable pointing nowhere: the workflow must not need it.
      variables: { ML_GITOPS_REGISTRY_URL: 'http://127.0.0.1:9' },
    },
  });
  const { mlflow } = sandbox.current();
  mlflow.models.set(MODEL, {
    name: MODEL,
    creation_timestamp: Date.now() - 7200_000,
    last_updated_timestamp: Date.now() - 3600_000,
    description: '',
    user_id: 'ada@acme.example',
    tags: [],
    aliases: [],
  });
  for (const version of ['1', '2', '3']) {
    mlflow.registerVersion({
      model: MODEL,
      team: 'basket-ml',
      version,
      userEmail: 'ada@acme.example',
      registeredAt: Date.now() - 3600_000,
      experimentId: '7',
      stage: 'None',
      aliases: [],
      description: '',
      metrics: { auc: 0.95 },
      flavor: 'xgboost',
    });
  }
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

function options() {
  const gitHost = new URL(sandbox.urls.git).host;
  const config = new ConfigReader({
    integrations: {
      github: [
        {
          host: gitHost,
          apiBaseUrl: sandbox.urls.gitApi,
          token: 'sandbox-github-token',
        },
      ],
    },
    mlGitops: {
      registries: [
        { name: 'mlflow-default', type: 'mlflow', url: sandbox.urls.mlflow },
      ],
    },
  });
  return {
    permissions: fakePermissions().service,
    integrations: ScmIntegrations.fromConfig(config),
    config: readMlGitopsActionsConfig(config),
    catalog: catalogServiceMock({
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: {
            name: MODEL,
            namespace: 'default',
            annotations: {
              'ml-gitops/model': MODEL,
              'ml-gitops/config-repo': `${sandbox.urls.git}/acme/${REPO}`,
            },
          },
          spec: { type: 'ml-model', owner: 'group:default/basket-ml' },
        },
      ],
    }),
  };
}

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(`${sandbox.urls.gitApi}/repos/acme/${REPO}${p}`, {
    method,
    headers: {
      'content-type': 'application/json',
      authorization: 'token sandbox-github-token',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function file(ref: string, p: string): Promise<string> {
  const res = await api('GET', `/contents/${p}?ref=${ref}`);
  expect(res.status).toBe(200);
  return Buffer.from(res.body.content, 'base64').toString('utf8');
}

/** The validate run of a pull request's head, once the runner is idle. */
async function check(number: number) {
  await sandbox.actionsIdle();
  const head = (await api('GET', `/pulls/${number}`)).body.head.sha;
  const run = sandbox
    .actionsRuns()
    .filter(r => r.repository === `acme/${REPO}` && r.headSha === head)
    .at(-1);
  expect(run).toMatchObject({ name: CHECK, status: 'completed' });
  return run!;
}

describe('the validate workflow of a new config repo', () => {
  beforeAll(async () => {
    const create = createConfigRepoCreateAction(options());
    const { ctx } = makeContext({
      repoUrl: `${new URL(sandbox.urls.git).host}?owner=acme&repo=${REPO}`,
      model: MODEL,
      version: '1',
      owners: ['@acme/basket-ml'],
      gates: { auc: { min: 0.9 } },
    });
    await create.handler(ctx);
  });

  it('points at the registry and the version’s artifacts', async () => {
    const { mlflow } = sandbox.current();
    const source = mlflow.versions.find(
      v => v.name === MODEL && v.version === '1',
    )!.source;
    expect(source).toMatch(/^s3:\/\/ml-gitops-sandbox-mlflow\/7\//);
    const manifest = yaml.parse(await file('dev', 'deploy/model.yaml'));
    expect(manifest.storage_uri).toBe(source);
    const values = yaml.parse(await file('dev', 'deploy/chart/values.yaml'));
    expect(values.model_format).toBe('xgboost');
    const workflow = yaml.parse(
      await file('dev', '.github/workflows/validate.yaml'),
    );
    expect(workflow.env.ML_GITOPS_REGISTRY_URL).toBe(sandbox.urls.mlflow);
  });

  it('passes a deploy pull request the action opens', async () => {
    const deploy = createDeployAction(options());
    const { ctx } = makeContext({
      entityRef: `component:default/${MODEL}`,
      version: '2',
    });
    await deploy.handler(ctx);
    const { pullRequestNumber } = outputsOf(ctx) as {
      pullRequestNumber: number;
    };
    const run = await check(pullRequestNumber);
    expect({ conclusion: run.conclusion, log: run.log }).toMatchObject({
      conclusion: 'success',
    });
    expect(run.log.join('\n')).not.toContain('127.0.0.1:9');
    expect(run.log.join('\n')).toMatch(
      /PASS\s+Model version in the registry\s+basket-scorer version 2 is READY; storage_uri is its artifact location/,
    );
  });

  it('fails a pull request whose storage_uri is not the version’s, naming both', async () => {
    const { mlflow } = sandbox.current();
    const locationOf = (version: string) =>
      mlflow.versions.find(v => v.name === MODEL && v.version === version)!
        .source;
    const base = (await api('GET', '/branches/dev')).body.commit.sha;
    expect(
      (
        await api('POST', '/git/refs', {
          ref: 'refs/heads/by-hand',
          sha: base,
        })
      ).status,
    ).toBe(201);
    const current = await api('GET', '/contents/deploy/model.yaml?ref=dev');
    const text = Buffer.from(current.body.content, 'base64')
      .toString('utf8')
      .replace('model_version: "1"', 'model_version: "3"');
    const put = await api('PUT', '/contents/deploy/model.yaml', {
      message: 'Deploy 3 by hand',
      content: Buffer.from(text).toString('base64'),
      branch: 'by-hand',
      sha: current.body.sha,
    });
    expect(put.status).toBe(200);
    const pull = await api('POST', '/pulls', {
      title: 'Deploy 3 by hand',
      head: 'by-hand',
      base: 'dev',
    });
    expect(pull.status).toBe(201);
    const run = await check(pull.body.number);
    expect(run.conclusion).toBe('failure');
    // The commit status shows the CLI's first error, cut to GitHub's 140.
    expect(run.description).toMatch(
      new RegExp(
        `^storage_uri ${locationOf('1').replace(/[./]/g, '\\$&')} is not where`,
      ),
    );
    expect(run.log.join('\n')).toContain(
      `storage_uri ${locationOf(
        '1',
      )} is not where the registry keeps basket-scorer version 3: ${locationOf(
        '3',
      )}`,
    );
  });
});
