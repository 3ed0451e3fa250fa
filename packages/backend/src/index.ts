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

/*
 * The demo backend: the core plugins a platform team running ML GitOps has,
 * on the new backend system.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: the demo lets everybody in as guest.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// Catalog, with the entity model the scaffolder needs.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// Scaffolder: every change to a config repo is a pull request opened by it.
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
// The ML GitOps actions: deploy, promote, rollback, seal a secret, create a
// config repo; each opens a pull request.
backend.add(import('@ml-gitops/plugin-scaffolder-backend-module-ml-gitops'));

// Permissions: the demo's policy lets a model's owners change it and only
// the platform team override checks (src/permissionPolicy.ts; docs/security.md
// explains it). The REST API and every scaffolder action ask it on the server.
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./permissionPolicy'));

// Search over the catalog.
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

// Kubernetes: the serving workloads of each model.
backend.add(import('@backstage/plugin-kubernetes-backend'));

// Notifications reach model owners; signals push updates to open pages.
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@backstage/plugin-user-settings-backend'));

// Events: receives the Git hosts' webhooks (refresh on merge).
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-events-backend-module-github'));
backend.add(import('@backstage/plugin-events-backend-module-gitlab'));

// ML GitOps: deployment state, history and drift of every model.
backend.add(import('@ml-gitops/plugin-ml-gitops-backend'));

backend.start();
