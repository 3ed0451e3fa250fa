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
  createRegistryClient,
  DEFAULT_MANIFEST_PATH,
  ModelRegistryClient,
} from '@ml-gitops/plugin-ml-gitops-common';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkApproval, GitHubContext, GitLabContext } from './checks/approval';
import { stricterGates } from './checks/protectedChanges';
import { checkChanges } from './checks/changes';
import { checkFreeze } from './checks/freeze';
import { checkIntegration } from './checks/integration';
import { checkLayout } from './checks/layout';
import { checkManifest } from './checks/manifest';
import { checkRegistry, ManifestLocation } from './checks/registry';
import { checkSecrets } from './checks/secrets';
import { describeError, UsageError } from './lib/errors';
import { resolveInRepo } from './lib/files';
import { PullRequestLabels } from './lib/labels';
import { CheckResult, exitCodeOf, skipped, ValidateReport } from './report';

/** Everything `ml-gitops validate` needs, already checked for usage errors. */
export type ValidateOptions = {
  /** The repository root (absolute). */
  root: string;
  /** The manifest path relative to the root. */
  manifestPath?: string;
  /** The registry's URL; undefined means not configured. */
  registryUrl?: string;
  /** `mlflow` (the default) or `kubeflow`. */
  registryType?: string;
  registryToken?: string;
  /** HTTP Basic credentials for MLflow's basic-auth app (both or neither). */
  registryUsername?: string;
  registryPassword?: string;
  /** Environment variables holding credentials, hidden from integration checks. */
  secretEnvNames?: string[];
  /** Skip the registry and gate checks on purpose. */
  skipRegistry?: boolean;
  skipIntegration?: boolean;
  /** Compare with this Git ref. */
  base?: string;
  /** The environment name; defaults to the base branch's name. */
  environment?: string;
  /** The pull request's labels (a rollback is labelled ml-gitops/rollback). */
  labels?: PullRequestLabels;
  /** The time freezes are judged at; now by default (tests). */
  now?: Date;
  /** Timeout of one registry request. */
  registryTimeoutMs?: number;
  /** A fetch to use for the registry (tests). */
  fetch?: typeof fetch;
  /** Where approvals of protected changes are read (with --base). */
  github?: GitHubContext;
  /** Set on GitLab: approvals are read from the merge request instead. */
  gitlab?: GitLabContext;
};

const REGISTRY_TITLES = {
  registry: 'Model version in the registry',
  gate: 'Performance gate',
};

