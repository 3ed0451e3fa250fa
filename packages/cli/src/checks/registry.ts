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
  evaluateGates,
  ModelManifest,
  ModelRegistryClient,
  REJECTED_TAG,
  RegistryVersionBlocker,
} from '@ml-gitops/plugin-ml-gitops-common';
import { describeError } from '../lib/errors';
import { positionOf } from '../lib/positions';
import { CheckResult, failed, Finding, passed, skipped } from '../report';

const REGISTRY_TITLE = 'Model version in the registry';
const GATE_TITLE = 'Performance gate';

/** Where the registry checks report, for annotations. */
export type ManifestLocation = { file: string; text: string };

function at(location: ManifestLocation, path: Array<string | number>) {
  return { file: location.file, ...positionOf(location.text, path) };
}

function errorResult(
  id: 'registry' | 'gate',
  title: string,
  error: unknown,
  location: ManifestLocation,
): CheckResult {
  const message = describeError(error);
  return {
    id,
    title,
    status: 'error',
    summary: `registry check could not run: ${message}`,
    findings: [
      {
        severity: 'error',
        ...at(location, ['model_version']),
        message: `the registry could not be asked: ${message}`,
        fix: 'This is not a pass: fix the registry URL, token or network and run the check again',
      },
    ],
  };
}

/**
 * Checks that the declared version exists in the registry, is ready (MLflow:
 * READY and not Archived; Kubeflow: LIVE with a model artifact that has a
 * uri) and not rejected; then the performance gate against its metrics
 * (MLflow: its run's; Kubeflow: its numeric custom properties).
 */
