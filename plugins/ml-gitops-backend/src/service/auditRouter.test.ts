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
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  AUDIT_CSV_COLUMNS,
  AuditEvent,
  Deployment,
} from '@ml-gitops/plugin-ml-gitops-common';
import express from 'express';
import request from 'supertest';
import { modelEntity } from '../__testUtils__/modelEntity';
import { DatabaseMlGitopsStore } from '../database/DatabaseMlGitopsStore';
import { MlGitopsStore } from '../database/MlGitopsStore';
import { createAuditRouter } from './auditRouter';
import { createRouter } from './router';

const ALLOWED = 'component:default/fraud-detector';
const DENIED = 'component:default/churn-predictor';
/** Readable, in the catalog, nothing recorded yet. */
const NEW = 'component:default/new-model';
/** Readable, in no catalog. */
const GHOST = 'component:default/fraud-detectr';
const READABLE = [ALLOWED, NEW, GHOST];
const ENVIRONMENTS = ['dev', 'staging', 'production'];
const NOW = new Date('2026-12-01T00:00:00.000Z');

/** Allows the fraud detector and denies the churn predictor; records asks. */
class PerEntityPermissions implements PermissionsService {
  readonly asked: string[][] = [];

  async authorize(requests: AuthorizePermissionRequest[]) {
    this.asked.push(
      requests.map(r =>
        'resourceRef' in r
          ? `${r.permission.name} ${r.resourceRef}`
          : r.permission.name,
      ),
    );
    return requests.map(r => ({
      result:
        isResourcePermission(r.permission) &&
        'resourceRef' in r &&
        READABLE.includes(r.resourceRef ?? '')
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    })) as Awaited<ReturnType<PermissionsService['authorize']>>;
  }

  async authorizeConditional(): Promise<never> {
    throw new Error('the audit routes are not expected to ask for conditions');
  }
}

function deployment(
  environment: string,
  version: string,
  committedAt: string,
  more: Partial<Deployment> = {},
): Deployment {
  return {
    environment,
    version,
    commit: `${environment}-${version}-`.padEnd(40, '0'),
    author: 'ada',
    committedAt,
    kind: 'deploy',
    ...more,
  };
}

/** Minute `i` of Nov 10, 2026. */
const minute = (i: number) =>
  new Date(Date.parse('2026-11-10T00:00:00.000Z') + i * 60_000).toISOString();

