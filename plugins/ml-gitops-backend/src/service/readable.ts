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
  AuthService,
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  PolicyDecision,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { mlGitopsDeploymentReadPermission } from '@ml-gitops/plugin-ml-gitops-common';

/**
 * The largest JSON body the permission backend's `POST /authorize` accepts,
 * and the catalog's `/.well-known/backstage/permissions/apply-conditions`
 * the permission backend forwards conditional decisions to in one request:
 * both parse with `express.json()` and no limit of their own, so
 * body-parser's default of 100 kB holds (@backstage/plugin-permission-backend
 * `src/service/router.ts`; @backstage/plugin-permission-node
 * `src/integration/createPermissionIntegrationRouter.ts`). A larger batch is
 * answered 413.
 */
export const PERMISSION_BODY_LIMIT_BYTES = 100 * 1024;

/**
 * What one batch of ours may fill of that limit: the rest is room for the
 * envelope, and for fields a newer permission client adds to each item.
 */
const BATCH_BUDGET_BYTES = 64 * 1024;

/** The JSON of one item beside its permission or conditions: an id and the keys. */
const ITEM_OVERHEAD_BYTES = 160;

/**
 * Splits the entity refs into batches that each stay within the permission
 * backend's body limit, both as the `authorize` request we send and as the
 * `apply-conditions` request it sends on with the policy's conditions.
 */
