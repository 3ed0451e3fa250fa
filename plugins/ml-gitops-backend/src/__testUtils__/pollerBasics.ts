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

import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { ScmIntegrations } from '@backstage/integration';
import {
  BranchHeadsCacheEntry,
  ConfigRepoHistory,
  createGitHosts,
  EnvironmentDeclaration,
} from '@ml-gitops/plugin-ml-gitops-node';
import { Knex } from 'knex';
import { readMlGitopsConfig } from '../config';
import { DatabaseMlGitopsStore } from '../database/DatabaseMlGitopsStore';

/**
 * What every poller test builds the same way, as the plugin does: the store
 * on `knex`, the config read from `configData`, the config-repo reader of
 * every configured Git host and its history with their caches in the
 * store, and a mock logger.
 */
export async function pollerBasics(knex: Knex, configData: JsonObject) {
  const store = await DatabaseMlGitopsStore.create({
    database: { getClient: async () => knex },
  });
  const config = new ConfigReader(configData);
  const mlConfig = readMlGitopsConfig(config);
  const { reader: git } = createGitHosts({
    integrations: ScmIntegrations.fromConfig(config),
    cache: {
      get: k => store.getCacheValue<BranchHeadsCacheEntry>(k),
      set: (k, v) => store.setCacheValue(k, v),
    },
    reader: { timeoutMs: mlConfig.requestTimeoutMs },
  });
  const history = new ConfigRepoHistory(
    git,
    {
      get: k => store.getCacheValue<EnvironmentDeclaration>(k),
      set: (k, v) => store.setCacheValue(k, v),
    },
    { environments: mlConfig.environments, firstPage: 50 },
  );
  const logger = mockServices.logger.mock();
  return { store, config, mlConfig, git, history, logger };
}
