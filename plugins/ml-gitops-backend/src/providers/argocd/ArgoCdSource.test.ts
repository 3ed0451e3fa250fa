import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
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
});
