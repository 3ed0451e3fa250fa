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

import { HumanDuration } from '@backstage/types';
import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

/*
 * The keys only the backend reads. `mlGitops.environments`, `allowedOwners`,
 * `registries` and `argocd.instances` are declared by
 * `@ml-gitops/plugin-ml-gitops-node` (its config.d.ts), which reads them for
 * the backend and the scaffolder actions alike.
 */
export interface Config {
  /** Configuration of ML GitOps for Backstage. */
  mlGitops?: {
    /**
     * How often the backend polls Git, Argo CD, Flux and the registry.
     * Default: every 30 seconds, with a 2 minute timeout.
     */
    schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    /**
     * How long live and declared versions may differ before the environment
     * counts as drifted. Default: 5 minutes.
     */
    driftGracePeriod?: HumanDuration | string;
    /**
     * The target for rollbacks, from merge to the previous version serving.
     * Default: 5 minutes.
     */
    rollbackTarget?: HumanDuration | string;
    /**
     * Following changes between polls. An addition to the design contract.
     */
    watch?: {
      /**
       * Follow Argo CD's application event stream and Kubernetes watches on
       * Flux objects and InferenceServices, and show what they report within
       * seconds; the scheduled poll stays the consistency check. One backend
       * replica watches at a time. false: polling only. Default: true.
       */
      enabled?: boolean;
    };
    /** How many models are polled at the same time. Default: 8. */
    concurrency?: number;
    /**
     * The automatic rollback: the backend opens the rollback pull request
     * itself when an opted-in model's declared version fails its canary
     * analysis or does not serve in time; merging stays with people. A
     * model opts in with the annotation `ml-gitops/auto-rollback: "true"`.
     * An addition to the design contract.
     */
    autoRollback?: {
      /**
       * Every model takes part unless its annotation says "false".
       * Default: false (only models annotated "true").
       */
      allModels?: boolean;
      /** The settings of every environment without its own. */
      default?: MlGitopsAutoRollbackSettings;
      /** The settings of one environment, by its name. */
      environments?: { [environment: string]: MlGitopsAutoRollbackSettings };
    };
    /**
     * How long one HTTP request to Argo CD, a Kubernetes cluster, a model
     * registry or the Git host may take; a request that takes longer fails
     * and only the environments that need that system become `unknown`.
     * Default: 15 seconds.
     */
    requestTimeout?: HumanDuration | string;
    /**
     * The shortest time between two polls of one model outside the schedule
     * (a push webhook, `POST /v1/refresh`): requests in between are folded
     * into one poll at the end of it, and the fleet's operator state read
     * in that time is reused. Default: 10 seconds.
     */
    refreshMinInterval?: HumanDuration | string;
    /**
     * Reading the older first-parent history of environment branches (what
     * the first read of a branch, its newest 50 commits, left), newest
     * first, spread over the scheduled cycles. An addition to the design
     * contract.
     */
    historyBackfill?: {
      /**
       * GitHub REST requests each scheduled cycle may send for it, across
       * the fleet; 0 reads no older history. At least 8 (what one commit
       * may cost) otherwise. Default: 20.
       */
      requestsPerCycle?: number;
      /**
       * GitHub REST requests each scheduled cycle may send, across the
       * fleet, for the newest commits of branches read for the first time;
       * a branch beyond it is declared from its head at once and its
       * history is read as older history. 0 or more. Default: 500.
       */
      firstReadRequestsPerCycle?: number;
    };
    /**
     * Reading the model registries. An addition to the design contract.
     */
    registry?: {
      /**
       * How often the aliases, stage and tags (a rejection) of a READY
       * version in use are read again; its registration facts and the
       * metrics of its finished run are read once and kept. A rejection or
       * an alias moved in the registry shows within this time. Each version
       * is read at its own phase of the period, so a steady cycle reads
       * about (versions in use) × schedule ÷ recheckAfter versions, one
       * request each. At least a second. Default: 5 minutes.
       */
      recheckAfter?: HumanDuration | string;
    };
    /**
     * How old polled data may get before the UI marks it stale ("stale:
     * last observed 12 min ago") and `GET /v1/health` reports the poller
     * stale. Default: three times `schedule.frequency`; required when the
     * frequency is a cron expression or a manual trigger. The UI receives
     * it in each answer of `GET /v1/deployments` and `GET /v1/fleet`.
     */
    staleAfter?: HumanDuration | string;
    /** Alerts to the owners of a model (Backstage notifications). */
    alerts?: {
      /**
       * How long an environment may stay `unknown` or `missing` before its
       * owners are notified, once until it is observed again. Default: 30
       * minutes.
       */
      unknownAfter?: HumanDuration | string;
    };
    /**
     * How ML GitOps reads the clusters of the Kubernetes plugin (every
     * cluster it reaches, through its proxy). An addition to the design
     * contract.
     */
    kubernetes?: {
      /**
       * Tokens for clusters with the `oidc` auth provider, by their
       * `oidcTokenProvider` (e.g. `okta`): the poller has no signed-in user
       * whose ID token the Kubernetes plugin could pass on. Without an entry,
       * the clusters of that provider are not read.
       */
      oidcTokens?: {
        [provider: string]: {
          /**
           * A token the clusters accept.
           * @visibility secret
           */
          token?: string;
          /** A file holding the token, re-read at every request (for a token something else renews). */
          tokenFile?: string;
        };
      };
    };
    /** Flux: clusters (by name, as the Kubernetes plugin lists them) on which Flux applies config repos. */
    flux?: {
      clusters: string[];
    };
  };
}

/** How the automatic rollback acts in an environment. */
interface MlGitopsAutoRollbackSettings {
  /**
   * Whether it acts in this environment. Default: true in the last
   * environment of the promotion order (production), false elsewhere.
   */
  enabled?: boolean;
  /** Roll back when the canary analysis of the declared version fails. Default: true. */
  onCanaryFailure?: boolean;
  /** Roll back when the declared version has not served notServingAfter after its merge. Default: true. */
  onNotServing?: boolean;
  /** Default: 10 minutes. */
  notServingAfter?: HumanDuration | string;
  /** Mark the version left rejected in the registry. Default: true. */
  rejectVersion?: boolean;
}
