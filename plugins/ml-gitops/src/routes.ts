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
  createExternalRouteRef,
  createRouteRef,
} from '@backstage/core-plugin-api';

/** The fleet page. */
export const rootRouteRef = createRouteRef({
  id: 'ml-gitops',
});

/**
 * The scaffolder's page of one template, where Promote and Rollback lead.
 * Bound by default to the scaffolder's `selectedTemplate` route.
 */
export const createFromTemplateRouteRef = createExternalRouteRef({
  id: 'ml-gitops-create-from-template',
  optional: true,
  params: ['namespace', 'templateName'],
  defaultTarget: 'scaffolder.selectedTemplate',
});

/** The ML GitOps tab of an entity page (legacy frontend system). */
export const entityContentRouteRef = createRouteRef({
  id: 'ml-gitops:entity-content',
});
