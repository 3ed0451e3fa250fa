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

import { ReadDecisions, readRefused } from './readable';
import {
  AuthService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  DeploymentsResponse,
  DriftResponse,
  EnvironmentStatus,
  FleetResponse,
  getMlGitopsAnnotations,
  HealthResponse,
  HistoryResponse,
  mlGitopsDeploymentReadPermission,
  mlGitopsDeploymentRefreshPermission,
} from '@ml-gitops/plugin-ml-gitops-common';
import { createAuditRouter } from './auditRouter';
import { FleetCursors } from './fleetCursors';
import { entityRefSchema, parseQuery } from './queries';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { historyProgressKey, MlGitopsStore } from '../database/MlGitopsStore';
import { PollHealth } from '../poller/PollHealth';
import { reusedFor } from '../lib/reusedFor';
import { FRESHNESS_TTL_MS } from '../database/tables';

/** What the router needs of the poller. */
export interface RefreshScheduler {
  /** Polls one model now; resolves false when the entity is not a model. */
  pollEntityRef(entityRef: string): Promise<boolean>;
}

// Query schemas are made once: zod compiles an object schema on its first
// parse, so one made per request would be compiled per request.
const entityRefQuery = z.object({ entityRef: entityRefSchema });

const historyQuery = z.object({
  entityRef: entityRefSchema,
  environment: z.string().min(1).optional(),
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(500, 'limit must be at most 500')
    .default(50),
  offset: z.coerce
    .number({ error: 'offset must be a number' })
    .int('offset must be a whole number')
    .min(0, 'offset must not be negative')
    .default(0),
});

const fleetQuery = z.object({
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(500, 'limit must be at most 500')
    .default(100),
  cursor: z.string().optional(),
});

/**
 * The HTTP API of the ml-gitops backend (`/api/ml-gitops`). Only HTTP here:
 * state comes from the store, polling from the poller.
 */
