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
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { selectApplicationListFields } from 'sandbox';
import { withConfigRepoRevision } from '../../poller/MlGitopsPoller';
import {
  argoCdApplication,
  argoCdListAnswer,
  argoCdVersionHandler,
} from '../../__testUtils__/argoCd';
import { bodyThatBreaksOff } from '../../__testUtils__/eventStreams';
import { application, LIST_FIELDS } from './applications';
import { parseArgoCdVersion } from './ArgoCdClient';
import type { FetchFn } from './ArgoCdClient';
import { ArgoCdSource } from './ArgoCdSource';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const URL_ = 'https://argocd.example.com';
const C_OLD = '3b1f0a9c2d4e5f60718293a4b5c6d7e8f9a0b1c2';
const C_NEW = '8f1c2e7a9b0d4c3e2f1a0b9c8d7e6f5a4b3c2d1e';

describe('ArgoCdSource', () => {
  const server = setupServer(argoCdVersionHandler(URL_));
  registerMswTestHooks(server);
  const contracts = registerContractChecks(server);

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

  const tokenSource = (timeoutMs?: number) =>
    ArgoCdSource.fromConfig(
      { name: 'main', url: URL_, token: 't' },
      { logger: mockServices.logger.mock(), timeoutMs },
    );

  it('asks only for keys of Argo CD’s field list, and not for a key below another', () => {
    const app = argoCdApplication({
      model: 'fraud-detector',
      environment: 'dev',
      revision: C_NEW,
      operation: {
        phase: 'Succeeded',
        startedAt: '2026-11-27T10:00:00Z',
        finishedAt: '2026-11-27T10:00:42Z',
      },
    });
    const asked = LIST_FIELDS.split(',');
    const unanswered = (version: '3.1' | '3.5') =>
      asked.filter(field => {
        const { items } = selectApplicationListFields(
          { metadata: {}, items: [app] },
          field,
          version,
        );
        return Object.keys(items![0]).length === 0;
      });
    // status.sync.revision exists from v3.5 on; before, it is simply absent.
    expect(unanswered('3.1')).toEqual(['items.status.sync.revision']);
    expect(unanswered('3.5')).toEqual([]);
    for (const field of asked) {
      expect(asked.filter(other => field.startsWith(`${other}.`))).toEqual([]);
    }
    // The whole selection is one the server can build.
    expect(() =>
      selectApplicationListFields(
        { metadata: {}, items: [app] },
        LIST_FIELDS,
        '3.5',
      ),
    ).not.toThrow();
  });

  it.each(['3.1', '3.5'] as const)(
    'reads health, sync and the synced revision from the list as Argo CD v%s answers it',
    async version => {
      const apps = [
        // Synced at the new commit.
        argoCdApplication({
          model: 'fraud-detector',
          environment: 'staging',
          revision: C_NEW,
          operation: {
            phase: 'Succeeded',
            startedAt: '2026-11-27T10:00:00Z',
            finishedAt: '2026-11-27T10:00:42Z',
          },
        }),
        // A new commit is compared (OutOfSync) while the cluster still runs
        // what the last sync applied.
        argoCdApplication({
          model: 'fraud-detector',
          environment: 'production',
          syncStatus: 'OutOfSync',
          healthStatus: 'Degraded',
          revision: C_NEW,
          operation: {
            phase: 'Succeeded',
            startedAt: '2026-11-26T10:00:00Z',
            finishedAt: '2026-11-26T10:01:00Z',
            revision: C_OLD,
          },
        }),
        // A sync is running: Argo CD writes its finishedAt as null.
        argoCdApplication({
          model: 'fraud-detector',
          environment: 'dev',
          syncStatus: 'OutOfSync',
          healthStatus: 'Progressing',
          revision: C_NEW,
          operation: { phase: 'Running', startedAt: '2026-11-28T00:00:00Z' },
        }),
        // Not ours to read: no environment label.
        {
          ...argoCdApplication({ model: 'm', environment: 'x' }),
          metadata: { name: 'lonely', labels: { 'ml-gitops/model': 'm' } },
        },
      ];
      // A running operation's finishedAt is a nil pointer on the server.
      (apps[2].status.operationState as Record<string, unknown>).finishedAt =
        null;
      const asked: string[] = [];
      server.use(
        http.get(`${URL_}/api/v1/applications`, ({ request }) => {
          asked.push(new URL(request.url).searchParams.get('fields')!);
          return argoCdListAnswer(request, apps, version);
        }),
      );
      const observations = await tokenSource().listObservations();
      expect(asked).toEqual([LIST_FIELDS]);
      expect(observations).toEqual([
        {
          model: 'fraud-detector',
          environment: 'staging',
          source: 'argocd',
          instance: 'main',
          application: 'fraud-detector-staging',
          syncStatus: 'Synced',
          healthStatus: 'Healthy',
          revision: C_NEW,
          operationRunning: false,
          lastSyncFinishedAt: '2026-11-27T10:00:42.000Z',
          url: `${URL_}/applications/argocd/fraud-detector-staging`,
        },
        {
          model: 'fraud-detector',
          environment: 'production',
          source: 'argocd',
          instance: 'main',
          application: 'fraud-detector-production',
          syncStatus: 'OutOfSync',
          healthStatus: 'Degraded',
          // what the last sync applied, not the compared commit
          revision: C_OLD,
          operationRunning: false,
          lastSyncFinishedAt: '2026-11-26T10:01:00.000Z',
          url: `${URL_}/applications/argocd/fraud-detector-production`,
        },
        {
          model: 'fraud-detector',
          environment: 'dev',
          source: 'argocd',
          instance: 'main',
          application: 'fraud-detector-dev',
          syncStatus: 'OutOfSync',
          healthStatus: 'Progressing',
          revision: C_NEW,
          operationRunning: true,
          url: `${URL_}/applications/argocd/fraud-detector-dev`,
        },
      ]);
    },
  );

  it('takes the compared revision of a Synced application when Argo CD reports it (v3.5)', async () => {
    // A commit that changed nothing rendered (a README) is Synced without a
    // sync operation: v3.5 reports it, v3.1 only the last sync's revision.
    const app = argoCdApplication({
      model: 'fraud-detector',
      environment: 'staging',
      revision: C_NEW,
      operation: {
        phase: 'Succeeded',
        startedAt: '2026-11-27T10:00:00Z',
        finishedAt: '2026-11-27T10:00:42Z',
        revision: C_OLD,
      },
    });
    for (const [version, expected] of [
      ['3.5', C_NEW],
      ['3.1', C_OLD],
    ] as const) {
      server.use(
        http.get(`${URL_}/api/v1/applications`, ({ request }) =>
          argoCdListAnswer(request, [app], version),
        ),
      );
      const [observation] = await tokenSource().listObservations();
      expect([version, observation.revision]).toEqual([version, expected]);
    }
  });

  it('reads the config repo revision of a multi-source application from its last sync', async () => {
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
    const app = argoCdApplication({
      model: 'fraud-detector',
      environment: 'production',
      sources,
      revisions: ['1.4.2', C_NEW, C_NEW],
      operation: {
        phase: 'Succeeded',
        startedAt: '2026-11-27T10:00:00Z',
        finishedAt: '2026-11-27T10:00:42Z',
      },
    });
    server.use(
      argoCdVersionHandler(URL_),
      http.get(`${URL_}/api/v1/applications`, ({ request }) =>
        argoCdListAnswer(request, [app], '3.5'),
      ),
    );
    const [observation] = await tokenSource().listObservations();
    // The chart version is never taken for a commit.
    expect(observation.revision).toBe(C_NEW);
    expect(observation.revisions).toEqual([
      {
        repoUrl: 'https://github.com/acme/fraud-detector-config.git',
        revision: C_NEW,
      },
      {
        repoUrl: 'git@github.com:acme/fraud-detector-config.git',
        revision: C_NEW,
      },
    ]);
    expect(observation.lastSyncFinishedAt).toBe('2026-11-27T10:00:42.000Z');
  });

  it('pairs revisions with sources by position, and picks the entity’s config repo', async () => {
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
    const app = argoCdApplication({
      model: 'fraud-detector',
      environment: 'dev',
      sources,
      syncStatus: 'Unknown',
      healthStatus: 'Unknown',
      operation: {
        phase: 'Succeeded',
        startedAt: '2026-11-27T10:59:00Z',
        finishedAt: '2026-11-27T11:00:00Z',
        revisions: ['aaaaaaa1', 'bbbbbbb2'],
      },
    });
    server.use(
      argoCdVersionHandler(URL_),
      http.get(`${URL_}/api/v1/applications`, ({ request }) =>
        argoCdListAnswer(request, [app]),
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

  describe('refresh', () => {
    const app = argoCdApplication({
      model: 'fraud-detector',
      environment: 'dev',
      namespace: 'team-fraud',
      project: 'fraud',
      revision: C_NEW,
    });
    const listed = () =>
      http.get(`${URL_}/api/v1/applications`, ({ request }) =>
        argoCdListAnswer(request, [app]),
      );

    it('names the application’s namespace and project, so Argo CD can find it', async () => {
      const asked: string[] = [];
      server.use(
        listed(),
        http.get(`${URL_}/api/v1/applications/:name`, ({ request, params }) => {
          asked.push(`${params.name}${new URL(request.url).search}`);
          return HttpResponse.json(app);
        }),
      );
      const source = tokenSource();
      const [observation] = await source.listObservations();
      await source.requestRefresh(observation);
      expect(asked).toEqual([
        'fraud-detector-dev?refresh=normal&appNamespace=team-fraud&project=fraud',
      ]);
    });

    it('says which RBAC rule is missing when Argo CD answers 403', async () => {
      server.use(
        listed(),
        http.get(`${URL_}/api/v1/applications/:name`, () =>
          HttpResponse.json(
            {
              error: 'permission denied',
              code: 7,
              message: 'permission denied',
            },
            { status: 403 },
          ),
        ),
      );
      const source = tokenSource();
      const [observation] = await source.listObservations();
      await expect(source.requestRefresh(observation)).rejects.toThrow(
        'Argo CD "main" answered 403 to /api/v1/applications/fraud-detector-dev: permission denied; the Argo CD account of mlGitops.argocd.instances needs "applications, get" on project fraud of fraud-detector-dev (RBAC policy: p, <account>, applications, get, fraud/*, allow)',
      );
    });

    it('does not wait for Argo CD to finish refreshing', async () => {
      const logger = mockServices.logger.mock();
      let answered = false;
      server.use(
        listed(),
        // Argo CD holds the answer until its controller has refreshed.
        http.get(`${URL_}/api/v1/applications/:name`, async () => {
          await delay(20_000);
          answered = true;
          return HttpResponse.json(app);
        }),
      );
      const source = ArgoCdSource.fromConfig(
        { name: 'main', url: URL_, token: 't' },
        { logger },
      );
      const [observation] = await source.listObservations();
      const started = Date.now();
      await expect(source.requestRefresh(observation)).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(answered).toBe(false);
      expect(logger.debug).toHaveBeenCalledWith(
        'Argo CD "main" is still refreshing fraud-detector-dev; not waiting for it',
      );
    });
  });

  describe('version', () => {
    it('logs the version once and warns when it is older than v2.6', async () => {
      for (const [version, level] of [
        ['v3.5.1+0a1b2c3', 'info'],
        ['v2.5.22+1d2e3f4', 'warn'],
      ] as const) {
        const logger = mockServices.logger.mock();
        server.use(
          argoCdVersionHandler(URL_, version),
          http.get(`${URL_}/api/v1/applications`, ({ request }) =>
            argoCdListAnswer(request, []),
          ),
        );
        const source = ArgoCdSource.fromConfig(
          { name: 'main', url: URL_, token: 't' },
          { logger },
        );
        await source.listObservations();
        await source.listObservations();
        expect(logger[level]).toHaveBeenCalledTimes(1);
        expect(logger[level]).toHaveBeenCalledWith(
          level === 'info'
            ? `Argo CD "main" at ${URL_} runs ${version}`
            : `Argo CD "main" at ${URL_} runs ${version}; ML GitOps supports Argo CD v2.6 and later (it reads health and the synced revision from list fields older releases do not have); upgrade Argo CD`,
        );
      }
    });

    it('lists without it when /api/version cannot be read', async () => {
      server.use(
        http.get(`${URL_}/api/version`, () => HttpResponse.error()),
        http.get(`${URL_}/api/v1/applications`, ({ request }) =>
          argoCdListAnswer(request, []),
        ),
      );
      await expect(tokenSource().listObservations()).resolves.toEqual([]);
    });

    it.each([
      ['v3.1.9+8665140', { major: 3, minor: 1 }],
      ['2.14.0', { major: 2, minor: 14 }],
      ['unknown', undefined],
      [42, undefined],
    ])('parses %p', (input, expected) => {
      expect(parseArgoCdVersion(input)).toEqual(expected);
    });
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

  it('says so when the list breaks off halfway through its answer', async () => {
    // msw clones every answer it serves, and a clone of a body that fails
    // fails the test; so this answer comes from the fetch itself. The other
    // requests (the version) still go to msw.
    const brokenList: FetchFn = async (input, init) => {
      if (!String(input).includes('/api/v1/applications?')) {
        return fetch(input, init);
      }
      return new Response(
        bodyThatBreaksOff(
          '{"metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"a"}},',
        ),
        { headers: { 'content-type': 'application/json' } },
      );
    };
    const source = ArgoCdSource.fromConfig(
      { name: 'main', url: URL_, token: 't' },
      { logger: mockServices.logger.mock(), fetch: brokenList },
    );
    await expect(source.listObservations()).rejects.toThrow(
      `Argo CD "main" at ${URL_} broke off its answer to /api/v1/applications: connection reset`,
    );
  });

  it('refuses JSON that is not an application list', async () => {
    contracts.deliberatelyBroken();
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

  it('reads again only the applications whose listed text changed since the last list', async () => {
    const logger = mockServices.logger.mock();
    const app = (name: string, health: string) => ({
      metadata: {
        name,
        namespace: 'argocd',
        labels: { 'ml-gitops/model': name, 'ml-gitops/environment': 'dev' },
      },
      spec: { project: 'ml' },
      status: {
        sync: { status: 'Synced', revision: C_OLD },
        health: { status: health },
      },
    });
    let items: unknown[] = [
      app('churn-dev', 'Healthy'),
      app('fraud-dev', 'Healthy'),
      { metadata: { labels: { 'ml-gitops/model': 'broken' } } },
    ];
    server.use(
      http.get(`${URL_}/api/v1/applications`, () =>
        HttpResponse.json({ items }),
      ),
    );
    const source = ArgoCdSource.fromConfig(
      { name: 'main', url: URL_, token: 't' },
      { logger },
    );
    const parse = jest.spyOn(application, 'safeParse');
    try {
      const first = await source.listObservations();
      expect(parse).toHaveBeenCalledTimes(3);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      // Known by the digest of their text: a text cut out of the answer
      // would keep the answer's whole chunk alive.
      const keys = [
        ...(
          source as unknown as { listed: Map<string, unknown> }
        ).listed.keys(),
      ];
      expect(keys).toHaveLength(2);
      for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);

      items = [
        app('churn-dev', 'Healthy'),
        app('fraud-dev', 'Degraded'),
        items[2],
      ];
      parse.mockClear();
      const second = await source.listObservations();
      // The changed application and the unreadable one (warned again).
      expect(parse).toHaveBeenCalledTimes(2);
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(second.map(o => [o.application, o.healthStatus])).toEqual([
        ['churn-dev', 'Healthy'],
        ['fraud-dev', 'Degraded'],
      ]);
      expect(second[0]).toBe(first[0]);

      // Back to the first text: it was forgotten with the list that dropped it.
      items = [app('churn-dev', 'Healthy'), app('fraud-dev', 'Healthy')];
      parse.mockClear();
      const third = await source.listObservations();
      expect(parse).toHaveBeenCalledTimes(1);
      expect(third).toEqual(first);
    } finally {
      parse.mockRestore();
    }
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
