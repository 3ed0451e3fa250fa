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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { parseModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { fakeGithubOwner } from '../__testUtils__/fakeGithubOwner';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import {
  fakeMlflow,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createConfigRepoCreateAction } from './configRepoCreate';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
jest.setTimeout(60_000);

let remote: LocalConfigRepo;
beforeEach(() => {
  remote = new LocalConfigRepo();
});
afterEach(() => remote.cleanup());

const input = {
  repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
  model: 'fraud-detector',
  version: '1',
  owners: ['@acme/ml-team'],
  gates: { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } },
};

function setup(
  type: 'Organization' | 'User' = 'Organization',
  existing: string[] = [],
) {
  const github = fakeGithubOwner({ owner: 'acme', type, existing });
  server.use(
    ...github.handlers,
    ...fakeMlflow('fraud-detector', [
      { version: '1', metrics: { auc: 0.95, latency_p95_ms: 30 } },
      { version: '2', metrics: { auc: 0.5, latency_p95_ms: 30 } },
    ]),
  );
  const action = createConfigRepoCreateAction({
    ...makeOptions(),
    remoteUrl: () => remote.bare,
  });
  return { github, action };
}

describe('ml-gitops:config-repo:create', () => {
  it('creates the repo with every environment branch, files and protection', async () => {
    const { github, action } = setup();
    const { ctx } = makeContext(input);
    await action.handler(ctx);

    expect(github.created).toEqual([
      expect.objectContaining({
        name: 'fraud-detector-config',
        private: true,
        visibility: 'private',
      }),
    ]);
    const heads = ['dev', 'staging', 'production'].map(b =>
      remote.remoteGit('rev-parse', b),
    );
    expect(new Set(heads).size).toBe(1);
    const manifestText = remote.show('production', 'deploy/model.yaml');
    const parsed = parseModelManifest(manifestText);
    expect(parsed).toMatchObject({
      ok: true,
      manifest: {
        model_name: 'fraud-detector',
        model_version: '1',
        registry: 'mlflow-default',
        gates: {
          metrics: { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } },
        },
      },
    });
    expect(manifestText).toContain('# Deployment manifest of fraud-detector');
    const app = yaml.parse(remote.show('dev', 'argocd/production.yaml'));
    expect(app).toMatchObject({
      kind: 'Application',
      metadata: {
        name: 'fraud-detector-production',
        labels: {
          'ml-gitops/model': 'fraud-detector',
          'ml-gitops/environment': 'production',
        },
      },
      spec: {
        sources: [
          {
            repoURL: 'https://github.com/acme/fraud-detector-config.git',
            targetRevision: 'production',
            path: 'deploy/chart',
          },
          {
            repoURL: 'https://github.com/acme/fraud-detector-config.git',
            targetRevision: 'production',
            path: 'secrets',
            directory: { include: '*.sealed.yaml' },
          },
        ],
        destination: { namespace: 'ml-production' },
      },
    });
    expect(remote.show('dev', 'CODEOWNERS')).toContain(
      '*                   @acme/ml-team',
    );
    const workflow = remote.show('dev', '.github/workflows/validate.yaml');
    expect(workflow).toContain('name: ml-gitops/validate');
    // the CLI is pinned: a pull request cannot run another version
    const cliVersion = JSON.parse(
      fs.readFileSync(
        path.resolve(__dirname, '../../../../packages/cli/package.json'),
        'utf8',
      ),
    ).version;
    expect(workflow).toContain(
      `npx --yes @ml-gitops/cli@${cliVersion} validate`,
    );
    expect(github.settings['fraud-detector-config']).toEqual({
      default_branch: 'dev',
    });
    // Every field of every environment branch's protection.
    const protection = (approvals: number) => ({
      required_status_checks: {
        strict: true,
        // set by GitHub Actions (app 15368 on github.com), not by hand
        checks: [{ context: 'ml-gitops/validate', app_id: 15368 }],
      },
      enforce_admins: true,
      required_pull_request_reviews: {
        required_approving_review_count: approvals,
        require_code_owner_reviews: approvals > 0,
        dismiss_stale_reviews: true,
      },
      restrictions: null,
      allow_force_pushes: false,
      allow_deletions: false,
    });
    expect(github.protections).toEqual({
      dev: protection(0),
      staging: protection(0),
      production: protection(1),
    });
    // The code owners may approve: their team can write to the repo.
    expect(github.access).toEqual({ 'team:acme/ml-team': 'push' });
    expect(outputsOf(ctx)).toEqual({
      remoteUrl: 'https://github.com/acme/fraud-detector-config',
      defaultBranch: 'dev',
      annotations: {
        'ml-gitops/model': 'fraud-detector',
        'ml-gitops/config-repo':
          'https://github.com/acme/fraud-detector-config',
      },
    });
  });

  it("creates a user's repo through /user/repos", async () => {
    const { github, action } = setup('User');
    await action.handler(makeContext(input).ctx);
    expect(github.created).toHaveLength(1);
    expect(github.created[0]).not.toHaveProperty('visibility');
  });

  it('creates and pushes once when retried', async () => {
    const { github, action } = setup();
    let failOnce = true;
    server.use(
      http.put(
        'https://api.github.com/repos/acme/fraud-detector-config/branches/production/protection',
        () => {
          if (failOnce) {
            failOnce = false;
            return HttpResponse.json({ message: 'boom' }, { status: 502 });
          }
          return undefined;
        },
      ),
    );
    const checkpoints = new Map<string, unknown>();
    await expect(
      action.handler(makeContext(input, { checkpoints }).ctx),
    ).rejects.toThrow(/Protecting branch production .* failed with 502/);
    const pushed = remote.remoteGit('rev-parse', 'dev');
    await action.handler(makeContext(input, { checkpoints }).ctx);
    expect(github.created).toHaveLength(1);
    expect(remote.remoteGit('rev-parse', 'dev')).toBe(pushed);
    expect(github.protections.production).toBeDefined();
  });

  it('gives user code owners access as collaborators and warns about e-mail owners', async () => {
    const { github, action } = setup();
    const { ctx, logs } = makeContext({
      ...input,
      owners: ['@ada', 'ml-lead@acme.example'],
    });
    await action.handler(ctx);
    expect(github.access).toEqual({ 'user:ada': 'push' });
    expect(logs.join('\n')).toContain(
      'Could not give ml-lead@acme.example access to https://github.com/acme/fraud-detector-config: an e-mail address cannot be given access; add the person as a collaborator by login. Until someone in CODEOWNERS has write access, no review can approve a production pull request',
    );
  });

  it('says which permission to grant when GitHub refuses to push the workflow', async () => {
    const { action } = setup();
    // GitHub's remote answer to credentials without the workflows permission.
    const hook = path.join(remote.bare, 'hooks', 'pre-receive');
    fs.writeFileSync(
      hook,
      '#!/bin/sh\necho "refusing to allow a GitHub App to create or update workflow \\`.github/workflows/validate.yaml\\` without \\`workflows\\` permission" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      'GitHub refused to push .github/workflows/validate.yaml: the GitHub App of integrations.github for github.com lacks the `workflows` permission. Give the GitHub App the "Workflows: Read and write" repository permission (and accept it in each installation), then run the task again; the repository exists and is reused.',
    );
  });

  it('says what to do when the plan cannot protect a private repo', async () => {
    const { action } = setup();
    server.use(
      http.put(
        'https://api.github.com/repos/acme/fraud-detector-config/branches/:branch/protection',
        () =>
          HttpResponse.json(
            {
              message:
                'Upgrade to GitHub Pro or make this repository public to enable this feature.',
              documentation_url:
                'https://docs.github.com/rest/branches/branch-protection#update-branch-protection',
              status: '403',
            },
            { status: 403 },
          ),
      ),
    );
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      /The plan of acme cannot protect branches of a private repo, so production could be changed without a review: make the repo internal or public \(visibility\)/,
    );
  });

  it('touches nothing in a dry run', async () => {
    const { github, action } = setup();
    const { ctx, logs } = makeContext(input, { isDryRun: true });
    await action.handler(ctx);
    expect(github.created).toEqual([]);
    expect(remote.remoteGit('branch', '--list')).toBe('');
    expect(logs.join('\n')).toMatch(/Dry run: would create/);
  });

  it('refuses a repo that exists', async () => {
    const { github, action } = setup('Organization', ['fraud-detector-config']);
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      'https://github.com/acme/fraud-detector-config already exists; choose another repository name',
    );
    expect(github.created).toEqual([]);
  });

  it.each([
    [
      'a model name that is no label value',
      { model: 'Fraud Detector' },
      /model "Fraud Detector" is not usable as a Kubernetes label value/,
    ],
    [
      'an owner that is no CODEOWNERS entry',
      { owners: ['ml team'] },
      /owners ml team are not CODEOWNERS entries/,
    ],
    [
      'a gate without bounds',
      { gates: { auc: {} } },
      /gates auc need a min or a max/,
    ],
    [
      'a version the registry lacks',
      { version: '9' },
      /fraud-detector version 9 does not exist in the registry/,
    ],
    [
      'a version failing the gate',
      { version: '2' },
      /the gate fails: auc 0.5 is below the minimum 0.92/,
    ],
    ['an invalid version', { version: '' }, /is not a registry version id/],
  ])('refuses %s', async (_what, change, message) => {
    const { github, action } = setup();
    await expect(
      action.handler(makeContext({ ...input, ...change }).ctx),
    ).rejects.toThrow(message);
    expect(github.created).toEqual([]);
  });
});

