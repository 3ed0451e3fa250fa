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
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  BranchHeadsCacheEntry,
  ByteBoundedCache,
  createGitHosts,
  GitHost,
} from '@ml-gitops/plugin-ml-gitops-node';
import { MlGitopsActionsConfig } from './config';

/*
 * What every action is made with and runs in: its options, the part of the
 * scaffolder's context the shared steps use, and its Git clients.
 */

/**
 * What every ml-gitops action needs; tests pass fakes.
 *
 * @public
 */
export type MlGitopsActionOptions = {
  integrations: ScmIntegrationRegistry;
  config: MlGitopsActionsConfig;
  catalog: CatalogService;
  /**
   * Decides, with the credentials of whoever started the task, whether they
   * may make the change: hiding a button is not enough, since anyone who
   * can create scaffolder tasks can call the action.
   */
  permissions: PermissionsService;
  /** The credentials of the hosts under `integrations.github`. */
  credentialsProvider?: GithubCredentialsProvider;
  /** Where the Git clients say that they wait out a rate limit. */
  logger?: { warn(message: string): void };
};

/** A minimal logger, satisfied by `ctx.logger`. */
export type Logger = {
  info(message: string): void;
  warn(message: string): void;
};

/** The part of the scaffolder's action context the shared steps use. */
export type ActionCtx = {
  logger: Logger;
  user?: { ref?: string };
  getInitiatorCredentials(): Promise<BackstageCredentials>;
};

/** The branch-list validators the actions' reader keeps, in bytes. */
const VALIDATOR_CACHE_BYTES = 4 * 1024 * 1024;

/** The reader and writer of config repos on every configured Git host. */
export function createGitClients(options: MlGitopsActionOptions): GitHost {
  const cache = new ByteBoundedCache<BranchHeadsCacheEntry>(
    VALIDATOR_CACHE_BYTES,
  );
  return createGitHosts({
    integrations: options.integrations,
    credentialsProvider: options.credentialsProvider,
    cache: {
      get: async key => cache.get(key),
      set: async (key, value) => {
        cache.set(key, value);
      },
    },
    allowedOwners: options.config.allowedOwners,
    logger: options.logger,
    // A task may wait out a rate limit that lifts within a minute.
    reader: { rateLimitRetry: { maxWaitMs: 60_000, maxRetries: 3 } },
  });
}