export async function createRouter(options: {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  auth: AuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  store: MlGitopsStore;
  poller: RefreshScheduler;
  environments: string[];
  /** `mlGitops.staleAfter`, in milliseconds (default: three 30 s periods). */
  staleAfterMs?: number;
  /**
   * How long a caller's read decisions are kept (default 10 s; 0: asked
   * on every request). See `ReadDecisions`.
   */
  readDecisionTtlMs?: number;
  now?: () => Date;
}): Promise<express.Router> {
  const {
    httpAuth,
    permissions,
    catalog,
    store,
    poller,
    environments,
    logger,
    staleAfterMs = 90_000,
    now = () => new Date(),
  } = options;
  const reads = new ReadDecisions(permissions, options.auth, {
    ttlMs: options.readDecisionTtlMs,
  });
  const staleAfterSeconds = staleAfterMs / 1000;
  const router = Router();
  router.use(express.json({ limit: '16kb' }));
  const cursors = new FleetCursors(store);
  // The poll's health for the models' `observedAt`: read anew at most every
  // 2 s, as the sources' freshness is (one row and its parse per page view
  // otherwise). `GET /v1/health` reads it every time.
  const pollHealth = reusedFor(FRESHNESS_TTL_MS, () => PollHealth.read(store));

  async function authorize(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
  ) {
    const [decision] = await permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${permission.name
          .split('.')
          .pop()} the deployments of ${entityRef}`,
      );
    }
  }

  /** Refuses a caller who may not read the deployments of the entity. */
  async function authorizeRead(
    credentials: BackstageCredentials,
    entityRef: string,
  ) {
    if (!(await reads.canRead(credentials, entityRef))) {
      throw readRefused(entityRef);
    }
  }

  /** The entity refs the caller may read, in batches the permission backend accepts. */
  function readable(
    credentials: BackstageCredentials,
    entityRefs: string[],
  ): Promise<Set<string>> {
    return reads.readable(credentials, entityRefs);
  }

  /** Checks that the entity exists and is a model, for a clear 404 / 400. */
  async function requireModelEntity(
    credentials: BackstageCredentials,
    entityRef: string,
  ) {
    const entity = await catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) {
      throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    }
    const { missing } = getMlGitopsAnnotations(entity);
    if (missing.length > 0) {
      // Not found: the entity exists, but not as an ML GitOps model.
      throw new NotFoundError(
        `${entityRef} is not an ML GitOps model: add the annotation(s) ${missing.join(
          ', ',
        )}`,
      );
    }
    return entity;
  }

  router.get('/v1/deployments', async (req, res) => {
    const { entityRef } = parseQuery(entityRefQuery, req.query);
    const credentials = await httpAuth.credentials(req);
    await authorizeRead(credentials, entityRef);

    const stored = await store.getStatuses(entityRef);
    let model: string;
    let statuses: EnvironmentStatus[];
    if (stored.length > 0) {
      model = stored[0].model;
      statuses = stored.map(s => s.status);
    } else {
      const entity = await requireModelEntity(credentials, entityRef);
      model = getMlGitopsAnnotations(entity).model!;
      statuses = environments.map(name => ({
        name,
        declared: null,
        live: null,
        registry: null,
        drift: {
          state: 'unknown',
          reason: 'Not polled yet: the first poll of this model is pending',
        },
      }));
    }
    const observedAt =
      stored.length > 0
        ? PollHealth.modelObservedAt(await pollHealth(), entityRef)
        : undefined;
    const body: DeploymentsResponse = {
      entityRef,
      model,
      environments: statuses,
      ...(observedAt ? { observedAt } : {}),
      staleAfterSeconds,
    };
    res.json(body);
  });

  router.get('/v1/history', async (req, res) => {
    const query = parseQuery(historyQuery, req.query);
    const credentials = await httpAuth.credentials(req);
    await authorizeRead(credentials, query.entityRef);
    if (query.environment && !environments.includes(query.environment)) {
      throw new InputError(
        `Unknown environment "${
          query.environment
        }"; the environments are ${environments.join(', ')}`,
      );
    }
    const { items, total } = await store.listHistory(query);
    const reading = (
      (await store.getCacheValue<string[]>(
        historyProgressKey(query.entityRef),
      )) ?? []
    ).filter(e => !query.environment || e === query.environment);
    const body: HistoryResponse & { total: number } = {
      items,
      total,
      ...(reading.length > 0 ? { readingOlderHistory: reading } : {}),
    };
    res.json(body);
  });

  router.get('/v1/drift', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const items = await store.listDrift();
    const allowed = await readable(
      credentials,
      items.map(i => i.entityRef),
    );
    const body: DriftResponse = {
      items: items.filter(i => allowed.has(i.entityRef)),
    };
    res.json(body);
  });

  router.get('/v1/fleet', async (req, res) => {
    const { limit, cursor } = parseQuery(fleetQuery, req.query);
    const credentials = await httpAuth.credentials(req);
    const page = await store.listModels({
      limit,
      after: await cursors.after(cursor),
    });
    const allowed = await readable(credentials, page.entityRefs);
    const health = await pollHealth();
    const items: DeploymentsResponse[] = [];
    for (const entityRef of page.entityRefs) {
      if (!allowed.has(entityRef)) continue;
      const stored = await store.getStatuses(entityRef);
      if (stored.length === 0) continue;
      const observedAt = PollHealth.modelObservedAt(health, entityRef);
      items.push({
        entityRef,
        model: stored[0].model,
        environments: stored.map(s => s.status),
        ...(observedAt ? { observedAt } : {}),
        staleAfterSeconds,
      });
    }
    const body: FleetResponse = {
      items,
      ...(await cursors.nextCursor(page)),
    };
    res.json(body);
  });

  // An addition to the design contract: the poller's last cycle and what
  // each outside system last answered. Whoever may read the deployments of
  // some model may read it (the policy does not deny the read permission
  // outright); it names sources and hosts, never a model or a repo.
  router.get('/v1/health', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const [decision] = await permissions.authorizeConditional(
      [{ permission: mlGitopsDeploymentReadPermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.DENY) {
      throw new NotAllowedError(
        `You are not allowed to read the deployments of any model (${mlGitopsDeploymentReadPermission.name}), so not the poller's health either`,
      );
    }
    const body: HealthResponse = PollHealth.toResponse(
      await PollHealth.read(store),
      staleAfterMs,
      now(),
    );
    res.json(body);
  });

  router.post('/v1/refresh', async (req, res) => {
    const { entityRef } = parseQuery(entityRefQuery, req.body ?? {});
    const credentials = await httpAuth.credentials(req);
    await authorize(
      credentials,
      mlGitopsDeploymentRefreshPermission,
      entityRef,
    );
    await requireModelEntity(credentials, entityRef);
    // Accepted: the poll runs now, its result arrives through the store
    // (and a signal to open pages).
    poller
      .pollEntityRef(entityRef)
      .catch(error =>
        logger.error(
          `Refreshing ${entityRef} failed: ${(error as Error).message}`,
        ),
      );
    res.status(202).json({ entityRef, status: 'accepted' });
  });

  router.use(
    await createAuditRouter({
      logger,
      httpAuth,
      permissions,
      catalog,
      store,
      environments,
    }),
  );

  return router;
}
