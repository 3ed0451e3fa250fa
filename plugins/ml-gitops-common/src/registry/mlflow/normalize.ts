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

// Normalising MLflow's answers (model versions, runs, timestamps, tags) into the plugin's shapes.

import {
  MlflowApiModelVersion,
  MlflowApiRegisteredModel,
  MlflowApiRun,
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowRun,
} from './types';

function isoOf(ms: number | undefined): string | undefined {
  return ms !== undefined && Number.isFinite(ms) && ms > 0
    ? new Date(ms).toISOString()
    : undefined;
}

function tagsOf(tags: Array<{ key: string; value?: string }> | undefined) {
  return Object.fromEntries((tags ?? []).map(t => [t.key, t.value ?? '']));
}

function toNumber(value: number | string): number {
  if (typeof value === 'number') return value;
  if (/^-?inf(inity)?$/i.test(value))
    return value.startsWith('-') ? -Infinity : Infinity;
  const n = Number(value);
  return value.trim() === '' ? NaN : n;
}

/**
 * Normalises an MLflow model version.
 *
 * @public
 */
export function normalizeMlflowModelVersion(
  v: MlflowApiModelVersion,
): MlflowModelVersion {
  return {
    name: v.name,
    version: String(v.version),
    // MLflow always sends the status (ModelVersion.to_proto in
    // mlflow/entities/model_registry/model_version.py); an answer without
    // one is not taken for READY.
    status: v.status ?? '',
    ...(v.status_message ? { statusMessage: v.status_message } : {}),
    ...(v.current_stage ? { stage: v.current_stage } : {}),
    ...(v.run_id ? { runId: v.run_id } : {}),
    ...(v.source ? { source: v.source } : {}),
    ...(v.description ? { description: v.description } : {}),
    ...(isoOf(v.creation_timestamp)
      ? { createdAt: isoOf(v.creation_timestamp) }
      : {}),
    ...(isoOf(v.last_updated_timestamp)
      ? { updatedAt: isoOf(v.last_updated_timestamp) }
      : {}),
    aliases: v.aliases ?? [],
    tags: tagsOf(v.tags),
  };
}

/**
 * Normalises an MLflow run: each metric key keeps its latest value (highest
 * step, then latest timestamp).
 *
 * @public
 */
export function normalizeMlflowRun(run: MlflowApiRun): MlflowRun {
  const latest = new Map<
    string,
    { value: number; step: number; timestamp: number }
  >();
  for (const m of run.data?.metrics ?? []) {
    const candidate = {
      value: toNumber(m.value),
      step: m.step ?? 0,
      timestamp: m.timestamp ?? 0,
    };
    const current = latest.get(m.key);
    if (
      !current ||
      candidate.step > current.step ||
      (candidate.step === current.step &&
        candidate.timestamp >= current.timestamp)
    ) {
      latest.set(m.key, candidate);
    }
  }
  return {
    runId: run.info.run_id,
    ...(run.info.run_name ? { runName: run.info.run_name } : {}),
    ...(run.info.experiment_id ? { experimentId: run.info.experiment_id } : {}),
    ...(run.info.status ? { status: run.info.status } : {}),
    ...(run.info.lifecycle_stage
      ? { lifecycleStage: run.info.lifecycle_stage }
      : {}),
    ...(run.info.artifact_uri ? { artifactUri: run.info.artifact_uri } : {}),
    metrics: Object.fromEntries([...latest].map(([k, v]) => [k, v.value])),
    params: Object.fromEntries(
      (run.data?.params ?? []).map(p => [p.key, p.value]),
    ),
    tags: Object.fromEntries((run.data?.tags ?? []).map(t => [t.key, t.value])),
  };
}

/** Normalises an MLflow registered model, with its latest versions. */
export function normalizeMlflowRegisteredModel(
  model: MlflowApiRegisteredModel,
): MlflowRegisteredModel {
  return {
    name: model.name,
    ...(model.description ? { description: model.description } : {}),
    ...(isoOf(model.creation_timestamp)
      ? { createdAt: isoOf(model.creation_timestamp) }
      : {}),
    ...(isoOf(model.last_updated_timestamp)
      ? { updatedAt: isoOf(model.last_updated_timestamp) }
      : {}),
    aliases: Object.fromEntries(
      (model.aliases ?? []).map(a => [a.alias, a.version]),
    ),
    tags: tagsOf(model.tags),
    latestVersions: (model.latest_versions ?? []).map(
      normalizeMlflowModelVersion,
    ),
  };
}
