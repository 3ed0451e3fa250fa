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
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { mlGitopsDeploymentReadPermission } from '@ml-gitops/plugin-ml-gitops-common';
import {
  PERMISSION_BODY_LIMIT_BYTES,
  permissionBatches,
  ReadDecisions,
} from './readable';

const A = 'component:default/a';
const B = 'component:default/b';

/**
 * A policy whose decision for the read permission as such is `overall`;
 * when that is CONDITIONAL, only the refs in `allowed` pass. Counts what
 * it is asked, and can be made to fail.
 */
class CountingPermissions implements PermissionsService {
  overall: PolicyDecision = {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'catalog',
    resourceType: 'catalog-entity',
    conditions: {
      rule: 'IS_ENTITY_OWNER',
      resourceType: 'catalog-entity',
      params: { claims: ['group:default/ml'] },
    },
  };
  allowed = new Set([A]);
  conditionalCalls = 0;
  authorizeCalls: string[][] = [];
  failing = false;

  async authorizeConditional() {
    this.conditionalCalls++;
    if (this.failing) throw new Error('permission backend unreachable');
    return [this.overall] as Awaited<
      ReturnType<PermissionsService['authorizeConditional']>
    >;
  }

  async authorize(requests: AuthorizePermissionRequest[]) {
    const refs = requests.map(r => ('resourceRef' in r ? r.resourceRef! : ''));
    this.authorizeCalls.push(refs);
    if (this.failing) throw new Error('permission backend unreachable');
    return refs.map(ref => ({
      result: this.allowed.has(ref)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    })) as Awaited<ReturnType<PermissionsService['authorize']>>;
  }
}

describe('ReadDecisions', () => {
  let clock = 0;
  const setup = () => {
    const permissions = new CountingPermissions();
    const reads = new ReadDecisions(permissions, mockServices.auth(), {
      ttlMs: 10_000,
      now: () => clock,
    });
    return { permissions, reads };
  };
  const ada = mockCredentials.user('user:default/ada');
  const bob = mockCredentials.user('user:default/bob');

  beforeEach(() => {
    clock = 0;
  });

  it('asks the policy once per caller and keeps the answers for their time', async () => {
    const { permissions, reads } = setup();

    expect(await reads.readable(ada, [A, B])).toEqual(new Set([A]));
    expect(await reads.canRead(ada, A)).toBe(true);
    expect(await reads.canRead(ada, B)).toBe(false);
    expect(permissions.conditionalCalls).toBe(1);
    expect(permissions.authorizeCalls).toEqual([[A, B]]);

    // Another user is asked for anew.
    expect(await reads.canRead(bob, A)).toBe(true);
    expect(permissions.conditionalCalls).toBe(2);
    expect(permissions.authorizeCalls).toEqual([[A, B], [A]]);

    // After the time, a revoked read is refused.
    permissions.allowed = new Set();
    clock = 9_999;
    expect(await reads.canRead(ada, A)).toBe(true);
    clock = 10_001;
    expect(await reads.canRead(ada, A)).toBe(false);
    expect(permissions.authorizeCalls).toHaveLength(3);
  });

  it('needs no question per entity when the policy allows or denies every read', async () => {
    const { permissions, reads } = setup();
    permissions.overall = { result: AuthorizeResult.ALLOW };
    expect(await reads.readable(ada, [A, B])).toEqual(new Set([A, B]));

    const denied = setup();
    denied.permissions.overall = { result: AuthorizeResult.DENY };
    expect(await denied.reads.readable(ada, [A, B])).toEqual(new Set());

    expect(permissions.authorizeCalls).toEqual([]);
    expect(denied.permissions.authorizeCalls).toEqual([]);
  });

  it('shares a question in flight between requests of the same caller', async () => {
    const { permissions, reads } = setup();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => reads.canRead(ada, A)),
    );
    expect(answers).toEqual(Array(10).fill(true));
    expect(permissions.conditionalCalls).toBe(1);
    expect(permissions.authorizeCalls).toEqual([[A]]);
  });

  it('keeps no failure: the next request asks again', async () => {
    const { permissions, reads } = setup();
    permissions.failing = true;
    await expect(reads.canRead(ada, A)).rejects.toThrow(
      'permission backend unreachable',
    );
    permissions.failing = false;
    expect(await reads.canRead(ada, A)).toBe(true);
    expect(permissions.conditionalCalls).toBe(2);
  });

  it('asks every time for a service (decided without a round trip)', async () => {
    const { permissions, reads } = setup();
    const service = mockCredentials.service('plugin:scaffolder');
    await reads.canRead(service, A);
    await reads.canRead(service, A);
    expect(permissions.conditionalCalls).toBe(0);
    expect(permissions.authorizeCalls).toEqual([[A], [A]]);
  });
});

describe('permissionBatches', () => {
  it('keeps each batch, as the permission client sends it, within the body limit', () => {
    const refs = Array.from(
      { length: 2000 },
      (_, i) => `component:default/${'m'.repeat(60)}-${i}`,
    );
    const conditions = JSON.stringify({
      rule: 'IS_ENTITY_OWNER',
      resourceType: 'catalog-entity',
      params: {
        claims: Array.from({ length: 20 }, (_, i) => `group:default/t${i}`),
      },
    });
    const batches = permissionBatches(
      mlGitopsDeploymentReadPermission,
      refs,
      conditions.length,
    );
    expect(batches.flat()).toEqual(refs);
    for (const batch of batches) {
      // @backstage/plugin-permission-common's PermissionClient: a random
      // UUID per item, the permission, the resource ref.
      const authorize = JSON.stringify({
        items: batch.map(resourceRef => ({
          id: '00000000-0000-4000-8000-000000000000',
          permission: mlGitopsDeploymentReadPermission,
          resourceRef,
        })),
      });
      // The permission backend's apply-conditions request: the item with
      // the policy's decision.
      const applyConditions = JSON.stringify({
        items: batch.map(resourceRef => ({
          id: '00000000-0000-4000-8000-000000000000',
          resourceRef,
          result: AuthorizeResult.CONDITIONAL,
          pluginId: 'catalog',
          resourceType: 'catalog-entity',
          conditions: JSON.parse(conditions),
        })),
      });
      expect(Buffer.byteLength(authorize)).toBeLessThan(
        PERMISSION_BODY_LIMIT_BYTES,
      );
      expect(Buffer.byteLength(applyConditions)).toBeLessThan(
        PERMISSION_BODY_LIMIT_BYTES,
      );
    }
    expect(batches.length).toBeGreaterThan(1);
  });
});
