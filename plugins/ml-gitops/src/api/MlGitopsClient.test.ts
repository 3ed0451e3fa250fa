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

import { mockApis, registerMswTestHooks } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { MlGitopsClient } from './MlGitopsClient';
import { AUDIT_CSV_COLUMNS } from '@ml-gitops/plugin-ml-gitops-common';
import {
  auditDeployment,
  deployment,
  deployments,
  ENTITY_REF,
} from '../__testUtils__/fixtures';

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

  it('gets one page of the audit export with its cursor', async () => {
    let url: URL | undefined;
    const event = auditDeployment({ at: '2026-11-20T10:00:00.000Z' });
    server.use(
      http.get(`${BASE}/v1/audit/events`, ({ request }) => {
        url = new URL(request.url);
        return HttpResponse.json({
          from: '2026-11-01T00:00:00.000Z',
          to: '2026-12-01T00:00:00.000Z',
          items: [event],
          nextCursor: 'next-page',
        });
      }),
    );
    const page = await client.getAuditEvents({
      entityRef: ENTITY_REF,
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      limit: 1000,
      cursor: 'this-page',
    });
    expect(page.items).toEqual([event]);
    expect(page.nextCursor).toBe('next-page');
    expect(Object.fromEntries(url!.searchParams)).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      entityRef: ENTITY_REF,
      format: 'json',
      limit: '1000',
      cursor: 'this-page',
    });
  });

  describe('downloadAuditCsv', () => {
    // Backstage's fetchApi adds the user's token; this one does the same, so
    // the test sees that the download goes through it.
    const signedIn = new MlGitopsClient({
      discoveryApi: mockApis.discovery({ baseUrl: 'http://backstage.test' }),
      fetchApi: {
        fetch: (input, init) => {
          const headers = new Headers(init?.headers);
          headers.set('authorization', 'Bearer user-token');
          return fetch(input, { ...init, headers });
        },
      },
    });
    const header = `\uFEFF${AUDIT_CSV_COLUMNS.join(',')}\r\n`;

    it('downloads the CSV with the user token and the name the backend gives it', async () => {
      let url: URL | undefined;
      let authorization: string | null = null;
      const name =
        'ml-gitops-audit-2026-11-01T000000000Z-2026-12-01T000000000Z.csv';
      server.use(
        http.get(`${BASE}/v1/audit/events`, ({ request }) => {
          url = new URL(request.url);
          authorization = request.headers.get('authorization');
          // As the backend's auditRouter answers format=csv.
          return new HttpResponse(header, {
            headers: {
              'content-type': 'text/csv; charset=utf-8',
              'content-disposition': `attachment; filename="${name}"`,
            },
          });
        }),
      );
      const result = await signedIn.downloadAuditCsv({
        entityRef: ENTITY_REF,
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-12-01T00:00:00.000Z',
      });
      expect(authorization).toBe('Bearer user-token');
      expect(Object.fromEntries(url!.searchParams)).toEqual({
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-12-01T00:00:00.000Z',
        entityRef: ENTITY_REF,
        format: 'csv',
      });
      expect(result.fileName).toBe(name);
      // Byte for byte, the byte order mark included (text() would drop it).
      expect(
        Buffer.from(await result.blob.arrayBuffer()).toString('utf8'),
      ).toBe(header);
    });

    it('names the file itself when the header is missing', async () => {
      server.use(
        http.get(
          `${BASE}/v1/audit/events`,
          () =>
            new HttpResponse(header, {
              headers: { 'content-type': 'text/csv; charset=utf-8' },
            }),
        ),
      );
      const result = await signedIn.downloadAuditCsv({
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-12-01T00:00:00.000Z',
      });
      expect(result.fileName).toBe(
        'ml-gitops-audit-2026-11-01T000000000Z-2026-12-01T000000000Z.csv',
      );
    });

    it('reports a refusal as a ResponseError', async () => {
      server.use(
        http.get(`${BASE}/v1/audit/events`, () =>
          HttpResponse.json(
            {
              error: {
                name: 'InputError',
                message: 'from must be before to',
              },
              response: { statusCode: 400 },
            },
            { status: 400 },
          ),
        ),
      );
      const error = await signedIn
        .downloadAuditCsv({
          from: '2026-12-01T00:00:00.000Z',
          to: '2026-11-01T00:00:00.000Z',
        })
        .catch(e => e);
      expect(error).toBeInstanceOf(ResponseError);
      expect(error.statusCode).toBe(400);
      expect(error.cause.message).toContain('from must be before to');
    });
  });
});
