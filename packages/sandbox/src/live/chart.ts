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
 * What KServe is told to load: the InferenceService's `storageUri` and model
 * format as the config repo's chart renders them (Helm: the chart's
 * values.yaml, overridden by the `../model.yaml` value file the deployment
 * passes). Only the plain `{{ .Values.a.b }}` references of those two fields
 * are rendered; a chart that needs more of Helm's template language keeps
 * the sandbox's MLflow form (`models:/<model>/<version>`).
 */

import { parse } from 'yaml';
import type { GitRepos, RepoRecord } from '../githost/GitRepos';

export type ServingChart = {
  /** the template of `spec.predictor.model.storageUri` */
  storageUri: string;
  modelFormat: string;
  protocolVersion?: string;
  /** values.yaml merged with deploy/model.yaml at the applied revision */
  values: Record<string, unknown>;
};

const TEMPLATE = 'deploy/chart/templates/inferenceservice.yaml';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Helm's coalescing of a value file over the chart's values: maps merge, the rest replaces. */
function mergeValues(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(out[k]) ? mergeValues(out[k], v) : v;
  }
  return out;
}

function parseObject(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const doc = parse(text);
    return isObject(doc) ? doc : {};
  } catch {
    return {};
  }
}

/** Renders `{{ .Values.x.y }}` references; undefined when one is missing or another action remains. */
export function renderValues(
  template: string,
  values: Record<string, unknown>,
): string | undefined {
  let missing = false;
  const out = template.replace(
    /\{\{-?\s*\.Values\.([A-Za-z0-9_.]+)\s*-?\}\}/g,
    (_, key: string) => {
      let v: unknown = values;
      for (const part of key.split('.')) v = isObject(v) ? v[part] : undefined;
      if (v === undefined || v === null || isObject(v)) {
        missing = true;
        return '';
      }
      return String(v);
    },
  );
  return missing || out.includes('{{') ? undefined : out;
}

/** Reads the serving fields of the chart at `revision`; undefined without a readable template. */
export async function readServingChart(
  repos: GitRepos,
  repo: RepoRecord,
  revision: string,
): Promise<ServingChart | undefined> {
  const read = async (p: string) =>
    (await repos.readFile(repo, revision, p))?.toString('utf8');
  const template = await read(TEMPLATE);
  const storage =
    template && /^\s*storageUri:\s*"?([^"\n]+?)"?\s*$/m.exec(template);
  const format =
    template &&
    /^\s*modelFormat:\s*\n\s*name:\s*"?([^"\n]+?)"?\s*$/m.exec(template);
  if (!storage || !format) return undefined;
  const protocol = /^\s*protocolVersion:\s*"?([^"\n]+?)"?\s*$/m.exec(template!);
  return {
    storageUri: storage[1],
    modelFormat: format[1],
    ...(protocol ? { protocolVersion: protocol[1] } : {}),
    values: mergeValues(
      parseObject(await read('deploy/chart/values.yaml')),
      parseObject(await read('deploy/model.yaml')),
    ),
  };
}

/**
 * The model KServe loads for `version` of a deployment: the chart's fields
 * with `model_version` set to it (a version changed out of band changes the
 * storage URI with the label, as an edited InferenceService would).
 */
export function servingModel(
  model: string,
  version: string,
  chart: ServingChart | undefined,
): {
  modelFormat: { name: string };
  protocolVersion?: string;
  storageUri: string;
} {
  const values = {
    ...chart?.values,
    model_name: model,
    model_version: version,
  };
  const storageUri = chart && renderValues(chart.storageUri, values);
  const modelFormat = chart && renderValues(chart.modelFormat, values);
  if (!chart || !storageUri || !modelFormat) {
    return {
      modelFormat: { name: 'mlflow' },
      protocolVersion: 'v2',
      storageUri: `models:/${model}/${version}`,
    };
  }
  const protocolVersion =
    chart.protocolVersion && renderValues(chart.protocolVersion, values);
  return {
    modelFormat: { name: modelFormat },
    ...(protocolVersion ? { protocolVersion } : {}),
    storageUri,
  };
}
