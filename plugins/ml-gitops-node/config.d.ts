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

/*
 * The `mlGitops` keys this library reads (readMlGitopsSharedConfig,
 * readArgoCdInstancesConfig in src/config.ts): the backend plugin and the
 * scaffolder module both depend on it, so these keys are declared here once
 * and the other packages declare only the keys they alone read.
 */
export interface Config {
  /** Configuration of ML GitOps for Backstage. */
  mlGitops?: {
    /**
     * The environments in promotion order; each is a branch of every config
     * repo. Default: [dev, staging, production].
     */
    environments?: string[];
    /**
     * The only GitHub organisations or users whose repos may be config
     * repos: `acme`, or `ghe.example.com/acme` for one host. An entity
     * annotated with, or a template given, a repo of another owner is
     * refused before any request. Default: unset, any repo the integration
     * can reach.
     */
    allowedOwners?: string[];
    /**
     * Argo CD instances that deploy config repos: the backend polls them,
     * `ml-gitops:config-repo:create` registers a new config repo's
     * Applications with them.
     */
    argocd?: {
      instances: Array<{
        /** A name for this instance, unique among the instances. */
        name: string;
        /** Base URL, e.g. https://argocd.example.com */
        url: string;
        /**
         * A bearer token (an Argo CD account or project token).
         * @visibility secret
         */
        token?: string;
        /** Username for session login, used when no token is given. */
        username?: string;
        /**
         * Password for session login.
         * @visibility secret
         */
        password?: string;
        /** Only list applications of these Argo CD projects. */
        projects?: string[];
      }>;
    };
    /**
     * Model registries: the backend reads versions, aliases and metrics;
     * the scaffolder actions check a version before they open a pull
     * request.
     */
    registries?: Array<{
      /** The name entities refer to with the ml-gitops/registry annotation. */
      name: string;
      /**
       * The registry type; `mlflow` (an MLflow tracking server) and
       * `kubeflow` (a Kubeflow Model Registry, REST API v1alpha3) are built
       * in.
       */
      type: string;
      /**
       * Base URL of the registry, e.g. https://mlflow.example.com, or the
       * Kubeflow Model Registry's REST service (the part before
       * /api/model_registry/v1alpha3), e.g. https://model-registry.example.com
       */
      url: string;
      /**
       * A bearer token for the registry, for a server behind a proxy that
       * takes bearer tokens (the Kubeflow Model Registry's auth proxy, e.g.
       * a Kubernetes service account token with read access to the
       * registry; rejecting a version needs write access). Not together with `username`: MLflow's own basic-auth
       * app (`mlflow server --app-name basic-auth`) answers a bearer token
       * with 401.
       * @visibility secret
       */
      token?: string;
      /**
       * The user for HTTP Basic auth, as MLflow's basic-auth app takes it;
       * set together with `password`. The backend needs READ on the
       * registered models (and on the experiments of their runs).
       */
      username?: string;
      /**
       * The password of `username`.
       * @visibility secret
       */
      password?: string;
      /**
       * The longest one request to this registry may take; default
       * mlGitops.requestTimeout (15 seconds). An addition to the design
       * contract.
       */
      timeout?: HumanDuration | string;
    }>;
  };
}
