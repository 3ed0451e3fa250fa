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

import { readableEntityRefs, readRefused } from './readable';
import {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AuditEvent,
  AuditEventsResponse,
  AuditStateItem,
  AuditStateResponse,
  DriftEpisodesResponse,
  getMlGitopsAnnotations,
  mlGitopsDeploymentReadPermission,
} from '@ml-gitops/plugin-ml-gitops-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { MlGitopsStore } from '../database/MlGitopsStore';
import { AUDIT_CSV_HEADER, auditCsvFields, csvRecord } from './auditCsv';
import { ExportPosition, ExportScope, readEventPage } from './auditEvents';
import { FleetCursors } from './fleetCursors';
import { entityRefSchema, parseQuery } from './queries';

/** How far ahead of this server's clock an instant may be (clock skew). */
const FUTURE_SKEW_MS = 60_000;

// ISO 8601: a date, or a date and time with seconds (fraction optional) and
// a zone (Z or ±hh:mm). A date alone is midnight UTC.
const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/;

function instant(name: string, example: string) {
  const hint = `${name} must be an ISO 8601 time with a zone, e.g. ${example}`;
  return z
    .string({ error: `${name} is required; ${hint}` })
    .transform((value, ctx) => {
      const ms = ISO_INSTANT.test(value) ? Date.parse(value) : NaN;
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: 'custom', message: `${hint}, not "${value}"` });
        return z.NEVER;
      }
      return new Date(ms).toISOString();
    });
}

const limitSchema = (fallback: number, max: number) =>
  z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(max, `limit must be at most ${max}`)
    .default(fallback);

const stateQuery = z.object({
  at: instant('at', '2026-11-28T10:00:00Z'),
  entityRef: entityRefSchema.optional(),
  limit: limitSchema(100, 500),
  cursor: z.string().optional(),
});

const eventsQuery = z
  .object({
    from: instant('from', '2026-11-01T00:00:00Z'),
    to: instant('to', '2026-12-01T00:00:00Z'),
    entityRef: entityRefSchema.optional(),
    format: z
      .enum(['json', 'csv'], { error: 'format must be json or csv' })
      .default('json'),
    limit: limitSchema(500, 1000),
    cursor: z.string().optional(),
  })
  .refine(q => q.from < q.to, {
    message: 'from must be before to',
  });

const episodesQuery = z.object({
  entityRef: entityRefSchema,
  environment: z.string().min(1).optional(),
  limit: limitSchema(100, 500),
});

