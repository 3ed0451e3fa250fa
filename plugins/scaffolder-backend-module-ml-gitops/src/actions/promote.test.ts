import { registerMswTestHooks } from '@backstage/backend-test-utils';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
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
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createPromoteAction } from './promote';

const server = setupServer();
registerMswTestHooks(server);

const input = {
  entityRef: 'component:default/fraud-detector',
  sourceEnvironment: 'staging',
  targetEnvironment: 'production',
};

function setup(
  options: {
    staging?: string;
    production?: string;
    metrics?: Record<string, number>;
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
      files: { 'deploy/model.yaml': manifest(version) },
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
      { version: '13', metrics: options.metrics ?? { auc: 0.95 } },
    ]),
    backend.handler,
  );
  const action = createPromoteAction({ ...makeOptions(), discovery, auth });
  return { repo, action, backend };
}

describe('ml-gitops:promote', () => {
  it('opens a labelled pull request from staging into production with reviewers', async () => {
    const { repo, action, backend } = setup();
    const { ctx } = makeContext({
      ...input,
      reviewers: ['alice', 'acme/ml-platform'],
    });
    await action.handler(ctx);

    expect(outputsOf(ctx)).toEqual({
      pullRequestUrl: 'https://github.com/acme/fraud-detector-config/pull/101',
      pullRequestNumber: 101,
    });
    const [pull] = repo.opened;
    expect(pull).toMatchObject({
      title: 'Promote fraud-detector to production: 12 → 13',
      head: 'staging',
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
    expect(backend.requests[0].headers.get('authorization')).toMatch(
      /^Bearer /,
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
      'Dry run: would open "Promote fraud-detector to production: 12 → 13" (head staging, base production)',
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
