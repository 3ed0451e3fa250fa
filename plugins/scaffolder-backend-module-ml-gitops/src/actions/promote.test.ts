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
  mockCredentials,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { parseChangeRecord } from '@ml-gitops/plugin-ml-gitops-node';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  auth,
  BACKEND_URL,
  discovery,
  environmentStatus,
  fakeBackend,
} from '../__testUtils__/backend';
import {
  fakeMlflow,
  fakeSource,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createPromoteAction } from './promote';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const input = {
  entityRef: 'component:default/fraud-detector',
  sourceEnvironment: 'staging',
  targetEnvironment: 'production',
};

const withStorage = (version: string, uri = fakeSource(version)) =>
  manifest(version).replace(
    `model_version: "${version}"\n`,
    `model_version: "${version}"\nstorage_uri: '${uri}'\n`,
  );

function setup(
  options: {
    staging?: string;
    production?: string;
    metrics?: Record<string, number>;
    /** MLflow's registration status of version 13; READY by default. */
    status?: string;
    /** Manifests with storage_uri (the one of their version). */
    storage?: boolean;
    live?: Parameters<typeof fakeBackend>[0];
  } = {},
) {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  const versions = {
    dev: '13',
    staging: options.staging ?? '13',
    production: options.production ?? '12',
  };
  for (const [branch, version] of Object.entries(versions)) {
    repo.commit({
      branch,
      parents: [],
      message: `Initial ${branch}`,
      date: '2026-11-01T10:00:00Z',
      files: {
        'deploy/model.yaml': options.storage
          ? withStorage(version)
          : manifest(version),
        // Per-environment files: sealed with each cluster's own key.
        'secrets/db.sealed.yaml': `sealed for ${branch}\n`,
      },
    });
  }
  const backend = fakeBackend(
    options.live ?? [
      environmentStatus('dev', versions.dev),
      environmentStatus('staging', versions.staging),
      environmentStatus('production', versions.production),
    ],
  );
  server.use(
    ...repo.writeHandlers(),
    ...repo.handlers(),
    ...fakeMlflow('fraud-detector', [
      {
        version: '13',
        metrics: options.metrics ?? { auc: 0.95 },
        ...(options.status ? { status: options.status } : {}),
      },
    ]),
    backend.handler,
  );
  const action = createPromoteAction({ ...makeOptions(), discovery, auth });
  return { repo, action, backend };
}

