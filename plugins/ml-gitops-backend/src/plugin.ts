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
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { mlGitopsPermissions } from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  mlGitopsSourcesExtensionPoint,
  ModelRegistry,
} from '@ml-gitops/plugin-ml-gitops-node';
import { checkWebhookSecret, readMlGitopsConfig } from './config';
import { DatabaseMlGitopsStore } from './database/DatabaseMlGitopsStore';
import { MlGitopsPoller } from './poller/MlGitopsPoller';
import { FleetWatches, WATCH_TASK } from './poller/FleetWatches';
import { ArgoCdSource } from './providers/argocd/ArgoCdSource';
import {
  ConfigRepoHistory,
  EnvironmentDeclaration,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  BranchHeadsCacheEntry,
  createGitHosts,
} from '@ml-gitops/plugin-ml-gitops-node';
import { FluxSource } from './providers/flux/FluxSource';
import { KubernetesClusters } from './providers/kubernetes/KubernetesClusters';
import { ServingVersions } from './providers/kubernetes/ServingVersions';
import { HeldServingObjects } from './providers/kubernetes/heldServingObjects';
import { CanaryAnalyses } from './providers/canary/CanaryAnalyses';
import { createRegistries } from './providers/registry/createRegistries';
import { createRouter } from './service/router';
import { configRepoPushSubscriber } from './events/configRepoPush';
import { keepAliveFetch } from './http/keepAliveFetch';
import { WriteThroughCache } from './database/WriteThroughCache';
import { AutoRollbackStore } from './database/AutoRollbackStore';
import { AutoRollback } from './autoRollback/AutoRollback';

/**
 * The ml-gitops backend plugin: polls the config repos, Argo CD, Flux and the
 * model registries on a schedule, stores status, history and drift, serves
 * `/api/ml-gitops` and notifies owners when an environment drifts.
 *
 * @public
 */