/** Writes a chunk, waiting while the client's buffer is full. */
async function write(res: express.Response, chunk: string): Promise<void> {
  if (res.write(chunk)) {
    return;
  }
  await new Promise<void>(resolve => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * The audit routes of the ml-gitops backend: `GET /v1/audit/state`,
 * `GET /v1/audit/events` and `GET /v1/drift/episodes`. Every answer is
 * limited to the models the caller may read (`ml-gitops.deployment.read`,
 * asked per page in one batch, like the fleet).
 */
export async function createAuditRouter(options: {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  store: MlGitopsStore;
  environments: string[];
  /** Events read from the store at a time while streaming CSV; 1000. */
  exportPageSize?: number;
  /** The clock, for tests. */
  now?: () => Date;
}): Promise<express.Router> {
  const { httpAuth, permissions, catalog, store, environments, logger } =
    options;
  const pageSize = options.exportPageSize ?? 1000;
  const now = options.now ?? (() => new Date());
  const cursors = new FleetCursors(store);
  const router = Router();

  async function requireReadable(
    credentials: BackstageCredentials,
    entityRef: string,
  ) {
    const [decision] = await permissions.authorize(
      [
        {
          permission: mlGitopsDeploymentReadPermission,
          resourceRef: entityRef,
        },
      ],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw readRefused(entityRef);
    }
  }

  /** The entity refs the caller may read, asked in one batch. */
  function readable(
    credentials: BackstageCredentials,
    entityRefs: string[],
  ): Promise<Set<string>> {
    return readableEntityRefs(permissions, credentials, entityRefs);
  }

  function notInFuture(at: string, name: string) {
    if (Date.parse(at) > now().getTime() + FUTURE_SKEW_MS) {
      throw new InputError(
        `${name} ${at} is in the future; the audit answers for past instants`,
      );
    }
  }

  function requireEnvironment(environment: string | undefined) {
    if (environment !== undefined && !environments.includes(environment)) {
      throw new InputError(
        `Unknown environment "${environment}"; the environments are ${environments.join(
          ', ',
        )}`,
      );
    }
  }

  router.get('/v1/audit/state', async (req, res) => {
    const query = parseQuery(stateQuery, req.query);
    notInFuture(query.at, 'at');
    const credentials = await httpAuth.credentials(req);
    const { at } = query;

    if (query.entityRef) {
      const entityRef = query.entityRef;
      await requireReadable(credentials, entityRef);
      const items = await store.getStateAt({ entityRef, at, environments });
      if (items.every(i => !i.declared && !i.serving)) {
        // Nothing recorded: say whether the model exists at all.
        const entity = await catalog.getEntityByRef(entityRef, {
          credentials,
        });
        if (!entity && (await store.getStatuses(entityRef)).length === 0) {
          throw new NotFoundError(`No entity ${entityRef} in the catalog`);
        }
        const missing = entity ? getMlGitopsAnnotations(entity).missing : [];
        if (missing.length > 0) {
          throw new NotFoundError(
            `${entityRef} is not an ML GitOps model: add the annotation(s) ${missing.join(
              ', ',
            )}`,
          );
        }
      }
      const body: AuditStateResponse = { at, items };
      res.json(body);
      return;
    }

    const page = await store.listAuditModels({
      limit: query.limit,
      after: await cursors.after(query.cursor),
    });
    const allowed = await readable(credentials, page.entityRefs);
    const items: AuditStateItem[] = [];
    for (const entityRef of page.entityRefs) {
      if (allowed.has(entityRef)) {
        items.push(
          ...(await store.getStateAt({ entityRef, at, environments })),
        );
      }
    }
    const body: AuditStateResponse = {
      at,
      items,
      ...(await cursors.nextCursor(page)),
    };
    res.json(body);
  });

  router.get('/v1/audit/events', async (req, res) => {
    const query = parseQuery(eventsQuery, req.query);
    const credentials = await httpAuth.credentials(req);
    const scope: ExportScope = {
      from: query.from,
      to: query.to,
      ...(query.entityRef ? { entityRef: query.entityRef } : {}),
    };
    if (query.entityRef) {
      await requireReadable(credentials, query.entityRef);
    }
    // Decisions are kept for the request: each model is asked about once.
    const decided = new Map<string, boolean>();
    const visible = async (events: AuditEvent[]) => {
      if (query.entityRef) {
        return events;
      }
      const unknown = [
        ...new Set(events.map(e => e.entityRef).filter(r => !decided.has(r))),
      ];
      const allowed = await readable(credentials, unknown);
      for (const ref of unknown) {
        decided.set(ref, allowed.has(ref));
      }
      return events.filter(e => decided.get(e.entityRef));
    };

    if (query.format === 'json') {
      const position = query.cursor
        ? await decodePosition(query.cursor, scope)
        : {};
      const page = await readEventPage(store, scope, position, query.limit);
      const body: AuditEventsResponse = {
        from: query.from,
        to: query.to,
        items: await visible(page.items),
        ...(page.next
          ? { nextCursor: await encodePosition(page.next, scope) }
          : {}),
      };
      res.json(body);
      return;
    }

    // CSV: the whole range, streamed page by page as the client reads.
    if (query.cursor) {
      throw new InputError(
        'cursor is for format=json; a CSV export streams the whole range',
      );
    }
    const name = `ml-gitops-audit-${query.from}-${query.to}`.replace(
      /[^A-Za-z0-9-]/g,
      '',
    );
    res.status(200);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="${name}.csv"`);
    res.setHeader('cache-control', 'no-store');
    // The byte order mark makes spreadsheets read the file as UTF-8.
    await write(res, `\uFEFF${AUDIT_CSV_HEADER}`);
    let position: ExportPosition | undefined = {};
    try {
      while (position && !res.destroyed) {
        const page = await readEventPage(store, scope, position, pageSize);
        const rows = (await visible(page.items))
          .map(event => csvRecord(auditCsvFields(event)))
          .join('');
        if (rows) {
          await write(res, rows);
        }
        position = page.next;
      }
      res.end();
    } catch (error) {
      // The header is sent: all that is left is to break the transfer, so
      // the client sees an incomplete download rather than a short file.
      logger.error(
        `The audit export ${query.from}..${query.to} failed: ${
          (error as Error).message
        }`,
      );
      res.destroy(error as Error);
    }
  });

  router.get('/v1/drift/episodes', async (req, res) => {
    const query = parseQuery(episodesQuery, req.query);
    requireEnvironment(query.environment);
    const credentials = await httpAuth.credentials(req);
    await requireReadable(credentials, query.entityRef);
    const episodes = await store.listDriftEpisodes(
      query.entityRef,
      query.limit,
      query.environment,
    );
    const body: DriftEpisodesResponse = {
      items: episodes.map(e => ({
        entityRef: e.entityRef,
        environment: e.environment,
        startedAt: e.startedAt,
        ...(e.endedAt ? { endedAt: e.endedAt } : {}),
        reason: e.reason,
      })),
    };
    res.json(body);
  });

  /** A JSON export cursor: the position, bound to its query, sealed. */
  async function encodePosition(position: ExportPosition, scope: ExportScope) {
    return cursors.encode(JSON.stringify({ ...scope, ...position }));
  }

  async function decodePosition(
    cursor: string,
    scope: ExportScope,
  ): Promise<ExportPosition> {
    let decoded: ExportScope & ExportPosition;
    try {
      decoded = JSON.parse(await cursors.decode(cursor));
    } catch (error) {
      if (error instanceof InputError) throw error;
      // A sealed cursor of another route (the fleet's).
      decoded = { from: '', to: '' };
    }
    if (
      decoded.from !== scope.from ||
      decoded.to !== scope.to ||
      decoded.entityRef !== scope.entityRef
    ) {
      throw new InputError(
        'cursor belongs to another query: pass the same from, to and entityRef as the request that gave it',
      );
    }
    return {
      ...(decoded.d ? { d: decoded.d } : {}),
      ...(decoded.e ? { e: decoded.e } : {}),
    };
  }

  return router;
}