/** A manifest with storage_uri after model_version. */
describe('ml-gitops:promote', () => {
  it("sets the target's storage_uri from the registry in the one commit, every other byte kept", async () => {
    const { repo, action } = setup({ storage: true });
    const { ctx } = makeContext(input);
    await action.handler(ctx);
    const { branch } = outputsOf(ctx) as { branch: string };
    const commit = repo.commits.get(repo.branches.get(branch)!)!;
    expect(commit.files['deploy/model.yaml']).toBe(withStorage('13'));
    expect(commit.files['secrets/db.sealed.yaml']).toBe(
      'sealed for production\n',
    );
    expect(commit.message).toContain(`storage_uri ${fakeSource('13')}`);
  });

  it('opens a labelled pull request from staging into production with reviewers', async () => {
    const { repo, action, backend } = setup();
    const { ctx } = makeContext({
      ...input,
      reviewers: ['alice', 'acme/ml-platform'],
    });
    await action.handler(ctx);

    const branch = 'ml-gitops/promote/production/13';
    expect(outputsOf(ctx)).toEqual({
      changeRequestUrl:
        'https://github.com/acme/fraud-detector-config/pull/101',
      number: 101,
      targetBranchName: 'production',
      pullRequestUrl: 'https://github.com/acme/fraud-detector-config/pull/101',
      pullRequestNumber: 101,
      branch,
    });
    // A value change cut from production's head: one commit that sets
    // model_version; staging's secrets stay staging's.
    const production = repo.branches.get('production')!;
    const commit = repo.commits.get(repo.branches.get(branch)!)!;
    expect(commit.parents).toEqual([production]);
    expect(commit.files).toEqual({
      ...repo.commits.get(production)!.files,
      'deploy/model.yaml': manifest('13'),
    });
    expect(commit.files['secrets/db.sealed.yaml']).toBe(
      'sealed for production\n',
    );
    const [pull] = repo.opened;
    expect(parseChangeRecord(pull.body)).toEqual({
      kind: 'promote',
      environment: 'production',
      from: '12',
      to: '13',
      sourceEnvironment: 'staging',
      sourceCommit: repo.branches.get('staging'),
      requestedBy: 'user:default/alice',
    });
    expect(pull).toMatchObject({
      title: 'Promote fraud-detector to production: 12 → 13',
      head: branch,
      base: 'production',
      labels: ['ml-gitops/promotion'],
      reviewers: ['alice'],
      teamReviewers: ['ml-platform'],
    });
    expect(pull.body).toContain('version `12` → `13`');
    expect(pull.body).toContain('| auc | 0.95 | >= 0.92 | passed |');
    expect(pull.body).toContain(
      '**staging live**: in-sync, Healthy, serving 13 (argocd fraud-detector-staging)',
    );
    expect(backend.requests[0].url).toBe(
      `${BACKEND_URL}/v1/deployments?entityRef=component%3Adefault%2Ffraud-detector`,
    );
    // Asked as the person who started the task, not as the scaffolder.
    expect(backend.requests[0].headers.get('authorization')).toBe(
      mockCredentials.service.header({
        onBehalfOf: mockCredentials.user(),
        targetPluginId: 'ml-gitops',
      }),
    );
  });

  it('defaults the target to the next environment', async () => {
    const { repo, action } = setup();
    const { ctx } = makeContext({
      entityRef: input.entityRef,
      sourceEnvironment: 'staging',
    });
    await action.handler(ctx);
    expect(repo.opened[0].base).toBe('production');
  });

  it('opens one pull request however often the task is retried', async () => {
    const { repo, action } = setup();
    let failOnce = true;
    server.use(
      http.post(
        'https://api.github.com/repos/acme/fraud-detector-config/issues/:n/labels',
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
    ).rejects.toThrow(/502/);
    await action.handler(makeContext(input, { checkpoints }).ctx);
    await action.handler(makeContext(input).ctx); // checkpoints lost
    expect(repo.opened).toHaveLength(1);
    expect(repo.opened[0].labels).toEqual(['ml-gitops/promotion']);
  });

  it('touches nothing in a dry run', async () => {
    const { repo, action } = setup();
    const { ctx, logs } = makeContext(input, { isDryRun: true });
    await action.handler(ctx);
    expect(repo.opened).toHaveLength(0);
    expect(logs.join('\n')).toContain(
      'Dry run: would commit model_version 13 on ml-gitops/promote/production/13',
    );
  });

  it.each([
    [
      'when nothing would change',
      { production: '13' },
      input,
      /staging and production both declare fraud-detector version 13; nothing to promote/,
    ],
    [
      'a target that does not follow the source',
      {},
      { ...input, sourceEnvironment: 'dev' },
      /dev promotes to staging, not production: promotion follows the order dev → staging → production/,
    ],
    [
      'promoting from the last environment',
      {},
      { entityRef: input.entityRef, sourceEnvironment: 'production' },
      /production is the last environment/,
    ],
    [
      'an unknown environment',
      {},
      { ...input, sourceEnvironment: 'qa' },
      /sourceEnvironment "qa" is not a configured environment/,
    ],
    [
      'a version failing the gate',
      { metrics: { auc: 0.5 } },
      input,
      /Refusing to promote fraud-detector 13 to production: the gate fails: auc 0.5 is below the minimum 0.92/,
    ],
    [
      'a source that is not in-sync',
      {
        live: [
          environmentStatus('staging', '13', { drift: 'drifted' }),
          environmentStatus('production', '12'),
        ],
      },
      input,
      /staging is drifted, not in-sync/,
    ],
    [
      'a source that is not healthy',
      {
        live: [
          environmentStatus('staging', '13', { health: 'Degraded' }),
          environmentStatus('production', '12'),
        ],
      },
      input,
      /staging is Degraded in argocd \(fraud-detector-staging\), not Healthy/,
    ],
    [
      'when the backend cannot tell, without allowUnverifiedSource',
      { live: 503 },
      input,
      /Cannot verify that staging is in-sync and healthy: the ml-gitops backend answered 503.*set allowUnverifiedSource: true/,
    ],
  ])('refuses %s', async (_what, setupOptions, bad, message) => {
    const { repo, action } = setup(setupOptions);
    await expect(action.handler(makeContext(bad).ctx)).rejects.toThrow(message);
    expect(repo.opened).toHaveLength(0);
  });

  it('promotes with allowUnverifiedSource when the backend is down, saying so', async () => {
    const { repo, action } = setup();
    server.use(
      http.get(`${BACKEND_URL}/v1/deployments`, () => HttpResponse.error()),
    );
    const { ctx } = makeContext({ ...input, allowUnverifiedSource: true });
    await action.handler(ctx);
    expect(repo.opened[0].body).toMatch(
      /\*\*staging live\*\*: not verified \(the ml-gitops backend is unreachable/,
    );
  });

  it('refuses a version MLflow has not registered, naming its state, even with force', async () => {
    const { repo, action } = setup({ status: 'PENDING_REGISTRATION' });
    const refused = action.handler(makeContext(input).ctx);
    await expect(refused).rejects.toThrow(
      'fraud-detector version 13 is PENDING_REGISTRATION, not READY: MLflow is still registering it; wait until it is READY and re-run',
    );
    const forced = action.handler(
      makeContext({ ...input, force: true, reason: 'urgent' }).ctx,
    );
    await expect(forced).rejects.toThrow(
      /force cannot override this: only a READY version has a model to serve/,
    );
    expect(repo.opened).toHaveLength(0);
  });

  it('overrides an unhealthy source with force and a reason', async () => {
    const { repo, action } = setup({
      live: [environmentStatus('staging', '13', { health: 'Degraded' })],
    });
    await action.handler(
      makeContext({
        ...input,
        force: true,
        reason: 'Degraded by a noisy probe',
      }).ctx,
    );
    expect(repo.opened[0].body).toContain('Reason: Degraded by a noisy probe');
  });
});

describe('ml-gitops:promote and canary analyses', () => {
  const run = {
    kind: 'argo-rollouts' as const,
    name: 'fraud-detector-predictor-7f8e9d6c5-6-1',
    namespace: 'ml-staging',
    cluster: 'main',
    version: '13',
    startedAt: '2026-11-27T09:00:01.000Z',
    finishedAt: '2026-11-27T09:05:02.000Z',
    metrics: [
      { name: 'error-rate', phase: 'failed' as const, value: '[0.031]' },
      { name: 'latency-p95', phase: 'successful' as const, value: '34.2' },
    ],
    observedAt: '2026-11-28T03:00:00.000Z',
  };
  const failed = {
    ...run,
    phase: 'failed' as const,
    sourcePhase: 'Failed',
    message:
      'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
  };
  const withCanary = (
    canary: NonNullable<Parameters<typeof environmentStatus>[2]>['canary'],
  ) =>
    setup({
      live: [
        environmentStatus('staging', '13', { canary }),
        environmentStatus('production', '12'),
      ],
    });

  it('refuses when the source analysis failed, naming the AnalysisRun and phase', async () => {
    const { repo, action } = withCanary(failed);
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      'Refusing to promote fraud-detector 13 to production: the canary analysis in staging has not succeeded: AnalysisRun ml-staging/fraud-detector-predictor-7f8e9d6c5-6-1 on cluster main (version 13) failed: Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1). Fix this, or set force: true with a reason to override.',
    );
    expect(repo.opened).toHaveLength(0);
  });

  it.each([
    [
      'inconclusive',
      { ...run, phase: 'inconclusive' as const, sourcePhase: 'Inconclusive' },
      /AnalysisRun ml-staging\/fraud-detector-predictor-7f8e9d6c5-6-1 on cluster main \(version 13\) was inconclusive/,
    ],
    [
      'running',
      {
        kind: 'kserve' as const,
        name: 'fraud-detector',
        namespace: 'ml-staging',
        cluster: 'main',
        phase: 'running' as const,
        trafficPercent: 20,
        revision: 'fraud-detector-predictor-00007',
        observedAt: '2026-11-28T03:00:00.000Z',
      },
      /the canary analysis in staging has not succeeded: InferenceService ml-staging\/fraud-detector on cluster main is running with 20% of the traffic/,
    ],
  ])(
    'refuses a source whose analysis is %s',
    async (_phase, canary, message) => {
      const { repo, action } = withCanary(canary);
      await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
        message,
      );
      expect(repo.opened).toHaveLength(0);
    },
  );

  it('promotes with force and a reason, the body stating the override and the analysis', async () => {
    const { repo, action } = withCanary(failed);
    const { ctx, logs } = makeContext({
      ...input,
      force: true,
      reason: 'error-rate alert fired on a probe outage',
    });
    await action.handler(ctx);
    const { body } = repo.opened[0];
    expect(body).toContain(
      '> The checks were overridden with `force: true`. Reason: error-rate alert fired on a probe outage',
    );
    expect(body).toContain(
      '> - the canary analysis in staging has not succeeded: AnalysisRun ml-staging/fraud-detector-predictor-7f8e9d6c5-6-1',
    );
    expect(body).toContain(
      '**staging canary analysis**: AnalysisRun ml-staging/fraud-detector-predictor-7f8e9d6c5-6-1 on cluster main (version 13) failed: Metric "error-rate" assessed Failed',
    );
    expect(body).toContain(
      '- started 2026-11-27T09:00:01.000Z, finished 2026-11-27T09:05:02.000Z',
    );
    expect(body).toContain('| error-rate | failed | \\[0.031\\] |');
    expect(body).toContain('| latency-p95 | successful | 34.2 |');
    expect(logs.join('\n')).toContain(
      'Overriding with force (reason: error-rate alert fired on a probe outage)',
    );
  });

  it('shows a successful analysis in the body', async () => {
    const { repo, action } = withCanary({
      ...run,
      phase: 'successful',
      sourcePhase: 'Successful',
      metrics: [{ name: 'error-rate', phase: 'successful', value: '[0.002]' }],
    });
    await action.handler(makeContext(input).ctx);
    const { body } = repo.opened[0];
    expect(body).not.toContain('[!WARNING]');
    expect(body).toContain(
      '**staging canary analysis**: AnalysisRun ml-staging/fraud-detector-predictor-7f8e9d6c5-6-1 on cluster main (version 13) succeeded',
    );
    expect(body).toContain('| error-rate | successful | \\[0.002\\] |');
  });

  it('does not let the failed analysis of another version block this one', async () => {
    const { repo, action } = withCanary({ ...failed, version: '12' });
    await action.handler(makeContext(input).ctx);
    expect(repo.opened[0].body).toContain(
      '**staging canary analysis**: AnalysisRun ml-staging/fraud-detector-predictor-7f8e9d6c5-6-1 on cluster main (version 12) failed',
    );
  });
});