/** A minimal RFC 4180 reader: fields, quotes doubled inside quotes, CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  expect(field).toBe('');
  expect(record).toEqual([]);
  return records;
}

describe('audit routes', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup(options: { pageSize?: number } = {}) {
    const knex = await databases.init('SQLITE_3');
    const store = await DatabaseMlGitopsStore.create({
      database: { getClient: async () => knex },
    });
    const reads: { method: string; limit: number }[] = [];
    // The store as the router sees it, counting the export's page reads.
    const counted: MlGitopsStore = Object.create(store);
    counted.listDeploymentEvents = async q => {
      reads.push({ method: 'deployments', limit: q.limit });
      return store.listDeploymentEvents(q);
    };
    counted.listDriftEvents = async q => {
      reads.push({ method: 'drift', limit: q.limit });
      return store.listDriftEvents(q);
    };
    const permissions = new PerEntityPermissions();
    const router = await createAuditRouter({
      logger: mockServices.logger.mock(),
      httpAuth: mockServices.httpAuth(),
      permissions,
      catalog: catalogServiceMock({
        entities: [
          modelEntity('fraud-detector'),
          modelEntity('churn-predictor'),
          modelEntity('new-model'),
        ],
      }),
      store: counted,
      environments: ENVIRONMENTS,
      exportPageSize: options.pageSize,
      now: () => NOW,
    });
    const middleware = MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    });
    const app = express().use(router).use(middleware.error());
    return { app, store, permissions, reads };
  }

  async function recordBoth(store: DatabaseMlGitopsStore) {
    for (const ref of [ALLOWED, DENIED]) {
      await store.recordDeployments(ref, [
        deployment('production', '7', '2026-11-01T10:00:00.000Z'),
      ]);
      await store.markServing(
        ref,
        'production',
        '7',
        '2026-11-01T10:02:00.000Z',
      );
    }
  }

  describe('GET /v1/audit/state', () => {
    it('answers for the models the caller may read, asking in one batch', async () => {
      const { app, store, permissions } = await setup();
      await recordBoth(store);
      const res = await request(app).get(
        '/v1/audit/state?at=2026-11-02T00:00:00Z',
      );
      expect(res.status).toBe(200);
      expect(res.body.at).toBe('2026-11-02T00:00:00.000Z');
      expect(
        res.body.items.map(
          (i: { entityRef: string; environment: string }) =>
            `${i.entityRef} ${i.environment}`,
        ),
      ).toEqual(ENVIRONMENTS.map(e => `${ALLOWED} ${e}`));
      expect(res.body.items[2]).toEqual({
        entityRef: ALLOWED,
        environment: 'production',
        declared: expect.objectContaining({
          version: '7',
          committedAt: '2026-11-01T10:00:00.000Z',
        }),
        serving: { version: '7', since: '2026-11-01T10:02:00.000Z' },
        certain: true,
      });
      expect(permissions.asked).toEqual([
        [
          `ml-gitops.deployment.read ${DENIED}`,
          `ml-gitops.deployment.read ${ALLOWED}`,
        ],
      ]);
      expect(res.body.nextCursor).toBeUndefined();
    });

    it('pages the fleet with a sealed cursor', async () => {
      const { app, store } = await setup();
      await recordBoth(store);
      const first = await request(app).get(
        '/v1/audit/state?at=2026-11-02T00:00:00Z&limit=1',
      );
      // The first model (churn) is not readable: an empty page that leads on.
      expect(first.body).toEqual({
        at: '2026-11-02T00:00:00.000Z',
        items: [],
        nextCursor: expect.any(String),
      });
      expect(first.body.nextCursor).not.toContain('churn');
      const second = await request(app).get(
        `/v1/audit/state?at=2026-11-02T00:00:00Z&limit=1&cursor=${encodeURIComponent(
          first.body.nextCursor,
        )}`,
      );
      expect(second.body.items).toHaveLength(3);
      expect(second.body.nextCursor).toBeUndefined();
    });

    it('answers for one model, refuses the denied one and says what is unknown', async () => {
      const { app, store } = await setup();
      await recordBoth(store);
      const one = await request(app).get(
        `/v1/audit/state?at=2026-11-02T00:00:00Z&entityRef=${ALLOWED}`,
      );
      expect(one.status).toBe(200);
      expect(one.body.items).toHaveLength(3);

      const denied = await request(app).get(
        `/v1/audit/state?at=2026-11-02T00:00:00Z&entityRef=${DENIED}`,
      );
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toBe(
        `You are not allowed to read the deployments of ${DENIED}`,
      );

      const fresh = await request(app).get(
        `/v1/audit/state?at=2026-11-02T00:00:00Z&entityRef=${NEW}`,
      );
      expect(fresh.status).toBe(200);
      expect(fresh.body.items[0]).toEqual({
        entityRef: NEW,
        environment: 'dev',
        declared: null,
        serving: null,
        certain: false,
        note: 'Nothing is recorded for this environment: no deployment was read from Git and no version was seen serving',
      });

      const unknown = await request(app).get(
        `/v1/audit/state?at=2026-11-02T00:00:00Z&entityRef=${GHOST}`,
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toBe(
        `No entity ${GHOST} in the catalog`,
      );
    });

    it('refuses a time that is not ISO 8601 with a zone, or in the future', async () => {
      const { app } = await setup();
      for (const [at, message] of [
        [
          'yesterday',
          'at: at must be an ISO 8601 time with a zone, e.g. 2026-11-28T10:00:00Z, not "yesterday"',
        ],
        [
          '2026-11-02T10:00:00',
          'at: at must be an ISO 8601 time with a zone, e.g. 2026-11-28T10:00:00Z, not "2026-11-02T10:00:00"',
        ],
        [
          '2027-01-01T00:00:00Z',
          'at 2027-01-01T00:00:00.000Z is in the future; the audit answers for past instants',
        ],
      ]) {
        const res = await request(app).get(
          `/v1/audit/state?at=${encodeURIComponent(at)}`,
        );
        expect(res.status).toBe(400);
        expect(res.body.error.message).toBe(message);
      }
      const missing = await request(app).get('/v1/audit/state');
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toContain('at is required');
    });

    it('reads a date with an offset as the instant it names', async () => {
      const { app } = await setup();
      const res = await request(app).get(
        `/v1/audit/state?at=${encodeURIComponent('2026-11-02T01:00:00+01:00')}`,
      );
      expect(res.body.at).toBe('2026-11-02T00:00:00.000Z');
    });
  });

  describe('GET /v1/audit/events', () => {
    it('pages JSON with a cursor bound to its query, and leaves out denied models', async () => {
      const { app, store, permissions } = await setup();
      for (let i = 0; i < 5; i++) {
        await store.recordDeployments(ALLOWED, [
          deployment('dev', `${i}`, minute(i)),
        ]);
        await store.recordDeployments(DENIED, [
          deployment('dev', `${i}`, minute(i)),
        ]);
      }
      const base = `/v1/audit/events?from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00Z&limit=3`;
      const versions: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await request(app).get(
          `${base}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.status).toBe(200);
        pages++;
        for (const e of res.body.items as AuditEvent[]) {
          expect(e.entityRef).toBe(ALLOWED);
          versions.push(e.type === 'deployment' ? e.version : e.type);
        }
        cursor = res.body.nextCursor;
      } while (cursor);
      // 10 events in pages of 3: 4 pages, the denied model's filtered out.
      expect(pages).toBe(4);
      expect(versions).toEqual(['0', '1', '2', '3', '4']);
      // Each model asked about once per page at most, in one batch.
      for (const batch of permissions.asked) {
        expect(new Set(batch).size).toBe(batch.length);
      }
      expect(permissions.asked).toHaveLength(4);

      const first = await request(app).get(base);
      const other = await request(app).get(
        `/v1/audit/events?from=2026-11-09T00:00:00Z&to=2026-11-11T00:00:00Z&limit=3&cursor=${encodeURIComponent(
          first.body.nextCursor,
        )}`,
      );
      expect(other.status).toBe(400);
      expect(other.body.error.message).toBe(
        'cursor belongs to another query: pass the same from, to and entityRef as the request that gave it',
      );
    });

    it('refuses a range that is empty or not ISO 8601, and an unknown format', async () => {
      const { app } = await setup();
      const backwards = await request(app).get(
        '/v1/audit/events?from=2026-11-11T00:00:00Z&to=2026-11-10T00:00:00Z',
      );
      expect(backwards.status).toBe(400);
      expect(backwards.body.error.message).toBe('from must be before to');
      const format = await request(app).get(
        '/v1/audit/events?from=2026-11-10&to=2026-11-11&format=xlsx',
      );
      expect(format.status).toBe(400);
      expect(format.body.error.message).toBe(
        'format: format must be json or csv',
      );
      const denied = await request(app).get(
        `/v1/audit/events?from=2026-11-10&to=2026-11-11&entityRef=${DENIED}&format=csv`,
      );
      expect(denied.status).toBe(403);
    });

    it('writes CSV that a spreadsheet opens safely: RFC 4180 quoting, formulas neutralised', async () => {
      const { app, store } = await setup();
      await store.recordDeployments(ALLOWED, [
        deployment('production', '8', '2026-11-10T09:00:00.000Z', {
          kind: 'rollback',
          previousVersion: '9',
          author: '=HYPERLINK("https://evil.example","x")',
          reason: 'latency, "p95" up\r\nsee incident 4711',
          pullRequest: {
            number: 12,
            url: 'https://github.com/acme/fraud-detector-config/pull/12',
            mergedBy: '@ops',
            reviewers: ['+grace', 'margaret'],
          },
        }),
      ]);
      await store.recordDeploymentChecks(
        ALLOWED,
        'production',
        'production-8-'.padEnd(40, '0'),
        {
          checkedAt: '2026-11-10T09:00:30.000Z',
          registry: {
            exists: true,
            gate: 'passed',
            metrics: { latency_p95_ms: 31, auc: 0.95 },
            registeredAt: '2026-11-09T16:00:00.000Z',
          },
          frozen: { reason: '-incident', until: '2026-12-24T00:00:00Z' },
        },
      );
      await store.openDriftEpisode({
        entityRef: ALLOWED,
        environment: 'staging',
        startedAt: '2026-11-10T10:00:00.000Z',
        reason: '\tlive version 3',
      });
      const res = await request(app)
        .get(
          `/v1/audit/events?from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00Z&entityRef=${ALLOWED}&format=csv`,
        )
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (chunk: string) => {
            text += chunk;
          });
          r.on('end', () => done(null, text));
        });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        'attachment; filename="ml-gitops-audit-2026-11-10T000000000Z-2026-11-11T000000000Z.csv"',
      );
      const text = res.body as string;
      expect(text.startsWith('\uFEFF')).toBe(true);
      const [header, rollback, drift, ...rest] = parseCsv(text.slice(1));
      expect(rest).toEqual([]);
      expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
      const row = (values: string[]) =>
        Object.fromEntries(header.map((h, i) => [h, values[i]]));
      expect(row(rollback)).toEqual({
        type: 'deployment',
        entity_ref: ALLOWED,
        environment: 'production',
        at: '2026-11-10T09:00:00.000Z',
        kind: 'rollback',
        version: '8',
        previous_version: '9',
        commit: 'production-8-'.padEnd(40, '0'),
        author: `'=HYPERLINK("https://evil.example","x")`,
        pull_request: '12',
        pull_request_url:
          'https://github.com/acme/fraud-detector-config/pull/12',
        merged_by: "'@ops",
        approvers: "'+grace; margaret",
        merged_at: '2026-11-10T09:00:00.000Z',
        serving_at: '',
        time_to_serve_seconds: '',
        reason: 'latency, "p95" up\r\nsee incident 4711',
        gate: 'passed',
        metrics: 'auc=0.95; latency_p95_ms=31',
        registered_at: '2026-11-09T16:00:00.000Z',
        rejected: '',
        frozen: "'-incident (until 2026-12-24T00:00:00Z)",
        checked_at: '2026-11-10T09:00:30.000Z',
        drift_started_at: '',
        drift_ended_at: '',
      });
      expect(row(drift)).toMatchObject({
        type: 'drift',
        environment: 'staging',
        at: '2026-11-10T10:00:00.000Z',
        reason: "'\tlive version 3",
        drift_started_at: '2026-11-10T10:00:00.000Z',
        drift_ended_at: '',
      });
      // The raw text: the author's quotes doubled inside a quoted field.
      expect(text).toContain(`,"'=HYPERLINK(""https://evil.example"",""x"")",`);
    });

    it('streams a big range as CSV reading the store page by page', async () => {
      const { app, store, reads } = await setup({ pageSize: 100 });
      const all: Deployment[] = [];
      for (let i = 0; i < 2500; i++) {
        all.push(deployment('dev', `${i}`, minute(i)));
      }
      await store.recordDeployments(ALLOWED, all);
      await store.recordDeployments(DENIED, all.slice(0, 500));
      const res = await request(app)
        .get(
          '/v1/audit/events?from=2026-11-10T00:00:00Z&to=2026-11-20T00:00:00Z&format=csv',
        )
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          let chunks = 0;
          r.setEncoding('utf8');
          r.on('data', (chunk: string) => {
            chunks++;
            text += chunk;
          });
          r.on('end', () => done(null, { text, chunks }));
        });
      expect(res.status).toBe(200);
      const { text, chunks } = res.body as { text: string; chunks: number };
      const records = parseCsv(text.slice(1));
      // Header, then the allowed model's 2500 deployments in time order.
      expect(records).toHaveLength(2501);
      expect(records.slice(1).map(r => r[5])).toEqual(all.map(d => d.version));
      expect(records.slice(1).every(r => r[1] === ALLOWED)).toBe(true);
      // 3000 events read 100 at a time (+1 to know there is more): never
      // the whole range in one read, and sent as it was read.
      const deploymentReads = reads.filter(r => r.method === 'deployments');
      expect(deploymentReads.length).toBeGreaterThanOrEqual(30);
      expect(Math.max(...reads.map(r => r.limit))).toBe(101);
      expect(chunks).toBeGreaterThan(1);
    });
  });

  describe('GET /v1/drift/episodes', () => {
    it('lists the episodes of a readable model, by environment', async () => {
      const { app, store } = await setup();
      await store.openDriftEpisode({
        entityRef: ALLOWED,
        environment: 'production',
        startedAt: '2026-11-03T08:00:00.000Z',
        reason: 'live version 9 differs from the declared 11',
      });
      await store.closeDriftEpisode(
        ALLOWED,
        'production',
        '2026-11-03T09:00:00.000Z',
      );
      await store.openDriftEpisode({
        entityRef: ALLOWED,
        environment: 'staging',
        startedAt: '2026-11-04T08:00:00.000Z',
        reason: 'out of sync',
      });
      const res = await request(app).get(
        `/v1/drift/episodes?entityRef=${ALLOWED}&environment=production`,
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        items: [
          {
            entityRef: ALLOWED,
            environment: 'production',
            startedAt: '2026-11-03T08:00:00.000Z',
            endedAt: '2026-11-03T09:00:00.000Z',
            reason: 'live version 9 differs from the declared 11',
          },
        ],
      });
      const all = await request(app).get(
        `/v1/drift/episodes?entityRef=${ALLOWED}`,
      );
      expect(
        all.body.items.map((e: { environment: string }) => e.environment),
      ).toEqual(['staging', 'production']);
    });

    it('refuses a denied model, a missing entity ref and an unknown environment', async () => {
      const { app } = await setup();
      const denied = await request(app).get(
        `/v1/drift/episodes?entityRef=${DENIED}`,
      );
      expect(denied.status).toBe(403);
      const missing = await request(app).get('/v1/drift/episodes');
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toBe(
        'entityRef: entityRef is required, e.g. component:default/fraud-detector',
      );
      const env = await request(app).get(
        `/v1/drift/episodes?entityRef=${ALLOWED}&environment=prod`,
      );
      expect(env.status).toBe(400);
      expect(env.body.error.message).toBe(
        'Unknown environment "prod"; the environments are dev, staging, production',
      );
    });
  });

  it('is mounted by the plugin router', async () => {
    const knex = await databases.init('SQLITE_3');
    const store = await DatabaseMlGitopsStore.create({
      database: { getClient: async () => knex },
    });
    const router = await createRouter({
      logger: mockServices.logger.mock(),
      httpAuth: mockServices.httpAuth(),
      auth: mockServices.auth(),
      permissions: new PerEntityPermissions(),
      catalog: catalogServiceMock({ entities: [] }),
      store,
      poller: { pollEntityRef: async () => true },
      environments: ENVIRONMENTS,
    });
    const res = await request(express().use(router)).get(
      `/v1/drift/episodes?entityRef=${ALLOWED}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });
});
