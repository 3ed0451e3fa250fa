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

// What a promotion's source environment shows: its live status from the ml-gitops backend, and its canary analysis as the pull request states it.
import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import {
  CanaryAnalysis,
  DeploymentsResponse,
  describeCanary,
  EnvironmentStatus,
  markdownText,
} from '@ml-gitops/plugin-ml-gitops-common';

/** The live status of a promotion's source environment, as the ml-gitops backend reports it. */
export type LiveCheck =
  | { kind: 'ok'; status: EnvironmentStatus }
  | { kind: 'bad'; status: EnvironmentStatus; problem: string }
  | { kind: 'unknown'; problem: string };

/**
 * Asks the ml-gitops backend, as the person who started the task, whether
 * `environment` of the model is in-sync and healthy; `unknown` when the
 * backend is not wired to the action or cannot tell.
 */
export async function checkLiveStatus(
  options: { discovery?: DiscoveryService; auth?: AuthService },
  initiator: () => Promise<BackstageCredentials>,
  entityRef: string | undefined,
  environment: string,
): Promise<LiveCheck> {
  if (!options.discovery || !options.auth) {
    return {
      kind: 'unknown',
      problem: 'the ml-gitops backend is not wired to this action',
    };
  }
  if (!entityRef) {
    return {
      kind: 'unknown',
      problem: 'the live status needs entityRef; only a repoUrl was given',
    };
  }
  let body: DeploymentsResponse;
  try {
    const baseUrl = await options.discovery.getBaseUrl('ml-gitops');
    // As the person who started the task: the backend shows them only the
    // models they may read, as it would in their browser.
    const { token } = await options.auth.getPluginRequestToken({
      onBehalfOf: await initiator(),
      targetPluginId: 'ml-gitops',
    });
    const response = await fetch(
      `${baseUrl}/v1/deployments?${new URLSearchParams({ entityRef })}`,
      {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(15_000),
      },
    );
    if (!response.ok) {
      return {
        kind: 'unknown',
        problem: `the ml-gitops backend answered ${response.status} ${response.statusText}`,
      };
    }
    body = (await response.json()) as DeploymentsResponse;
  } catch (error) {
    return {
      kind: 'unknown',
      problem: `the ml-gitops backend is unreachable (${
        (error as Error).message
      })`,
    };
  }
  const status = body.environments?.find(e => e.name === environment);
  if (!status) {
    return {
      kind: 'unknown',
      problem: `the ml-gitops backend reports no environment ${environment}`,
    };
  }
  const problems: string[] = [];
  if (status.drift.state !== 'in-sync') {
    problems.push(
      `${environment} is ${status.drift.state}${
        status.drift.reason ? ` (${status.drift.reason})` : ''
      }, not in-sync`,
    );
  }
  if (status.live && status.live.healthStatus !== 'Healthy') {
    problems.push(
      `${environment} is ${status.live.healthStatus} in ${status.live.source} (${status.live.application}), not Healthy`,
    );
  }
  return problems.length > 0
    ? { kind: 'bad', status, problem: problems.join('; ') }
    : { kind: 'ok', status };
}

/** Markdown of the source environment's canary analysis, for the PR body. */
export function canarySection(
  environment: string,
  canary: CanaryAnalysis,
): string {
  const lines = [
    `**${environment} canary analysis**: ${markdownText(
      describeCanary(canary),
    )}`,
  ];
  const times = [
    canary.startedAt ? `started ${canary.startedAt}` : '',
    canary.finishedAt ? `finished ${canary.finishedAt}` : '',
  ].filter(Boolean);
  if (times.length > 0) {
    lines.push('', `- ${times.join(', ')}`);
  }
  if (canary.metrics?.length) {
    lines.push('', '| metric | phase | latest value |', '|---|---|---|');
    for (const m of canary.metrics) {
      lines.push(
        `| ${markdownText(m.name)} | ${m.phase} | ${markdownText(
          m.value ?? '—',
        )} |`,
      );
    }
  }
  return lines.join('\n');
}