describe('ml-gitops:config-repo:create with the catalog entity', () => {
  it('commits catalog-info.yaml with the annotations and outputs its URL', async () => {
    const { action } = setup();
    const { ctx } = makeContext({
      ...input,
      entityOwner: 'group:default/fraud-ml',
      entitySystem: 'ml-serving',
    });
    await action.handler(ctx);

    for (const branch of ['dev', 'production']) {
      const entity = yaml.parse(remote.show(branch, 'catalog-info.yaml'));
      expect(entity).toEqual({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'fraud-detector',
          description:
            'ML model fraud-detector, deployed through this config repo.',
          tags: ['ml-model', 'kserve'],
          annotations: {
            'ml-gitops/model': 'fraud-detector',
            'ml-gitops/config-repo':
              'https://github.com/acme/fraud-detector-config',
            'ml-gitops/registry': 'mlflow-default',
            'backstage.io/kubernetes-id': 'fraud-detector',
          },
        },
        spec: {
          type: 'ml-model',
          lifecycle: 'experimental',
          owner: 'group:default/fraud-ml',
          system: 'ml-serving',
        },
      });
    }
    expect(outputsOf(ctx).catalogInfoUrl).toBe(
      'https://github.com/acme/fraud-detector-config/blob/dev/catalog-info.yaml',
    );
  });

  it('opts the model into automatic rollbacks when asked', async () => {
    const { action } = setup();
    const { ctx } = makeContext({
      ...input,
      entityOwner: 'group:default/fraud-ml',
      autoRollback: true,
    });
    await action.handler(ctx);
    const entity = yaml.parse(remote.show('production', 'catalog-info.yaml'));
    expect(entity.metadata.annotations['ml-gitops/auto-rollback']).toBe('true');
  });

  it('commits no entity without an owner', async () => {
    const { action } = setup();
    const { ctx } = makeContext(input);
    await action.handler(ctx);
    expect(() => remote.show('dev', 'catalog-info.yaml')).toThrow();
    expect(outputsOf(ctx)).not.toHaveProperty('catalogInfoUrl');
  });

  it.each([
    [{ entityOwner: 'group:default/not a name' }, 'entityOwner'],
    [{ entitySystem: 'ml-serving' }, 'entitySystem needs entityOwner'],
    [
      { autoRollback: true },
      'autoRollback annotates the catalog entity the repo holds: it needs entityOwner',
    ],
  ])('refuses %j before touching Git', async (change, message) => {
    const { github, action } = setup();
    await expect(
      action.handler(makeContext({ ...input, ...change }).ctx),
    ).rejects.toThrow(message);
    expect(github.created).toEqual([]);
  });
});
