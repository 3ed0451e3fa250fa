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

import { isError } from '@backstage/errors';
import {
  evaluateGates,
  GateEvaluation,
  markdownText,
  ModelManifest,
  RegistryVersion,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  RegistryAccess,
  registryAccess,
  resolveStorageLocation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { MlGitopsActionsConfig } from './config';

/*
 * What the model registry says about a version before a change ships it:
 * whether it exists, is registered and not rejected, passes the manifest's
 * gate, and where its files are (`storage_uri`).
 */

/** What the registry says about a version, and why it must not ship. */
export type RegistryFacts = {
  registry: string;
  url?: string;
  version?: RegistryVersion;
  metrics: Record<string, number>;
  gate: GateEvaluation;
  /** Reasons to refuse; empty when the version may be deployed. */
  blockers: string[];
  /**
   * The blockers `force` cannot override: a version with no model a server
   * could load (MLflow: PENDING_REGISTRATION or FAILED_REGISTRATION;
   * Kubeflow: no model artifact with a uri), and a rejected version, which
   * needs un-rejecting first.
   */
  unforceable?: string[];
};

export type { RegistryAccess } from '@ml-gitops/plugin-ml-gitops-node';

/**
 * The registry named by the entity's annotation or the manifest, or the only
 * configured one, with a client when it is of a supported type.
 */
export function registryFor(
  config: MlGitopsActionsConfig,
  options: { registryName?: string; manifest: Pick<ModelManifest, 'registry'> },
): RegistryAccess {
  return registryAccess(config.registries, {
    ...options,
    clients: config.registryClients,
  });
}

export async function checkRegistry(
  config: MlGitopsActionsConfig,
  options: {
    registryName?: string;
    model: string;
    version: string;
    manifest: ModelManifest;
  },
): Promise<RegistryFacts> {
  const gates = options.manifest.gates?.metrics;
  const noGate = evaluateGates(undefined, {});
  const registry = registryFor(config, options);
  const client = registry.client;
  if (!client) {
    return {
      registry: registry.name,
      ...(registry.url ? { url: registry.url } : {}),
      metrics: {},
      gate: noGate,
      blockers: [registry.problem!],
    };
  }
  const id = `${options.model} version ${options.version}`;
  try {
    const version = await client.getVersion(options.model, options.version);
    if (!version) {
      return {
        registry: registry.name,
        url: registry.url,
        metrics: {},
        gate: evaluateGates(gates, {}),
        blockers: [
          `${id} does not exist in the registry ${registry.name} (${registry.url}); register it first or pick an existing version`,
        ],
      };
    }
    const read = await client.getMetrics(version);
    // Without metrics (no run) each gated metric is missing, and fails.
    const metrics = read.ok ? read.metrics : {};
    const gate = evaluateGates(gates, metrics);
    const blockers = [
      ...version.blockers.map(b => b.message),
      ...gate.results
        .filter(r => r.status !== 'passed')
        .map(r => `the gate fails: ${r.message}`),
    ];
    // Neither a version without model files nor a rejected one
    // (un-rejecting it is a right of its own) can be forced.
    const unforceable = version.blockers
      .filter(b => !b.forceable)
      .map(b => b.message);
    return {
      registry: registry.name,
      url: registry.url,
      version,
      metrics,
      gate,
      blockers,
      ...(unforceable.length > 0 ? { unforceable } : {}),
    };
  } catch (error) {
    return {
      registry: registry.name,
      url: registry.url,
      metrics: {},
      // Not known to pass: the blocker below refuses unless overridden.
      gate: { outcome: gates ? 'unknown' : 'none', results: [] },
      blockers: [
        `the registry could not be checked: ${
          isError(error) ? error.message : String(error)
        }`,
      ],
    };
  }
}

/**
 * Where the registry keeps `version`, as KServe reads it: the value of the
 * manifest's `storage_uri` (an addition to the design contract). Throws an
 * `InputError` saying what to configure when the location is not one KServe
 * reads, or the registry cannot say; `force` cannot override this, as the
 * cluster would serve other bytes than the version named.
 */
export async function resolveStorageUri(
  config: MlGitopsActionsConfig,
  options: {
    registryName?: string;
    manifest: Pick<ModelManifest, 'registry'>;
    model: string;
    version: string;
  },
): Promise<string> {
  return resolveStorageLocation(
    registryFor(config, options),
    options.model,
    options.version,
  );
}

/**
 * The `storage_uri` to write together with `version` when the manifest
 * declares one ({@link resolveStorageUri}); undefined when it does not (a
 * config repo whose chart loads the model otherwise).
 */
export async function storageUriFor(
  config: MlGitopsActionsConfig,
  options: {
    registryName?: string;
    manifest: ModelManifest;
    model: string;
    version: string;
  },
): Promise<string | undefined> {
  return options.manifest.storage_uri === undefined
    ? undefined
    : resolveStorageUri(config, options);
}

/** Markdown of the registry facts and gate, for pull request bodies. */
export function registrySection(facts: RegistryFacts): string {
  const lines: string[] = [];
  const v = facts.version;
  lines.push(
    `**Registry** ${facts.registry}${facts.url ? ` (${facts.url})` : ''}`,
  );
  if (v) {
    lines.push(
      '',
      `- status: ${markdownText(v.status)}${
        v.stage ? `, stage: ${markdownText(v.stage)}` : ''
      }${
        v.aliases.length
          ? `, aliases: ${v.aliases.map(markdownText).join(', ')}`
          : ''
      }`,
    );
    if (v.storageUri) {
      lines.push(`- model files: ${markdownText(v.storageUri)}`);
    }
    if (v.author) lines.push(`- author: ${markdownText(v.author)}`);
    if (v.runId) lines.push(`- run: ${markdownText(v.runId)}`);
    if (v.createdAt) lines.push(`- registered: ${markdownText(v.createdAt)}`);
  }
  lines.push('', `**Gate**: ${facts.gate.outcome}`);
  if (facts.gate.results.length > 0) {
    lines.push('', '| metric | value | gate | result |', '|---|---|---|---|');
    for (const r of facts.gate.results) {
      const bounds = [
        r.min !== undefined ? `>= ${r.min}` : '',
        r.max !== undefined ? `<= ${r.max}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(
        `| ${markdownText(r.metric)} | ${r.value ?? 'n/a'} | ${bounds} | ${
          r.status
        } |`,
      );
    }
  }
  return lines.join('\n');
}