export const mlGitopsPlugin = createBackendPlugin({
  pluginId: 'ml-gitops',
  register(env) {
    const extraSources: DeploymentSource[] = [];
    const extraRegistries: ModelRegistry[] = [];
    env.registerExtensionPoint(mlGitopsSourcesExtensionPoint, {
      addDeploymentSource(...sources) {
        extraSources.push(...sources);
      },
      addRegistry(...registries) {
        extraRegistries.push(...registries);
      },
    });

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        catalog: catalogServiceRef,
        notifications: notificationService,
        signals: signalsServiceRef,
        events: eventsServiceRef,
      },
      async init({
        config,
        logger,
        database,
        scheduler,
        lifecycle,
        httpRouter,
        httpAuth,
        auth,
        discovery,
        permissions,
        permissionsRegistry,
        catalog,
        notifications,
        signals,
        events,
      }) {
        const mlConfig = readMlGitopsConfig(config);
        checkWebhookSecret(config);
        permissionsRegistry.addPermissions(mlGitopsPermissions);

        const store = await DatabaseMlGitopsStore.create({ database, logger });
        // Branch validators and declarations are read every cycle for every
        // model: kept in memory, written through to the database so that a
        // restart or another replica starts from them.
        const memory = new WriteThroughCache(store);
        const integrations = ScmIntegrations.fromConfig(config);
        // Every Git host of integrations.*: a config repo's URL picks one.
        const { reader: git, writer: gitWriter } = createGitHosts({
          integrations,
          cache: {
            get: k => memory.get<BranchHeadsCacheEntry>(k),
            set: (k, v) => memory.set(k, v),
          },
          allowedOwners: mlConfig.allowedOwners,
          reader: {
            timeoutMs: mlConfig.requestTimeoutMs,
            fetch: keepAliveFetch(),
          },
          writer: { timeoutMs: mlConfig.requestTimeoutMs },
        });
        const history = new ConfigRepoHistory(
          git,
          {
            get: k => memory.get<EnvironmentDeclaration>(k),
            getMany: keys => memory.getMany<EnvironmentDeclaration>(keys),
            set: (k, v) => memory.set(k, v),
          },
          { environments: mlConfig.environments, firstPage: 50 },
        );

        // Every cluster the Kubernetes plugin reaches, through its proxy; the
        // list is asked for again before every cycle.
        const clusters = KubernetesClusters.create({
          config,
          discovery,
          auth,
          logger,
          timeoutMs: mlConfig.requestTimeoutMs,
        });
        const fluxSources = mlConfig.fluxClusters.map(
          name => new FluxSource(clusters.client(name), logger),
        );
        const sources: DeploymentSource[] = [
          ...mlConfig.argocd.map(instance =>
            ArgoCdSource.fromConfig(instance, {
              logger,
              timeoutMs: mlConfig.requestTimeoutMs,
            }),
          ),
          ...fluxSources,
          ...extraSources,
        ];
        const registries = createRegistries(
          mlConfig.registries,
          extraRegistries,
          {
            timeoutMs: mlConfig.requestTimeoutMs,
            recheckAfterMs: mlConfig.registryRecheckAfterMs,
          },
        );

        // Opens rollback pull requests as the Git integration (the GitHub
        // App when one is configured), never as a user.
        const autoRollback = new AutoRollback({
          config: mlConfig,
          incidents: await AutoRollbackStore.create({ database }),
          deploymentOf: async (entityRef, environment, commit) =>
            (
              await store.listHistory({ entityRef, environment, limit: 5 })
            ).items.find(d => d.commit === commit),
          writer: gitWriter,
          logger,
          notifications,
        });

        // The InferenceServices the poll and the watch hold, held once.
        const heldServing = new HeldServingObjects();
        const poller = new MlGitopsPoller({
          logger,
          auth,
          catalog,
          store,
          cacheWrites: memory,
          git,
          history,
          sources,
          registries,
          servingVersions: new ServingVersions(clusters.clients, heldServing),
          canaryAnalyses: new CanaryAnalyses(clusters.clients),
          config: mlConfig,
          notifications,
          signals,
          autoRollback,
        });

        await scheduler.scheduleTask({
          id: 'ml-gitops-poll',
          ...mlConfig.schedule,
          // After the schedule, so no config can make replicas poll each.
          scope: 'global',
          fn: async () => {
            // The first cycle waits for the first list of clusters.
            await clusters.listOnce().catch(() => undefined);
            await poller.pollAll();
          },
        });
        // Between polls, the watches show what changed within seconds, on
        // one replica at a time: the one holding the watch task.
        const watches = mlConfig.watch.enabled
          ? new FleetWatches({
              logger,
              sources,
              clusters,
              fleet: poller,
              servingObjects: heldServing,
            })
          : undefined;
        if (watches) {
          lifecycle.addShutdownHook(() => watches.stop());
          await scheduler.scheduleTask({
            ...WATCH_TASK,
            fn: signal => watches.hold(signal),
          });
        }
        // Every replica keeps its list of clusters: any of them may poll a
        // model outside the schedule (webhook, refresh).
        await scheduler.scheduleTask({
          id: 'ml-gitops-clusters',
          ...mlConfig.schedule,
          scope: 'local',
          fn: () =>
            clusters.refresh().then(
              () => watches?.clustersChanged(),
              error =>
                // A failed listing keeps the clusters known before.
                logger.warn(
                  `Listing the clusters of the Kubernetes plugin failed: ${
                    (error as Error)?.message ?? error
                  }`,
                ),
            ),
        });
        logger.info(
          `Polling ${mlConfig.environments.join(' → ')} with ${
            sources.length
          } deployment source(s) and ${registries.size} registr${
            registries.size === 1 ? 'y' : 'ies'
          }${watches ? ', watching between polls' : ', polling only'}`,
        );

        // A push to a config repo (a merged PR is one) polls its models at
        // once instead of at the next cycle.
        await events.subscribe(
          configRepoPushSubscriber({
            environments: mlConfig.environments,
            poller,
            logger,
          }),
        );

        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            auth,
            permissions,
            catalog,
            store,
            poller,
            environments: mlConfig.environments,
            staleAfterMs: mlConfig.staleAfterMs,
          }),
        );
      },
    });
  },
});
