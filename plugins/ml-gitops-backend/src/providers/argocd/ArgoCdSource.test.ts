import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { withConfigRepoRevision } from '../../poller/MlGitopsPoller';
import { ArgoCdSource } from './ArgoCdSource';

const URL_ = 'https://argocd.example.com';

describe('ArgoCdSource', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  it('logs in once, reuses the session and renews it when Argo CD answers 401', async () => {
    const logins: unknown[] = [];
    let valid = 'session-1';
    let lists = 0;
    server.use(
      http.post(`${URL_}/api/v1/session`, async ({ request }) => {
        logins.push(await request.json());
        valid = `session-${logins.length}`;
        return HttpResponse.json({ token: valid });
      }),
      http.get(`${URL_}/api/v1/applications`, ({ request }) => {
        if (request.headers.get('authorization') !== `Bearer ${valid}`) {
          return HttpResponse.json(
            {
              error:
                'invalid session: token has invalid claims: token is expired',
              code: 16,
              message:
                'invalid session: token has invalid claims: token is expired',
            },
            { status: 401 },
          );
        }
        lists += 1;
        return HttpResponse.json({ metadata: {}, items: null });
      }),
    );
    const source = ArgoCdSource.fromConfig(
      {
        name: 'main',
        url: URL_,
        username: 'admin',
        password: 'pw',
        projects: ['ml'],
      },
      { logger: mockServices.logger.mock() },
    );
    await source.listObservations();
    await source.listObservations();
    expect(logins).toEqual([{ username: 'admin', password: 'pw' }]);
    // The session expires: the next call logs in again and succeeds.
    valid = 'expired-elsewhere';
    await expect(source.listObservations()).resolves.toEqual([]);
    expect(logins).toHaveLength(2);
    expect(lists).toBe(3);
  });

  it('says what to check when the credentials are refused', async () => {
    server.use(
      http.get(`${URL_}/api/v1/applications`, () =>
        HttpResponse.json(
          { error: 'permission denied', code: 7, message: 'permission denied' },
          { status: 403 },
        ),
      ),
    );
    const source = ArgoCdSource.fromConfig(
      { name: 'main', url: URL_, token: 'bad' },
      { logger: mockServices.logger.mock() },
    );
    await expect(source.listObservations()).rejects.toThrow(
      'Argo CD "main" answered 403 to /api/v1/applications: permission denied; check the token or credentials in mlGitops.argocd.instances',
    );
  });

  it('skips applications without the environment label', async () => {
    server.use(
      http.get(`${URL_}/api/v1/applications`, () =>
        HttpResponse.json({
          items: [
            {
              metadata: { name: 'lonely', labels: { 'ml-gitops/model': 'm' } },
              status: {},
            },
            {
              metadata: {
                name: 'm-dev',
                namespace: 'argocd',
                labels: {
                  'ml-gitops/model': 'm',
                  'ml-gitops/environment': 'dev',
                },
              },
              status: {
                sync: { status: 'OutOfSync', revision: 'abc1234' },
                health: { status: 'Progressing' },
                operationState: {
                  phase: 'Running',
                  startedAt: '2026-11-28T00:00:00Z',
                },
              },
            },
          ],
        }),
      ),
    );
    const source = ArgoCdSource.fromConfig(
      { name: 'main', url: URL_, token: 't' },
      { logger: mockServices.logger.mock() },
    );
    expect(await source.listObservations()).toEqual([
      {
        model: 'm',
        environment: 'dev',
        source: 'argocd',
        instance: 'main',
        application: 'm-dev',
        syncStatus: 'OutOfSync',
        healthStatus: 'Progressing',
        revision: 'abc1234',
        operationRunning: true,
        url: `${URL_}/applications/argocd/m-dev`,
      },
    ]);
  });

  const tokenSource = (timeoutMs?: number) =>
    ArgoCdSource.fromConfig(
      { name: 'main', url: URL_, token: 't' },
      { logger: mockServices.logger.mock(), timeoutMs },
    );

  it('reads the config repo revision of a multi-source application', async () => {
    const sources = [
      // The chart comes from a Helm repository: its revision is a chart version.
      {
        repoURL: 'https://charts.example.com/stable',
        chart: 'kserve-model',
        targetRevision: '1.4.2',
        helm: { valueFiles: ['$config/deploy/values.yaml'] },
      },
      // The config repo lends its values files through a ref …
      {
        repoURL: 'https://github.com/acme/fraud-detector-config.git',
        targetRevision: 'production',
        ref: 'config',
      },
      // … and renders the serving objects from a path.
      {
        repoURL: 'git@github.com:acme/fraud-detector-config.git',
        targetRevision: 'production',
        path: 'deploy/chart',
      },
    ];
    server.use(
      http.get(`${URL_}/api/v1/applications`, ({ request }) => {
        const fields = new URL(request.url).searchParams.get('fields')!;
        // The multi-source fields are asked for.
        expect(fields.split(',')).toEqual(
          expect.arrayContaining([
            'items.spec.sources',
            'items.status.sync.revisions',
            'items.status.operationState.syncResult.revisions',
          ]),
        );
        return HttpResponse.json({
          metadata: { resourceVersion: '4711' },
          items: [
            {
              metadata: {
                name: 'fraud-detector-production',
                namespace: 'argocd',
                labels: {
                  'ml-gitops/model': 'fraud-detector',
                  'ml-gitops/environment': 'production',
                },
              },
              spec: { project: 'ml', sources },
              status: {
                sync: {
                  status: 'Synced',
                  comparedTo: {
                    sources,
                    destination: {
                      server: 'https://kubernetes.default.svc',
                      namespace: 'models',
                    },
                  },
                  revisions: [
                    '1.4.2',
                    '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e',
                    '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e',
                  ],
                },
                health: { status: 'Healthy' },
                operationState: {
                  phase: 'Succeeded',
                  startedAt: '2026-11-27T10:00:00Z',
                  finishedAt: '2026-11-27T10:00:42Z',
                  syncResult: {
                    revisions: [
                      '1.4.2',
                      '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e',
                      '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e',
                    ],
                    sources,
                  },
                },
              },
            },
          ],
        });
      }),
    );
    const [observation] = await tokenSource().listObservations();
    // The chart version is never taken for a commit.
    expect(observation.revision).toBe(
      '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e',
    );
    expect(observation.revisions).toEqual([
      {
        repoUrl: 'https://github.com/acme/fraud-detector-config.git',
        revision: '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e',
      },
      {
        repoUrl: 'git@github.com:acme/fraud-detector-config.git',
        revision: '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e',
      },
    ]);
    expect(observation.lastSyncFinishedAt).toBe('2026-11-27T10:00:42.000Z');
  });

  it('pairs revisions with sources by position, and falls back to the last sync result', async () => {
    const sources = [
      {
        repoURL: 'https://github.com/acme/platform-charts',
        path: 'charts/kserve',
        targetRevision: 'main',
      },
      {
        repoURL: 'https://github.com/acme/fraud-detector-config',
        path: 'deploy/chart',
        targetRevision: 'dev',
      },
    ];
    server.use(
      http.get(`${URL_}/api/v1/applications`, () =>
        HttpResponse.json({
          items: [
            {
              metadata: {
                name: 'fraud-detector-dev',
                labels: {
                  'ml-gitops/model': 'fraud-detector',
                  'ml-gitops/environment': 'dev',
                },
              },
              spec: { sources },
              // A sync finished but the comparison has not run yet.
              status: {
                sync: { status: 'Unknown' },
                operationState: {
                  phase: 'Succeeded',
                  finishedAt: '2026-11-27T11:00:00Z',
                  syncResult: { revisions: ['aaaaaaa1', 'bbbbbbb2'] },
                },
              },
            },
          ],
        }),
      ),
    );
    const [observation] = await tokenSource().listObservations();
    expect(observation.revisions).toEqual([
      {
        repoUrl: 'https://github.com/acme/platform-charts',
        revision: 'aaaaaaa1',
      },
      {
        repoUrl: 'https://github.com/acme/fraud-detector-config',
        revision: 'bbbbbbb2',
      },
    ]);
    expect(observation.healthStatus).toBe('Unknown');
    // Without knowing the entity, the first Git source with a path is taken;
    // the poller then picks the entity's config repo.
    expect(observation.revision).toBe('aaaaaaa1');
    expect(
      withConfigRepoRevision(
        observation,
        'https://github.com/acme/fraud-detector-config',
      )?.revision,
    ).toBe('bbbbbbb2');
    expect(
      withConfigRepoRevision(observation, 'https://github.com/acme/other')
        ?.revision,
    ).toBe('aaaaaaa1');
  });

  it('reads a new application that has no status yet', async () => {
    server.use(
      http.get(`${URL_}/api/v1/applications`, () =>
        HttpResponse.json({
          items: [
            {
              metadata: {
                name: 'fraud-detector-staging',
                namespace: 'argocd',
                labels: {
                  'ml-gitops/model': 'fraud-detector',
                  'ml-gitops/environment': 'staging',
                },
              },
              spec: {
                source: {
                  repoURL: 'https://github.com/acme/fraud-detector-config',
                  path: 'deploy/chart',
                  targetRevision: 'staging',
                },
              },
            },
          ],
        }),
      ),
    );
    expect(await tokenSource().listObservations()).toEqual([
      {
        model: 'fraud-detector',
        environment: 'staging',
        source: 'argocd',
        instance: 'main',
        application: 'fraud-detector-staging',
        syncStatus: 'Unknown',
        healthStatus: 'Unknown',
        revision: '',
        operationRunning: false,
        url: `${URL_}/applications/argocd/fraud-detector-staging`,
      },
    ]);
  });

  it.each([
    [
      401,
      {
        error: 'no session information',
        code: 16,
        message: 'no session information',
      },
      'Argo CD "main" answered 401 to /api/v1/applications: no session information; check the token or credentials in mlGitops.argocd.instances',
    ],
    [
      404,
      { code: 5, message: 'Not Found' },
      'Argo CD "main" answered 404 to /api/v1/applications: Not Found; check that the url in mlGitops.argocd.instances points at the Argo CD API server',
    ],
    [
      500,
      {
        error: 'rpc error: code = Unavailable',
        code: 14,
        message: 'rpc error: code = Unavailable desc = connection refused',
      },
      'Argo CD "main" answered 500 to /api/v1/applications: rpc error: code = Unavailable desc = connection refused',
    ],
  ])(
    'names the instance and what to check when it answers %i',
    async (status, body, message) => {
      server.use(
        http.get(`${URL_}/api/v1/applications`, () =>
          HttpResponse.json(body, { status }),
        ),
      );
      await expect(tokenSource().listObservations()).rejects.toThrow(message);
    },
  );

  it('gives up after the request timeout', async () => {
    server.use(
      http.get(`${URL_}/api/v1/applications`, async () => {
        await delay(10_000);
        return HttpResponse.json({ items: [] });
      }),
    );
    const started = Date.now();
    await expect(tokenSource(100).listObservations()).rejects.toThrow(
      `Argo CD "main" at ${URL_} did not answer /api/v1/applications within 0.1 s (mlGitops.requestTimeout)`,
    );
    // The timeout cut it, not the 10 s answer.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('says so when the instance cannot be reached', async () => {
    server.use(
      http.get(`${URL_}/api/v1/applications`, () => HttpResponse.error()),
    );
    await expect(tokenSource().listObservations()).rejects.toThrow(
      `Argo CD "main" at ${URL_} is unreachable`,
    );
  });

  it('refuses an answer that is not JSON, e.g. a proxy login page', async () => {
    server.use(
      http.get(`${URL_}/api/v1/applications`, () =>
        HttpResponse.html(
          '<!DOCTYPE html><html><head><title>Sign in</title></head><body>SSO</body></html>',
        ),
      ),
    );
    await expect(tokenSource().listObservations()).rejects.toThrow(
      `Argo CD "main" at ${URL_} answered /api/v1/applications with something that is not JSON ("<!DOCTYPE html><html><head><title>Sign in</title></head><bod…"); check that the url in mlGitops.argocd.instances points at the Argo CD API server`,
    );
  });

  it('refuses JSON that is not an application list', async () => {
    server.use(
      http.get(`${URL_}/api/v1/applications`, () =>
        HttpResponse.json({ items: { name: 'fraud-detector-dev' } }),
      ),
    );
    await expect(tokenSource().listObservations()).rejects.toThrow(
      /Argo CD "main" at https:\/\/argocd\.example\.com answered \/api\/v1\/applications with JSON that is not an application list \(items: .+\); check that the url/,
    );
  });

  it('skips an application it cannot read and keeps the others', async () => {
    const logger = mockServices.logger.mock();
    server.use(
      http.get(`${URL_}/api/v1/applications`, () =>
        HttpResponse.json({
          items: [
            { metadata: { labels: { 'ml-gitops/model': 'broken' } } },
            {
              metadata: {
                name: 'churn-dev',
                labels: {
                  'ml-gitops/model': 'churn',
                  'ml-gitops/environment': 'dev',
                },
              },
              status: { sync: { status: 'Synced', revision: 'abcdef1' } },
            },
          ],
        }),
      ),
    );
    const source = ArgoCdSource.fromConfig(
      { name: 'main', url: URL_, token: 't' },
      { logger },
    );
    const observations = await source.listObservations();
    expect(observations.map(o => o.application)).toEqual(['churn-dev']);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Argo CD "main" sent an application that cannot be read \(items\[0\]\.metadata\.name: .+\); ignored$/,
      ),
    );
  });

  it('names the instance when the login answers with something else than a token', async () => {
    server.use(
      http.post(`${URL_}/api/v1/session`, () =>
        HttpResponse.text('upstream connect error', { status: 200 }),
      ),
    );
    const source = ArgoCdSource.fromConfig(
      { name: 'main', url: URL_, username: 'admin', password: 'pw' },
      { logger: mockServices.logger.mock() },
    );
    await expect(source.listObservations()).rejects.toThrow(
      `Argo CD "main" at ${URL_} answered /api/v1/session with something that is not JSON ("upstream connect error")`,
    );
  });
});
