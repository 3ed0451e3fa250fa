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

import type { ReactElement } from 'react';
import { SWRConfig } from 'swr';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import { signalApiRef, type SignalApi } from '@backstage/plugin-signals-react';
import type { MlGitopsApi } from '../api';
import { mlGitopsApiRef } from '../api';
import { entity as defaultEntity } from './fixtures';
import { createFromTemplateRouteRef, rootRouteRef } from '../routes';

/** An MlGitopsApi whose every method is a jest mock. */
export function mockMlGitopsApi(
  overrides: Partial<jest.Mocked<MlGitopsApi>> = {},
): jest.Mocked<MlGitopsApi> {
  return {
    getDeployments: jest.fn(),
    getHistory: jest.fn().mockResolvedValue({ items: [] }),
    getDrift: jest.fn().mockResolvedValue({ items: [] }),
    getFleet: jest.fn().mockResolvedValue({ items: [] }),
    getAuditEvents: jest.fn().mockResolvedValue({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      items: [],
    }),
    downloadAuditCsv: jest.fn(),
    refresh: jest.fn().mockResolvedValue(undefined),
    ...overrides,
  };
}

/** Renders with the ml-gitops API, permissions, an entity and the routes. */
export function renderWithApis(
  element: ReactElement,
  options: {
    api: MlGitopsApi;
    entity?: Entity | null;
    /** The policy's answer, or a function of the permission asked. */
    permission?:
      | AuthorizeResult.ALLOW
      | AuthorizeResult.DENY
      | ((request: {
          permission: { name: string };
        }) => AuthorizeResult.ALLOW | AuthorizeResult.DENY);
    scaffolder?: boolean;
    /** A signals API; without one the components poll. */
    signals?: SignalApi;
    /** The URL the app opens at. */
    routeEntries?: string[];
  },
) {
  const {
    api,
    entity = defaultEntity,
    permission = AuthorizeResult.ALLOW,
  } = options;
  const scaffolder = options.scaffolder ?? true;
  // usePermission caches answers in SWR; a fresh cache per render keeps
  // tests independent.
  return renderInTestApp(
    <SWRConfig value={{ provider: () => new Map() }}>
      <TestApiProvider
        apis={[
          [mlGitopsApiRef, api],
          [permissionApiRef, mockApis.permission({ authorize: permission })],
          ...(options.signals
            ? [[signalApiRef, options.signals] as const]
            : []),
        ]}
      >
        {entity ? (
          <EntityProvider entity={entity}>{element}</EntityProvider>
        ) : (
          element
        )}
      </TestApiProvider>
    </SWRConfig>,
    {
      routeEntries: options.routeEntries,
      mountedRoutes: {
        '/ml-gitops': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        ...(scaffolder
          ? {
              '/create/templates/:namespace/:templateName':
                createFromTemplateRouteRef,
            }
          : {}),
      },
    },
  );
}

/** A signals API whose messages the test publishes by hand. */
export function fakeSignals() {
  const listeners = new Map<string, Set<(message: any) => void>>();
  const api: SignalApi = {
    subscribe(channel, onMessage) {
      const set = listeners.get(channel) ?? new Set();
      set.add(onMessage as (message: any) => void);
      listeners.set(channel, set);
      return {
        unsubscribe: () => set.delete(onMessage as (message: any) => void),
      };
    },
  };
  return {
    api,
    publish(channel: string, message: Record<string, unknown>) {
      listeners.get(channel)?.forEach(listener => listener(message));
    },
  };
}
