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
  mlGitopsDeploymentPromotePermission,
  mlGitopsDeploymentRollbackPermission,
} from './permissions';

/**
 * The changes the ML GitOps tab starts: the software template each button
 * opens, the scaffolder action that template runs, and the permission both
 * the button and the action check. One table, so the button and the server
 * cannot disagree on who may make a change.
 *
 * @public
 */
export const mlGitopsTabChanges = {
  promote: {
    template: { namespace: 'default', name: 'ml-gitops-promote' },
    action: 'ml-gitops:promote',
    permission: mlGitopsDeploymentPromotePermission,
  },
  rollback: {
    template: { namespace: 'default', name: 'ml-gitops-rollback' },
    action: 'ml-gitops:rollback',
    permission: mlGitopsDeploymentRollbackPermission,
  },
} as const;
