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

/**
 * The ML GitOps frontend plugin for the new frontend system.
 *
 * @packageDocumentation
 */
import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  ANNOTATION_CONFIG_REPO,
  ANNOTATION_MODEL,
} from '@ml-gitops/plugin-ml-gitops-common';
import { z } from 'zod/v4';
import { mlGitopsApiRef, MlGitopsClient } from './api';
import { MlGitopsIcon } from './components/MlGitopsIcon';
import { createFromTemplateRouteRef, rootRouteRef } from './routes';

/** Entities carrying both required annotations. */
const hasMlGitopsAnnotations = {
  [`metadata.annotations.${ANNOTATION_MODEL}`]: { $exists: true },
  [`metadata.annotations.${ANNOTATION_CONFIG_REPO}`]: { $exists: true },
};

const mlGitopsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: mlGitopsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new MlGitopsClient({ discoveryApi, fetchApi }),
    }),
});

const entityDeploymentsCard = EntityCardBlueprint.make({
  name: 'deployments',
  params: {
    filter: hasMlGitopsAnnotations,
    loader: () =>
      import('./components/EntityModelDeploymentsCard').then(m => (
        <m.EntityModelDeploymentsCard />
      )),
  },
});

const entityDriftCard = EntityCardBlueprint.make({
  name: 'drift',
  params: {
    filter: hasMlGitopsAnnotations,
    loader: () =>
      import('./components/EntityModelDriftCard').then(m => (
        <m.EntityModelDriftCard />
      )),
  },
});

const entityContent = EntityContentBlueprint.makeWithOverrides({
  configSchema: {
    rollbackTargetSeconds: z.number().positive().optional(),
  },
  factory(originalFactory, { config }) {
    return originalFactory({
      path: '/ml-gitops',
      title: 'ML GitOps',
      filter: hasMlGitopsAnnotations,
      loader: () =>
        import('./components/EntityMlGitopsContent').then(m => (
          <m.EntityMlGitopsContent
            rollbackTargetSeconds={config.rollbackTargetSeconds}
          />
        )),
    });
  },
});

const fleetPage = PageBlueprint.make({
  params: {
    path: '/ml-gitops',
    routeRef: rootRouteRef,
    title: 'ML GitOps',
    icon: <MlGitopsIcon fontSize="inherit" />,
    loader: () =>
      import('./components/MlGitopsFleetPage').then(m => (
        <m.MlGitopsFleetContent />
      )),
  },
});

/**
 * The ML GitOps plugin for the new frontend system: the API, the entity
 * cards and tab (on entities with the ml-gitops annotations) and the fleet
 * page at `/ml-gitops`.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'ml-gitops',
  title: 'ML GitOps',
  icon: <MlGitopsIcon fontSize="inherit" />,
  info: { packageJson: () => import('../package.json') },
  extensions: [
    mlGitopsApi,
    entityDeploymentsCard,
    entityDriftCard,
    entityContent,
    fleetPage,
  ],
  routes: {
    root: rootRouteRef,
  },
  externalRoutes: {
    createFromTemplate: createFromTemplateRouteRef,
  },
});