export function permissionBatches(
  permission: ResourcePermission,
  entityRefs: string[],
  conditionsBytes: number = 0,
): string[][] {
  const perItem =
    ITEM_OVERHEAD_BYTES +
    Math.max(JSON.stringify(permission).length, conditionsBytes);
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const ref of entityRefs) {
    const size = perItem + Buffer.byteLength(ref);
    if (batch.length > 0 && bytes + size > BATCH_BUDGET_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(ref);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Asks the permission policy about each entity ref, in as few requests as
 * the permission backend's body limit allows; resolves the refs allowed.
 */
async function authorizeEach(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  permission: ResourcePermission,
  entityRefs: string[],
  conditionsBytes?: number,
): Promise<Set<string>> {
  const answers = await Promise.all(
    permissionBatches(permission, entityRefs, conditionsBytes).map(
      async batch => {
        const decisions = await permissions.authorize(
          batch.map(resourceRef => ({ permission, resourceRef })),
          { credentials },
        );
        return batch.filter(
          (_, i) => decisions[i].result === AuthorizeResult.ALLOW,
        );
      },
    ),
  );
  return new Set(answers.flat());
}

/**
 * The entity refs the caller may read (`ml-gitops.deployment.read`), asked
 * of the permission policy in batches within the permission backend's body
 * limit, whatever the page size: the audit answers filter their pages
 * through it.
 */
export async function readableEntityRefs(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  entityRefs: string[],
): Promise<Set<string>> {
  const unique = [...new Set(entityRefs)];
  if (unique.length === 0) {
    return new Set();
  }
  return authorizeEach(
    permissions,
    credentials,
    mlGitopsDeploymentReadPermission,
    unique,
  );
}

/** The refusal of a caller who may not read the deployments of the entity. */
export function readRefused(entityRef: string): NotAllowedError {
  return new NotAllowedError(
    `You are not allowed to read the deployments of ${entityRef}`,
  );
}

type Expiring<T> = { expires: number; value: Promise<T> };

/**
 * Read decisions of the REST API, without a round trip to the permission
 * backend on every request (@backstage/backend-defaults' permissions
 * service posts every `authorize` to the permission backend's HTTP API, also
 * when it runs in the same process; only service principals are decided
 * locally).
 *
 * For a user (or an unauthenticated caller) it first asks the policy for
 * its decision on the read permission as such (`authorizeConditional`):
 * ALLOW or DENY holds for every model. A CONDITIONAL decision (e.g. "the
 * model's owners") is applied per entity by the permission backend and the
 * catalog, in batches within the body limit. Both answers are kept for the
 * caller's principal for `ttlMs` (and in-flight questions are shared), so a
 * change of the policy, of a user's groups or of an entity's owner reaches
 * the read path within that time. Failures are not kept. Other principals
 * (services, decided locally) are asked every time.
 */
export class ReadDecisions {
  private readonly overall = new Map<string, Expiring<PolicyDecision>>();
  private readonly perEntity = new Map<string, Expiring<boolean>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly permissions: PermissionsService,
    private readonly auth: AuthService,
    options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /** Whether the caller may read the deployments of the entity. */
  async canRead(
    credentials: BackstageCredentials,
    entityRef: string,
  ): Promise<boolean> {
    return (await this.readable(credentials, [entityRef])).has(entityRef);
  }

  /** The entity refs the caller may read. */
  async readable(
    credentials: BackstageCredentials,
    entityRefs: string[],
  ): Promise<Set<string>> {
    const unique = [...new Set(entityRefs)];
    if (unique.length === 0) return new Set();
    const principal = this.principalKey(credentials);
    if (principal === undefined) {
      return readableEntityRefs(this.permissions, credentials, unique);
    }
    const decision = await this.remember(this.overall, principal, () =>
      this.permissions
        .authorizeConditional(
          [{ permission: mlGitopsDeploymentReadPermission }],
          {
            credentials,
          },
        )
        .then(([d]) => d),
    );
    if (decision.result === AuthorizeResult.ALLOW) return new Set(unique);
    if (decision.result === AuthorizeResult.DENY) return new Set();

    const now = this.now();
    const answers = new Map<string, Promise<boolean>>();
    const ask: string[] = [];
    for (const ref of unique) {
      const kept = this.perEntity.get(`${principal}\n${ref}`);
      if (kept && kept.expires > now) {
        answers.set(ref, kept.value);
      } else {
        ask.push(ref);
      }
    }
    if (ask.length > 0) {
      const asked = authorizeEach(
        this.permissions,
        credentials,
        mlGitopsDeploymentReadPermission,
        ask,
        decision.result === AuthorizeResult.CONDITIONAL
          ? JSON.stringify(decision.conditions).length
          : 0,
      );
      for (const ref of ask) {
        const key = `${principal}\n${ref}`;
        const value = asked.then(allowed => allowed.has(ref));
        answers.set(ref, value);
        this.keep(this.perEntity, key, value);
      }
    }
    const allowed = new Set<string>();
    for (const [ref, value] of answers) {
      if (await value) allowed.add(ref);
    }
    return allowed;
  }

  /**
   * Users by their entity ref and the service acting for them, if any;
   * unauthenticated callers as one. Services: not kept.
   */
  private principalKey(credentials: BackstageCredentials): string | undefined {
    if (this.auth.isPrincipal(credentials, 'user')) {
      const { userEntityRef, actor } = credentials.principal;
      return actor ? `${userEntityRef} by ${actor.subject}` : userEntityRef;
    }
    if (this.auth.isPrincipal(credentials, 'none')) {
      return '(none)';
    }
    return undefined;
  }

  private remember<T>(
    map: Map<string, Expiring<T>>,
    key: string,
    ask: () => Promise<T>,
  ): Promise<T> {
    const kept = map.get(key);
    if (kept && kept.expires > this.now()) return kept.value;
    const value = ask();
    this.keep(map, key, value);
    return value;
  }

  private keep<T>(
    map: Map<string, Expiring<T>>,
    key: string,
    value: Promise<T>,
  ) {
    map.delete(key);
    map.set(key, { expires: this.now() + this.ttlMs, value });
    // A failed answer is asked again next time.
    value.catch(() => {
      if (map.get(key)?.value === value) map.delete(key);
    });
    // Oldest first: a Map iterates in insertion order.
    while (map.size > this.maxEntries) {
      map.delete(map.keys().next().value!);
    }
  }
}
