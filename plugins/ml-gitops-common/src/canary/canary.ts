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

import type { CanaryAnalysis, CanaryPhase } from '../api/types';

/**
 * The canary phases, most urgent first.
 *
 * @public
 */
export const CANARY_PHASES: readonly CanaryPhase[] = [
  'failed',
  'inconclusive',
  'running',
  'pending',
  'successful',
] as const;

/**
 * The more urgent of two canary phases (failed before inconclusive before
 * running before pending before successful).
 *
 * @public
 */
export function worseCanaryPhase(a: CanaryPhase, b: CanaryPhase): CanaryPhase {
  return CANARY_PHASES.indexOf(a) <= CANARY_PHASES.indexOf(b) ? a : b;
}

/**
 * The Kubernetes kind of the object a canary analysis was read from.
 *
 * @public
 */
export function canaryObjectKind(
  canary: Pick<CanaryAnalysis, 'kind'>,
): 'AnalysisRun' | 'InferenceService' {
  return canary.kind === 'argo-rollouts' ? 'AnalysisRun' : 'InferenceService';
}

/**
 * Whether a canary analysis stands in the way of promoting `version` out of
 * its environment: one that failed, was inconclusive, or has not concluded
 * yet (pending or running). An analysis that names another version (its
 * `ml-gitops/model-version` label) is about that version and does not block.
 *
 * @public
 */
export function canaryBlocksPromotion(
  canary: CanaryAnalysis | null | undefined,
  version?: string,
): boolean {
  if (!canary || canary.phase === 'successful') {
    return false;
  }
  if (version !== undefined && canary.version !== undefined) {
    return canary.version === version;
  }
  return true;
}

const PHASE_WORDS: Record<CanaryPhase, string> = {
  pending: 'is pending',
  running: 'is running',
  successful: 'succeeded',
  failed: 'failed',
  inconclusive: 'was inconclusive',
};

/**
 * One sentence about a canary analysis, naming its object and phase, e.g.
 * `AnalysisRun ml-dev/churn-predictor-5d8f7-4-1 on cluster main (version 8) failed (Error): Metric "error-rate" assessed Error`.
 *
 * @public
 */
export function describeCanary(canary: CanaryAnalysis): string {
  const parts = [
    `${canaryObjectKind(canary)} ${canary.namespace}/${
      canary.name
    } on cluster ${canary.cluster}`,
  ];
  if (canary.version !== undefined) {
    parts.push(`(version ${canary.version})`);
  }
  parts.push(PHASE_WORDS[canary.phase] ?? canary.phase);
  if (canary.sourcePhase && canary.sourcePhase.toLowerCase() !== canary.phase) {
    parts.push(`(${canary.sourcePhase})`);
  }
  let sentence = parts.join(' ');
  if (canary.trafficPercent !== undefined) {
    sentence += ` with ${canary.trafficPercent}% of the traffic`;
  }
  if (canary.message) {
    sentence += `: ${canary.message}`;
  }
  return sentence;
}
