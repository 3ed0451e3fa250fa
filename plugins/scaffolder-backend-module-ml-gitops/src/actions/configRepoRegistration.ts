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

import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { argoApplication } from './configRepoArgoCd';
import { fluxHelmRelease, fluxObjects } from './configRepoFlux';
import { ConfigRepoSpec } from './configRepoSpec';
import {
  ArgoCdApplicationsClient,
  registerApplication,
} from './argoCdApplications';
import { FluxRegistrationClient } from './fluxRegistration';
import { resolveOperator } from './configRepoCreateInputs';

// Registering a new config repo with its operator: Argo CD Applications or Flux objects, and what a dry run would register.

/** What the steps need of the action context. */
type StepContext = Pick<
  ActionContext<any, any, any>,
  'logger' | 'checkpoint' | 'output'
>;

/** Who deploys the repo, as {@link resolveOperator} decides. */
export type Registration = ReturnType<typeof resolveOperator>;

/** Logs what a real run would register, and outputs it as `dry-run`. */
export function logDryRunRegistration(
  ctx: StepContext,
  spec: ConfigRepoSpec,
  registration: Registration,
): void {
  const { environments } = spec;
  if (registration.operator === 'argocd') {
    for (const environment of environments) {
      const app = argoApplication(spec, environment);
      ctx.logger.info(
        `Dry run: would register with Argo CD "${
          registration.instance.name
        }" (${registration.instance.url}):\n${yaml.stringify(app)}`,
      );
    }
    ctx.output(
      'applications',
      environments.map(environment => ({
        name: argoApplication(spec, environment).metadata.name,
        instance: registration.instance.name,
        registration: 'dry-run' as const,
      })),
    );
  }
  if (registration.operator === 'flux') {
    const objects = environments.flatMap(e => fluxObjects(spec, spec.flux!, e));
    for (const object of objects) {
      ctx.logger.info(
        `Dry run: would apply on cluster "${
          registration.cluster
        }" (server-side, field manager ml-gitops):\n${yaml.stringify(object)}`,
      );
    }
    ctx.output(
      'fluxObjects',
      objects.map(o => ({
        kind: o.kind,
        name: `${o.metadata.namespace}/${o.metadata.name}`,
        cluster: registration.cluster,
        registration: 'dry-run' as const,
      })),
    );
  }
}

/**
 * Registers the pushed repo with its operator: applies the Flux objects on
 * the cluster (server-side), or registers one Argo CD Application per
 * environment; `none` registers nothing and says so.
 */
export async function registerConfigRepo(
  ctx: StepContext,
  spec: ConfigRepoSpec,
  registration: Registration,
  options: {
    rootConfig?: Config;
    discovery?: DiscoveryService;
    auth?: AuthService;
    kubernetesFetch?: typeof fetch;
    replaceApplications?: boolean;
  },
): Promise<void> {
  const { environments } = spec;
  if (registration.operator === 'none') {
    ctx.logger.warn(
      `Registered nothing (operator none): until argocd/<environment>.yaml are applied in Argo CD's namespace, nothing deploys ${spec.model}`,
    );
    return;
  }
  if (registration.operator === 'flux') {
    // After the push: the GitRepository fetches the branch at once.
    const client = FluxRegistrationClient.fromConfig(
      options.rootConfig ?? new ConfigReader({}),
      registration.cluster,
      {
        discovery: options.discovery,
        auth: options.auth,
        ...(options.kubernetesFetch ? { fetch: options.kubernetesFetch } : {}),
      },
    );
    const applied = [];
    const objects = environments.flatMap(e => fluxObjects(spec, spec.flux!, e));
    // The HelmRelease is applied by Flux from the branch: its API must be served too.
    const apiVersions = new Set([
      ...objects.map(o => o.apiVersion),
      fluxHelmRelease(spec, spec.flux!).apiVersion,
    ]);
    for (const apiVersion of apiVersions) {
      await client.checkServed(apiVersion, spec.flux!.namespace);
    }
    for (const object of objects) {
      const name = `${object.metadata.namespace}/${object.metadata.name}`;
      const result = await ctx.checkpoint({
        key: `ml-gitops.config-repo.flux.${registration.cluster}.${object.kind}.${name}`,
        fn: async () => client.apply(object),
      });
      ctx.logger.info(
        `${
          {
            created: 'Applied',
            unchanged: 'Already applied, unchanged:',
            updated: 'Updated',
          }[result]
        } ${object.kind} ${name} on cluster "${registration.cluster}"`,
      );
      applied.push({
        kind: object.kind,
        name,
        cluster: registration.cluster,
        registration: result,
      });
    }
    ctx.output('fluxObjects', applied);
    return;
  }
  // After the push: Argo CD validates that it can read the branches.
  const client = ArgoCdApplicationsClient.create(registration.instance);
  const registered = [];
  for (const environment of environments) {
    const app = argoApplication(spec, environment);
    const result = await ctx.checkpoint({
      key: `ml-gitops.config-repo.register.${registration.instance.name}.${app.metadata.namespace}.${app.metadata.name}`,
      fn: async () =>
        registerApplication(client, app, {
          replace: options.replaceApplications ?? false,
        }),
    });
    ctx.logger.info(
      `${
        {
          created: 'Registered',
          unchanged: 'Already registered, unchanged:',
          updated: 'Replaced the spec of',
        }[result]
      } Application ${app.metadata.name} (project ${
        app.spec.project
      }) with Argo CD "${registration.instance.name}"`,
    );
    registered.push({
      name: app.metadata.name,
      instance: registration.instance.name,
      registration: result,
    });
  }
  ctx.output('applications', registered);
}
