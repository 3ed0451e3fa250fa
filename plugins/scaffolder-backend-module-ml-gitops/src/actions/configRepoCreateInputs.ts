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

import { makeValidator, parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkNonEmptyText,
  checkText,
  credentialFreeUrl,
  redactUrl,
} from './inputs';
import { MlGitopsActionsConfig } from './config';

// The checks of ml-gitops:config-repo:create's inputs: repo settings, operator and catalog entity.

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const OWNER =
  /^@[A-Za-z0-9-]{1,39}(\/[A-Za-z0-9_.-]{1,100})?$|^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}$/;
/** An MLflow metric name: letters, digits and _ - . / and space. */
const METRIC = /^[A-Za-z0-9_./-][A-Za-z0-9_. /-]{0,249}$/;

type RepoSettingsInput = {
  model: unknown;
  owners: unknown;
  gates?: Record<string, { min?: unknown; max?: unknown }>;
  registry?: unknown;
  runtime?: unknown;
  replicas?: unknown;
  description?: unknown;
  namespace?: unknown;
  argocdNamespace?: unknown;
  argocdProject?: unknown;
  destinationServer?: unknown;
  destinationName?: unknown;
  operator?: unknown;
  argocdInstance?: unknown;
  fluxCluster?: unknown;
  fluxNamespace?: unknown;
  fluxSecretRef?: unknown;
};

/**
 * Refuses settings that would not make a valid config repo, or that would
 * write something else than intended into its YAML, CODEOWNERS or
 * Applications.
 */
export function checkRepoSettings(
  input: RepoSettingsInput,
  config: MlGitopsActionsConfig,
) {
  const model = checkText(input.model, 'model', 63);
  if (!LABEL_VALUE.test(model)) {
    throw new InputError(
      `model "${model}" is not usable as a Kubernetes label value: 1 to 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric`,
    );
  }
  if (!Array.isArray(input.owners) || input.owners.length === 0) {
    throw new InputError('owners must list at least one code owner');
  }
  const badOwners = input.owners.filter(
    o => typeof o !== 'string' || !OWNER.test(o),
  );
  if (badOwners.length > 0) {
    throw new InputError(
      `owners ${badOwners
        .map(o => String(o).slice(0, 100))
        .join(
          ', ',
        )} are not CODEOWNERS entries; use @org/team, @user or an email`,
    );
  }
  const gates = input.gates ?? {};
  const badMetrics = Object.keys(gates).filter(k => !METRIC.test(k));
  if (badMetrics.length > 0) {
    throw new InputError(
      `gates ${badMetrics
        .map(k => JSON.stringify(k.slice(0, 100)))
        .join(
          ', ',
        )} are not registry metric names: letters, digits, "_", "-", ".", "/" and spaces`,
    );
  }
  const emptyGates = Object.keys(gates).filter(
    k => gates[k].min === undefined && gates[k].max === undefined,
  );
  if (emptyGates.length > 0) {
    throw new InputError(`gates ${emptyGates.join(', ')} need a min or a max`);
  }
  const badBounds = Object.keys(gates).filter(k =>
    [gates[k].min, gates[k].max].some(
      b => b !== undefined && !(typeof b === 'number' && Number.isFinite(b)),
    ),
  );
  if (badBounds.length > 0) {
    throw new InputError(
      `gates ${badBounds.join(', ')} need numbers as min and max`,
    );
  }
  if (
    input.registry !== undefined &&
    !config.registries.some(r => r.name === input.registry)
  ) {
    throw new InputError(
      `registry ${JSON.stringify(
        String(input.registry).slice(0, 100),
      )} is not configured; choose one of ${
        config.registries.map(r => r.name).join(', ') || '(none configured)'
      } (mlGitops.registries)`,
    );
  }
  if (input.runtime !== undefined) {
    checkDnsLabel(input.runtime, 'runtime', 'serving runtime');
  }
  if (
    input.replicas !== undefined &&
    !(
      Number.isInteger(input.replicas) &&
      (input.replicas as number) >= 0 &&
      (input.replicas as number) <= 1000
    )
  ) {
    throw new InputError('replicas must be a whole number from 0 to 1000');
  }
  if (input.description !== undefined) {
    checkNonEmptyText(input.description, 'description', 350);
  }
  if (input.namespace !== undefined) {
    const template = checkText(input.namespace, 'namespace', 63);
    for (const environment of config.environments) {
      checkDnsLabel(
        template.replace(/\{environment\}/g, environment),
        `namespace (for ${environment})`,
        'namespace',
      );
    }
  }
  if (input.argocdNamespace !== undefined) {
    checkDnsLabel(input.argocdNamespace, 'argocdNamespace', 'namespace');
  }
  if (input.argocdProject !== undefined) {
    checkDnsSubdomain(input.argocdProject, 'argocdProject', 'Argo CD project');
  }
  if (input.destinationServer !== undefined) {
    const server = checkText(
      input.destinationServer,
      'destinationServer',
      2048,
    );
    if (!credentialFreeUrl(server, ['https:'])) {
      throw new InputError(
        `destinationServer ${redactUrl(
          server,
        )} is not a cluster API URL: give https://host[:port] without credentials, e.g. https://kubernetes.default.svc`,
      );
    }
  }
  if (input.destinationName !== undefined) {
    if (input.destinationServer !== undefined) {
      throw new InputError(
        'give destinationServer or destinationName, not both: Argo CD picks the cluster by one of them',
      );
    }
    checkDnsSubdomain(
      input.destinationName,
      'destinationName',
      'Argo CD cluster name',
    );
  }
  if (input.fluxNamespace !== undefined) {
    checkDnsLabel(input.fluxNamespace, 'fluxNamespace', 'namespace');
  }
  if (input.fluxSecretRef !== undefined) {
    checkDnsSubdomain(input.fluxSecretRef, 'fluxSecretRef', 'Secret name');
  }
  resolveOperator(input, config);
}

