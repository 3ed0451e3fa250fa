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

// The poller's collaborators, wired together: they share one record of failures, of health and of when each source answered.

import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  ConfigRepoHistory,
  DeploymentSource,
  GitHostReader,
  ModelRegistry,
} from '@ml-gitops/plugin-ml-gitops-node';
import { AutoRollbackInput } from '../autoRollback/AutoRollback';
import { MlGitopsConfig } from '../config';
import { MlGitopsStore } from '../database/MlGitopsStore';
import { OwnerNotifier } from '../notifications/OwnerNotifier';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import { ConfigRepoReader } from './ConfigRepoReader';
import { DriftEpisodes } from './driftEpisodes';
import { SourceFailures } from './failures';
import { FleetReader } from './FleetReader';
import { ModelEntities } from './modelEntities';
import { ModelIndex } from './modelIndex';
import { ModelLocks } from './modelLocks';
import { ModelPoller } from './ModelPoller';
import { PollHealth } from './PollHealth';
import { RegistryReader } from './RegistryReader';
import { StatusSnapshot } from './StatusSnapshot';
import { TimeToServe } from './timeToServe';
import { WatchedModels } from './WatchedModels';

/** What the poller is given: the backend's services and the outside systems. */
export type MlGitopsPollerDeps = {
  logger: LoggerService;
  auth: AuthService;
  catalog: CatalogService;
  store: MlGitopsStore;
  /**
   * Where cache rows the poller writes go: the backend's write-through
   * cache, which writes those asked for in one turn in one statement; the
   * store itself by default.
   */
  cacheWrites?: { set<T>(key: string, value: T): Promise<void> };
  git: GitHostReader;
  history: ConfigRepoHistory;
  sources: DeploymentSource[];
  registries: Map<string, ModelRegistry>;
  /** Reads the live version from the serving objects' labels. */
  servingVersions?: ServingVersions;
  /** Reads Argo Rollouts AnalysisRuns and KServe canary traffic. */
  canaryAnalyses?: CanaryAnalyses;
  config: MlGitopsConfig;
  notifications?: NotificationService;
  signals?: SignalsService;
  /** Opens rollback pull requests by itself for opted-in models. */
  autoRollback?: { consider(input: AutoRollbackInput): Promise<void> };
  now?: () => Date;
};

/** The poller's collaborators; see {@link wirePoller}. */
export type PollerParts = {
  /** What each outside system answered, for `GET /v1/health`. */
  health: PollHealth;
  entities: ModelEntities;
  /** Which model entities each config repo and model name serve. */
  index: ModelIndex;
  locks: ModelLocks;
  fleet: FleetReader;
  snapshot: StatusSnapshot;
  configRepos: ConfigRepoReader;
  models: ModelPoller;
  watched: WatchedModels;
};

/**
 * Builds the poller's collaborators. The readers of outside systems share
 * one {@link SourceFailures} and one {@link PollHealth}, and the fleet
 * reader, the snapshot and the model poller one map of when each
 * deployment source last answered.
 */
export function wirePoller(deps: MlGitopsPollerDeps): PollerParts {
  const { logger, store, config } = deps;
  const now = () => (deps.now ? deps.now() : new Date());
  const failures = new SourceFailures(now);
  /** When each deployment source last answered (`argocd:main` → ISO time). */
  const sourceSeen = new Map<string, string>();
  const health = new PollHealth();
  const fleet = new FleetReader({
    logger,
    sources: deps.sources,
    servingVersions: deps.servingVersions,
    canaryAnalyses: deps.canaryAnalyses,
    failures,
    health,
    sourceSeen,
    refreshMinIntervalMs: config.refreshMinIntervalMs,
    now,
  });
  const snapshot = new StatusSnapshot({
    logger,
    store,
    signals: deps.signals,
    sourceSeen,
  });
  const configRepos = new ConfigRepoReader({
    logger,
    store,
    cacheWrites: deps.cacheWrites,
    git: deps.git,
    history: deps.history,
    environments: config.environments,
    failures,
    health,
    now,
  });
  const notifier = new OwnerNotifier({
    logger,
    notifications: deps.notifications,
    config,
  });
  const models = new ModelPoller({
    logger,
    store,
    config,
    configRepos,
    registry: new RegistryReader({
      logger,
      registries: deps.registries,
      failures,
      health,
      now,
    }),
    notifier,
    timeToServe: new TimeToServe({
      store,
      notifier,
      rollbackTargetMs: config.rollbackTargetMs,
    }),
    driftEpisodes: new DriftEpisodes({ store, notifier }),
    sourceSeen,
    autoRollback: deps.autoRollback,
    now,
  });
  const entities = new ModelEntities(deps);
  const index = new ModelIndex(() => entities.all());
  const locks = new ModelLocks();
  const watched = new WatchedModels({
    logger,
    config,
    fleet,
    entities,
    index,
    locks,
    models,
    snapshot,
    now,
  });
  return {
    health,
    entities,
    index,
    locks,
    fleet,
    snapshot,
    configRepos,
    models,
    watched,
  };
}
