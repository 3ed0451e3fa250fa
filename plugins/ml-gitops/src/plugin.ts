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
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import type { JSX } from 'react';
import { mlGitopsApiRef, MlGitopsClient } from './api';
import type { EntityMlGitopsContentProps } from './components/EntityMlGitopsContent';
import {
  createFromTemplateRouteRef,
  entityContentRouteRef,
  rootRouteRef,
} from './routes';

/**
 * The ML GitOps frontend plugin for the legacy frontend system. For the new
 * frontend system use the default export of `@ml-gitops/plugin-ml-gitops/alpha`.
 *
 * @public
 */
export const mlGitopsPlugin = createPlugin({
  id: 'ml-gitops',
  apis: [
    createApiFactory({
      api: mlGitopsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new MlGitopsClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    root: rootRouteRef,
    entityContent: entityContentRouteRef,
  },
  externalRoutes: {
    createFromTemplate: createFromTemplateRouteRef,
  },
});

/**
 * Overview card: per environment the declared and live version, drift, sync,
 * health, gate and last deployment.
 *
 * @public
 */
export const EntityModelDeploymentsCard: (props: {
  title?: string;
}) => JSX.Element = mlGitopsPlugin.provide(
  createComponentExtension({
    name: 'EntityModelDeploymentsCard',
    component: {
      lazy: () =>
        import('./components/EntityModelDeploymentsCard').then(
          m => m.EntityModelDeploymentsCard,
        ),
    },
  }),
);

/**
 * Card with the current drift episodes of the model and a Refresh button.
 *
 * @public
 */
export const EntityModelDriftCard: (props: { title?: string }) => JSX.Element =
  mlGitopsPlugin.provide(
    createComponentExtension({
      name: 'EntityModelDriftCard',
      component: {
        lazy: () =>
          import('./components/EntityModelDriftCard').then(
            m => m.EntityModelDriftCard,
          ),
      },
    }),
  );

/**
 * The ML GitOps entity tab: pipeline, Promote, Rollback, history, time to
 * serve and registry.
 *
 * @public
 */
export const EntityMlGitopsContent: (
  props: EntityMlGitopsContentProps,
) => JSX.Element = mlGitopsPlugin.provide(
  createRoutableExtension({
    name: 'EntityMlGitopsContent',
    component: () =>
      import('./components/EntityMlGitopsContent').then(
        m => m.EntityMlGitopsContent,
      ),
    mountPoint: entityContentRouteRef,
  }),
);

/**
 * The fleet page: every model × environment, drifted first.
 *
 * @public
 */
export const MlGitopsFleetPage: () => JSX.Element = mlGitopsPlugin.provide(
  createRoutableExtension({
    name: 'MlGitopsFleetPage',
    component: () =>
      import('./components/MlGitopsFleetPage').then(m => m.MlGitopsFleetPage),
    mountPoint: rootRouteRef,
  }),
);
