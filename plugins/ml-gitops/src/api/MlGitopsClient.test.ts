import { mockApis, registerMswTestHooks } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { MlGitopsClient } from './MlGitopsClient';
import { deployment, deployments, ENTITY_REF } from '../__testUtils__/fixtures';

const BASE = 'http://backstage.test/api/ml-gitops';

describe('MlGitopsClient', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const client = new MlGitopsClient({
    discoveryApi: mockApis.discovery({ baseUrl: 'http://backstage.test' }),
    fetchApi: { fetch: (input, init) => fetch(input, init) },
  });

  it('gets the deployments of an entity', async () => {
    const body = deployments();
    let url: URL | undefined;
    server.use(
      http.get(`${BASE}/v1/deployments`, ({ request }) => {
        url = new URL(request.url);
        return HttpResponse.json(body);
      }),
    );
    await expect(
      client.getDeployments({ entityRef: ENTITY_REF }),
    ).resolves.toEqual(body);
    expect(url?.searchParams.get('entityRef')).toBe(ENTITY_REF);
  });

  it('gets one page of history with limit and offset', async () => {
    let url: URL | undefined;
    server.use(
      http.get(`${BASE}/v1/history`, ({ request }) => {
        url = new URL(request.url);
        return HttpResponse.json({ items: [deployment(0)] });
      }),
    );
    const result = await client.getHistory({
      entityRef: ENTITY_REF,
      environment: 'production',
      limit: 50,
      offset: 100,
    });
    expect(result.items).toHaveLength(1);
    expect(Object.fromEntries(url!.searchParams)).toEqual({
      entityRef: ENTITY_REF,
      environment: 'production',
      limit: '50',
      offset: '100',
    });
  });

  it('leaves out an offset of zero', async () => {
    let url: URL | undefined;
    server.use(
      http.get(`${BASE}/v1/history`, ({ request }) => {
        url = new URL(request.url);
        return HttpResponse.json({ items: [] });
      }),
    );
    await client.getHistory({
      entityRef: ENTITY_REF,
      environment: 'dev',
      offset: 0,
    });
    expect(url!.searchParams.has('offset')).toBe(false);
    expect(url!.searchParams.has('limit')).toBe(false);
  });

  it('gets the fleet drift', async () => {
    server.use(
      http.get(`${BASE}/v1/drift`, () =>
        HttpResponse.json({
          items: [
            {
              entityRef: ENTITY_REF,
              environment: 'production',
              drift: { state: 'drifted', reason: 'live 11, Git 12' },
            },
          ],
        }),
      ),
    );
    const result = await client.getDrift();
    expect(result.items[0].drift.state).toBe('drifted');
  });

  it('gets a fleet page with cursor', async () => {
    let url: URL | undefined;
    server.use(
      http.get(`${BASE}/v1/fleet`, ({ request }) => {
        url = new URL(request.url);
        return HttpResponse.json({ items: [deployments()], nextCursor: 'abc' });
      }),
    );
    const result = await client.getFleet({ limit: 100, cursor: 'xyz' });
    expect(result.nextCursor).toBe('abc');
    expect(url!.searchParams.get('cursor')).toBe('xyz');
    expect(url!.searchParams.get('limit')).toBe('100');
  });

  it('posts a refresh', async () => {
    let body: unknown;
    server.use(
      http.post(`${BASE}/v1/refresh`, async ({ request }) => {
        body = await request.json();
        return new HttpResponse(null, { status: 202 });
      }),
    );
    await expect(
      client.refresh({ entityRef: ENTITY_REF }),
    ).resolves.toBeUndefined();
    expect(body).toEqual({ entityRef: ENTITY_REF });
  });

  it('turns a Backstage error body into a ResponseError', async () => {
    server.use(
      http.get(`${BASE}/v1/deployments`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotFoundError',
              message: 'No entity component:default/nope is tracked',
            },
            request: { method: 'GET', url: '/v1/deployments' },
            response: { statusCode: 404 },
          },
          { status: 404 },
        ),
      ),
    );
    const error = await client
      .getDeployments({ entityRef: 'component:default/nope' })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(404);
    expect(error.body.error.name).toBe('NotFoundError');
    expect(error.cause.message).toContain(
      'No entity component:default/nope is tracked',
    );
  });

  it('reports a failed refresh with its status', async () => {
    server.use(
      http.post(`${BASE}/v1/refresh`, () =>
        HttpResponse.json(
          {
            error: { name: 'NotAllowedError', message: 'Refresh not allowed' },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    const error = await client.refresh({ entityRef: ENTITY_REF }).catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(403);
    expect(error.cause.message).toContain('Refresh not allowed');
  });

  it('copes with an error that is not JSON', async () => {
    server.use(
      http.get(
        `${BASE}/v1/fleet`,
        () => new HttpResponse('Bad gateway', { status: 502 }),
      ),
    );
    const error = await client.getFleet().catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(502);
  });
});