/**
 * Which operator deploys the repo, and where its objects are registered:
 * `argocd` (one of `mlGitops.argocd.instances`), `flux` (a cluster of
 * `mlGitops.flux.clusters`) or `none` (the files are committed, nothing is
 * registered). The default is `argocd` when an instance is configured, else
 * `flux` when a Flux cluster is, else `none`.
 */
export function resolveOperator(
  input: {
    operator?: unknown;
    argocdInstance?: unknown;
    fluxCluster?: unknown;
    fluxNamespace?: unknown;
    fluxSecretRef?: unknown;
  },
  config: MlGitopsActionsConfig,
):
  | {
      operator: 'argocd';
      instance: NonNullable<MlGitopsActionsConfig['argocd']>[number];
    }
  | { operator: 'flux'; cluster: string }
  | { operator: 'none' } {
  const instances = config.argocd ?? [];
  const clusters = config.fluxClusters ?? [];
  let fallback = 'none';
  if (instances.length > 0) fallback = 'argocd';
  else if (clusters.length > 0) fallback = 'flux';
  const operator = input.operator ?? fallback;
  if (operator !== 'argocd' && input.argocdInstance !== undefined) {
    throw new InputError(
      `argocdInstance is set but operator is ${String(operator).slice(
        0,
        50,
      )}: drop one of them`,
    );
  }
  const fluxInputs = ['fluxCluster', 'fluxNamespace', 'fluxSecretRef'].filter(
    k => input[k as keyof typeof input] !== undefined,
  );
  if (operator !== 'flux' && fluxInputs.length > 0) {
    throw new InputError(
      `${fluxInputs.join(', ')} ${
        fluxInputs.length > 1 ? 'are' : 'is'
      } set but operator is ${String(operator).slice(
        0,
        50,
      )}: use operator flux, or drop them`,
    );
  }
  if (operator === 'none') return { operator: 'none' };
  if (operator === 'flux') {
    if (clusters.length === 0) {
      throw new InputError(
        'operator flux needs a cluster in mlGitops.flux.clusters; configure one, or use operator none to only commit the Flux objects',
      );
    }
    const name = input.fluxCluster ?? clusters[0];
    if (typeof name !== 'string' || !clusters.includes(name)) {
      throw new InputError(
        `fluxCluster ${JSON.stringify(
          String(name).slice(0, 100),
        )} is not configured; choose one of ${clusters.join(
          ', ',
        )} (mlGitops.flux.clusters)`,
      );
    }
    return { operator: 'flux', cluster: name };
  }
  if (operator !== 'argocd') {
    throw new InputError(
      `operator ${JSON.stringify(
        String(operator).slice(0, 50),
      )} is not known; use argocd, flux or none`,
    );
  }
  if (instances.length === 0) {
    throw new InputError(
      'operator argocd needs an Argo CD instance in mlGitops.argocd.instances; configure one, or use operator none to only commit the Applications',
    );
  }
  const name = input.argocdInstance ?? instances[0].name;
  const instance = instances.find(i => i.name === name);
  if (!instance) {
    throw new InputError(
      `argocdInstance ${JSON.stringify(
        String(name).slice(0, 100),
      )} is not configured; choose one of ${instances
        .map(i => i.name)
        .join(', ')} (mlGitops.argocd.instances)`,
    );
  }
  return { operator: 'argocd', instance };
}

const entityValidator = makeValidator();

/** The owner (and system) of the model's entity, when the repo holds it. */
export function checkEntityOwner(
  owner: string | undefined,
  system: string | undefined,
  autoRollback?: boolean,
): { owner: string; system?: string; autoRollback?: boolean } | undefined {
  if (owner === undefined || owner === '') {
    if (system) {
      throw new InputError('entitySystem needs entityOwner');
    }
    if (autoRollback) {
      throw new InputError(
        'autoRollback annotates the catalog entity the repo holds: it needs entityOwner',
      );
    }
    return undefined;
  }
  const refs = [
    ['entityOwner', owner, 'group'],
    ['entitySystem', system, 'system'],
  ] as const;
  for (const [field, value, kind] of refs) {
    if (value === undefined || value === '') continue;
    let valid: boolean;
    try {
      const ref = parseEntityRef(value, {
        defaultKind: kind,
        defaultNamespace: 'default',
      });
      valid =
        entityValidator.isValidKind(ref.kind) &&
        entityValidator.isValidNamespace(ref.namespace) &&
        entityValidator.isValidEntityName(ref.name);
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new InputError(
        `${field} ${JSON.stringify(
          value.slice(0, 100),
        )} is not an entity reference; use e.g. ${kind}:default/ml-platform`,
      );
    }
  }
  return {
    owner,
    ...(system ? { system } : {}),
    ...(autoRollback ? { autoRollback } : {}),
  };
}