/** Runs every check and returns the report. Throws UsageError for exit 2. */
export async function validate(
  options: ValidateOptions,
): Promise<ValidateReport> {
  const stat = await fs.stat(options.root).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new UsageError(
      `${options.root} is not a directory; pass the config repo's checkout`,
    );
  }
  const root = await fs.realpath(options.root);
  const manifestGiven = options.manifestPath ?? DEFAULT_MANIFEST_PATH;
  const manifestFile = resolveInRepo(root, manifestGiven);
  if (!('absolute' in manifestFile)) {
    throw new UsageError(
      `--manifest: ${manifestFile.message} (fix: ${manifestFile.fix})`,
    );
  }

  const checks: CheckResult[] = [];
  const manifest = await checkManifest(root, manifestFile);
  checks.push(manifest.result);
  checks.push(await checkLayout(root));

  const location: ManifestLocation = {
    file: manifestFile.relative,
    text: manifest.bytes ? new TextDecoder().decode(manifest.bytes) : '',
  };

  // The base is read first: the approval check decides whose gate
  // thresholds apply, and the secret scan reads the pull request's commits.
  const changes =
    options.base === undefined
      ? undefined
      : await checkChanges(
          root,
          manifestFile.relative,
          options.base,
          manifest.manifest,
          options.environment,
        );
  let approval: CheckResult | undefined;
  let gated = manifest.manifest;
  let gatesFromBase = false;
  if (changes?.base) {
    const checked = await checkApproval({
      root,
      manifestPath: manifestFile.relative,
      location,
      base: changes.base,
      head: manifest.manifest,
      changedFiles:
        (changes.result.details?.changedFiles as string[] | undefined) ?? [],
      github: options.github ?? {
        tokenHint: 'set GITHUB_TOKEN or pass --github-token-env NAME',
        apiUrl: 'https://api.github.com',
      },
      gitlab: options.gitlab,
    });
    approval = checked.result;
    const baseGates = changes.base.manifest?.gates?.metrics;
    if (!checked.gatesApproved && gated && baseGates) {
      gated = {
        ...gated,
        gates: { metrics: stricterGates(baseGates, gated.gates?.metrics) },
      };
      gatesFromBase = true;
    }
  }

  // Registry and gate.
  if (options.skipRegistry) {
    checks.push(
      skipped(
        'registry',
        REGISTRY_TITLES.registry,
        'skipped on request (--skip-registry)',
      ),
      skipped(
        'gate',
        REGISTRY_TITLES.gate,
        'skipped on request (--skip-registry)',
      ),
    );
  } else if (!options.registryUrl) {
    const summary =
      'no registry configured: pass --registry-url URL or set ML_GITOPS_REGISTRY_URL (or --skip-registry to skip on purpose)';
    for (const id of ['registry', 'gate'] as const) {
      checks.push({
        id,
        title: REGISTRY_TITLES[id],
        status: 'not-run',
        summary,
        findings: [],
      });
    }
  } else if (!manifest.manifest) {
    checks.push(
      skipped(
        'registry',
        REGISTRY_TITLES.registry,
        'not run: the manifest is invalid',
      ),
      skipped('gate', REGISTRY_TITLES.gate, 'not run: the manifest is invalid'),
    );
  } else {
    let client: ModelRegistryClient;
    const kubeflow = options.registryType === 'kubeflow';
    try {
      client = createRegistryClient({
        type: options.registryType ?? 'mlflow',
        baseUrl: options.registryUrl,
        token: options.registryToken,
        username: options.registryUsername,
        password: options.registryPassword,
        credentialsHint: kubeflow
          ? '--token-env (or ML_GITOPS_REGISTRY_TOKEN)'
          : '--username and --password-env (or ML_GITOPS_REGISTRY_USERNAME and ML_GITOPS_REGISTRY_PASSWORD)',
        fetch: options.fetch,
        timeoutMs: options.registryTimeoutMs,
      });
    } catch (error) {
      throw new UsageError(`--registry-url: ${describeError(error)}`);
    }
    const { registry, gate } = await checkRegistry(
      gated ?? manifest.manifest,
      client,
      location,
    );
    if (gatesFromBase) {
      gate.summary += ` (thresholds of ${changes?.base?.ref}, or stricter: the pull request's gate change is not approved)`;
    }
    checks.push(registry, gate);
  }

  checks.push(
    await checkSecrets(
      root,
      changes?.base
        ? { base: { ref: changes.base.ref, commit: changes.base.commit } }
        : {},
    ),
  );

  if (options.skipIntegration) {
    checks.push(
      skipped(
        'integration',
        'Integration checks',
        'skipped on request (--skip-integration)',
      ),
    );
  } else if (!manifest.manifest) {
    checks.push(
      skipped(
        'integration',
        'Integration checks',
        'not run: the manifest is invalid',
      ),
    );
  } else {
    checks.push(
      await checkIntegration(
        root,
        manifest.manifest,
        location,
        {
          ML_GITOPS_MODEL_NAME: manifest.manifest.model_name,
          ML_GITOPS_MODEL_VERSION: manifest.manifest.model_version,
          ...(options.registryUrl
            ? { ML_GITOPS_REGISTRY_URL: options.registryUrl }
            : {}),
        },
        options.secretEnvNames,
      ),
    );
  }

  if (changes) {
    checks.push(changes.result);
    checks.push(
      changes.base
        ? await checkFreeze({
            root,
            manifestPath: manifestFile.relative,
            location,
            base: changes.base,
            current: manifest.manifest,
            labels: options.labels ?? { names: [], source: 'none' },
            now: options.now,
          })
        : skipped(
            'freeze',
            'Environment freeze',
            'not run: the base could not be read',
          ),
    );
    checks.push(
      approval ??
        skipped(
          'approval',
          'Code owner approval',
          'not run: the base could not be read',
        ),
    );
  }

  return {
    root: path.resolve(options.root),
    manifest: manifestFile.relative,
    checks,
    exitCode: exitCodeOf(checks),
  };
}
