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
 * The keys only the scaffolder actions read. `mlGitops.environments`,
 * `allowedOwners`, `registries` and `argocd.instances` are declared by
 * `@ml-gitops/plugin-ml-gitops-node` (its config.d.ts), which reads them for
 * the actions and the backend alike.
 */
export interface Config {
  mlGitops?: {
    /**
     * Where the ml-gitops:secret:seal scaffolder action gets each cluster's
     * Sealed Secrets certificate. Only these URLs are ever fetched: a step
     * cannot give a URL of its own. Read and checked when the backend
     * starts; a bad value stops it with a message naming the key.
     */
    sealedSecrets?: {
      /**
       * The Sealed Secrets controller's certificate (its /v1/cert.pem, as
       * `kubeseal --fetch-cert` gets it) for every environment without a
       * certificateUrl of its own under `environments`. An absolute URL
       * without credentials; https unless NODE_ENV is development or test.
       * Fetched without following redirects, within 10 seconds, at most
       * 64 KiB, and only a PEM certificate with an RSA key is used.
       */
      certificateUrl?: string;
      /**
       * Per environment (a name of mlGitops.environments), the certificate
       * of the controller in the cluster that environment runs in, e.g.
       * `production: { certificateUrl: https://sealed-secrets.prod.example.com/v1/cert.pem }`.
       * Overrides `certificateUrl` for that environment; same rules.
       */
      environments?: {
        [environment: string]: {
          /** The certificate URL of this environment's Sealed Secrets controller. */
          certificateUrl: string;
        };
      };
      /**
       * Whether a step may seal with a certificate PEM it passes itself
       * (the action's `certificate` input) instead of the configured one.
       * Off by default: a pasted certificate may belong to anyone, and
       * whoever holds its private key can open what was sealed with it.
       * Turn on only for clusters whose controller Backstage cannot reach.
       */
      allowPastedCertificate?: boolean;
    };
    /**
     * The GitHub App that branch protection requires the ml-gitops/validate
     * check from, on the branches of a config repo that
     * ml-gitops:config-repo:create makes: the app whose GITHUB_TOKEN the
     * validate workflow runs with. Default on github.com: GitHub Actions
     * (15368). On GitHub Enterprise Server look up the id of its
     * github-actions app; without it the check is bound to no app, and
     * any writer could set it by hand.
     */
    validateCheckAppId?: number;
  };
}