export async function checkRegistry(
  manifest: ModelManifest,
  client: ModelRegistryClient,
  location: ManifestLocation,
): Promise<{ registry: CheckResult; gate: CheckResult }> {
  const name = manifest.model_name;
  const version = manifest.model_version;
  const gateBlocked = (why: string) => skipped('gate', GATE_TITLE, why);

  let modelVersion;
  try {
    modelVersion = await client.getVersion(name, version);
  } catch (error) {
    return {
      registry: errorResult('registry', REGISTRY_TITLE, error, location),
      gate: gateBlocked('not run: the registry could not be asked'),
    };
  }
  if (!modelVersion) {
    let hint = `Register version ${version} of ${name} first, or set model_version to an existing version`;
    try {
      const existing = client.listVersions
        ? await client.listVersions(name)
        : [];
      if (!existing) {
        hint = `No model named ${name} is registered at ${client.url}: check model_name`;
      } else if (existing.length > 0) {
        const shown = existing.slice(0, 10);
        hint += ` (existing versions, newest first: ${shown.join(', ')}${
          existing.length > shown.length ? `, … ${existing.length} in all` : ''
        })`;
      }
    } catch {
      // The hint is optional.
    }
    return {
      registry: failed(
        'registry',
        REGISTRY_TITLE,
        `${name} version ${version} does not exist`,
        [
          {
            severity: 'error',
            ...at(location, ['model_version']),
            message: `${name} version ${version} does not exist in the registry at ${client.url}`,
            fix: hint,
          },
        ],
      ),
      gate: gateBlocked('not run: the version does not exist'),
    };
  }

  const fixOf = (blocker: RegistryVersionBlocker) => {
    if (blocker.fix) return blocker.fix;
    if (blocker.kind === 'pending') {
      return 'Wait until MLflow shows the version as READY, then re-run this check (re-run the pull request job)';
    }
    if (blocker.kind === 'rejected') {
      return 'Deploy another version; if the rejection no longer holds, un-reject this one first and re-run this check';
    }
    return `Deploy a version that is READY, not Archived and not tagged ${REJECTED_TAG.key}=${REJECTED_TAG.value}`;
  };
  // The manifest's storage_uri must be where the registry keeps this
  // version (an addition to the design contract): otherwise the cluster
  // would serve other bytes than the version the pull request names.
  const storageFindings: Finding[] = [];
  let storageUri: string | undefined;
  if (manifest.storage_uri !== undefined) {
    let artifact;
    try {
      artifact = await client.resolveServingArtifact(name, version);
    } catch (error) {
      return {
        registry: errorResult('registry', REGISTRY_TITLE, error, location),
        gate: gateBlocked('not run: the registry could not be asked'),
      };
    }
    const here = at(location, ['storage_uri']);
    if (!artifact) {
      storageFindings.push({
        severity: 'error',
        ...here,
        message: `the registry at ${client.url} gives no artifact location for ${name} version ${version}`,
        fix: `Check the version in ${registryLabel(
          client,
        )} and re-run this check`,
      });
    } else if (!artifact.ok) {
      storageFindings.push({
        severity: 'error',
        ...here,
        message: `storage_uri cannot be checked: ${artifact.problem}`,
        fix: artifact.fix,
      });
    } else if (artifact.storageUri !== manifest.storage_uri) {
      storageFindings.push({
        severity: 'error',
        ...here,
        message: `storage_uri ${
          manifest.storage_uri
        } is not where the registry keeps ${name} version ${version}: ${
          artifact.storageUri
        }${
          artifact.registryUri === artifact.storageUri
            ? ''
            : ` (${registryLabel(client)}: ${artifact.registryUri})`
        }`,
        fix: `Set storage_uri: "${artifact.storageUri}"; the deploy, promote and rollback actions write it together with model_version`,
      });
    } else {
      storageUri = artifact.storageUri;
    }
  }
  const registryDetails = {
    url: client.url,
    version: modelVersion,
    ...(storageUri ? { storageUri } : {}),
  };
  const problems = [
    ...modelVersion.blockers.map(blocker => ({
      severity: 'error' as const,
      ...at(location, ['model_version']),
      message: blocker.message,
      fix: fixOf(blocker),
    })),
    ...storageFindings,
  ];
  const registry =
    problems.length > 0
      ? failed(
          'registry',
          REGISTRY_TITLE,
          problems.map(p => p.message).join('; '),
          problems,
          registryDetails,
        )
      : passed(
          'registry',
          REGISTRY_TITLE,
          `${name} version ${version} is ${modelVersion.status}${
            modelVersion.stage && modelVersion.stage !== 'None'
              ? ` (stage ${modelVersion.stage})`
              : ''
          }${
            modelVersion.aliases.length
              ? `, aliases ${modelVersion.aliases.join(', ')}`
              : ''
          }${storageUri ? `; storage_uri is its artifact location` : ''}`,
          [],
          registryDetails,
        );

  const gates = manifest.gates?.metrics;
  if (!gates || Object.keys(gates).length === 0) {
    return {
      registry,
      gate: skipped('gate', GATE_TITLE, 'no gates.metrics in the manifest'),
    };
  }
  let read;
  try {
    read = await client.getMetrics(modelVersion);
  } catch (error) {
    return { registry, gate: errorResult('gate', GATE_TITLE, error, location) };
  }
  if (!read.ok) {
    return {
      registry,
      gate: failed('gate', GATE_TITLE, read.summary, [
        {
          severity: 'error',
          ...at(location, ['gates', 'metrics']),
          message: read.problem,
          fix: read.fix,
        },
      ]),
    };
  }
  const evaluation = evaluateGates(gates, read.metrics);
  const findings: Finding[] = evaluation.results
    .filter(r => r.status !== 'passed')
    .map(r => ({
      severity: 'error' as const,
      ...at(location, ['gates', 'metrics', r.metric]),
      message: r.message,
      fix:
        r.status === 'missing'
          ? missingFix(r.metric, read.source.kind, read.metrics)
          : `Deploy a version that meets the gate; lowering the threshold needs a reviewed reason`,
    }));
  const details = {
    ...(read.source.kind === 'run'
      ? { runId: read.source.runId }
      : { metricsFrom: 'custom properties' }),
    metrics: read.metrics,
    results: evaluation.results,
  };
  const gate =
    evaluation.outcome === 'passed'
      ? passed(
          'gate',
          GATE_TITLE,
          evaluation.results.map(r => r.message).join('; '),
          [],
          details,
        )
      : failed(
          'gate',
          GATE_TITLE,
          `${findings.length} of ${evaluation.results.length} gated metric${
            evaluation.results.length === 1 ? '' : 's'
          } failed`,
          findings,
          details,
        );
  return { registry, gate };
}

function missingFix(
  metric: string,
  source: 'run' | 'custom-properties',
  metrics: Record<string, number>,
): string {
  const known = Object.keys(metrics).join(', ') || 'none';
  return source === 'run'
    ? `Log ${metric} in the training run, or remove it from gates.metrics (metrics of the run: ${known})`
    : `Set ${metric} as a numeric custom property (MetadataDoubleValue or MetadataIntValue) of the version in the Kubeflow Model Registry, or remove it from gates.metrics (numeric custom properties of the version: ${known})`;
}

/** How messages name the registry's kind. */
function registryLabel(client: ModelRegistryClient): string {
  switch (client.type) {
    case 'mlflow':
      return 'MLflow';
    case 'kubeflow':
      return 'the Kubeflow Model Registry';
    default:
      return 'the registry';
  }
}
