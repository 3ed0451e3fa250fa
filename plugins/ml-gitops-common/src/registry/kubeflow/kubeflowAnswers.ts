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

// The Kubeflow Model Registry's REST answers: their zod schemas and how each becomes the normalised types of ./types.
import { z } from 'zod';
import {
  KubeflowApiMetadataValue,
  KubeflowModelArtifact,
  KubeflowModelVersion,
  KubeflowProperties,
  KubeflowRegisteredModel,
} from './types';

/*
 * MetadataValue (oneOf, discriminated by metadataType). MetadataIntValue
 * sends its int32 as a string (`int_value`, pattern ^-?([1-9][0-9]{0,8}|0)$);
 * a number is taken too.
 */
const metadataValue = z.union([
  z.looseObject({
    metadataType: z.literal('MetadataDoubleValue'),
    double_value: z.number(),
  }),
  z.looseObject({
    metadataType: z.literal('MetadataIntValue'),
    int_value: z.union([z.string(), z.number()]),
  }),
  z.looseObject({
    metadataType: z.literal('MetadataStringValue'),
    string_value: z.string(),
  }),
  z.looseObject({
    metadataType: z.literal('MetadataBoolValue'),
    bool_value: z.boolean(),
  }),
  // MetadataStructValue, MetadataProtoValue and types added later: kept
  // out of metrics and tags, never a reason to refuse the answer.
  z.looseObject({ metadataType: z.string() }),
]);

const customProperties = z.record(z.string(), metadataValue).optional();

/** BaseResource and BaseResourceDates; the id is an int64 sent as a string. */
const baseResource = {
  id: z.union([z.string(), z.number()]).transform(String),
  name: z.string().optional(),
  customProperties,
  createTimeSinceEpoch: z.union([z.string(), z.number()]).optional(),
  lastUpdateTimeSinceEpoch: z.union([z.string(), z.number()]).optional(),
};

export const apiRegisteredModel = z.looseObject({
  ...baseResource,
  name: z.string(),
  state: z.string().optional(),
  owner: z.string().optional(),
});

export const apiModelVersion = z.looseObject({
  ...baseResource,
  name: z.string(),
  registeredModelId: z.union([z.string(), z.number()]).transform(String),
  state: z.string().optional(),
  author: z.string().optional(),
});

/** An item of ArtifactList: any Artifact, told apart by artifactType. */
const apiArtifact = z.looseObject({
  ...baseResource,
  artifactType: z.string().optional(),
  uri: z.string().optional(),
  state: z.string().optional(),
  modelFormatName: z.string().optional(),
  modelFormatVersion: z.string().optional(),
});

/** ArtifactList: `items` plus BaseResourceList's paging fields. */
export const apiArtifactList = z.looseObject({
  items: z.array(apiArtifact).nullish(),
  nextPageToken: z.string().optional(),
  size: z.number().optional(),
});

/** ModelVersionList: `items` plus BaseResourceList's paging fields. */
export const apiModelVersionList = z.looseObject({
  items: z.array(z.unknown()).nullish(),
  nextPageToken: z.string().optional(),
});

/** The spec's Error schema: `code` (the HTTP status text) and `message`. */
export const apiError = z.looseObject({
  code: z.string(),
  message: z.string(),
});

function isoOf(ms: string | number | undefined): string | undefined {
  const n = typeof ms === 'string' ? Number(ms) : ms;
  return n !== undefined && Number.isFinite(n) && n > 0
    ? new Date(n).toISOString()
    : undefined;
}

/**
 * Custom properties as metrics and tags: doubles and ints are metrics,
 * strings and booleans are tags (the rejection markers among them).
 *
 * @public
 */
export function kubeflowProperties(
  properties: Record<string, KubeflowApiMetadataValue> | undefined,
): KubeflowProperties {
  const metrics: Record<string, number> = {};
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties ?? {})) {
    switch (value.metadataType) {
      case 'MetadataDoubleValue':
        if (typeof value.double_value === 'number') {
          metrics[key] = value.double_value;
        }
        break;
      case 'MetadataIntValue': {
        const n = Number(value.int_value);
        if (value.int_value !== '' && Number.isFinite(n)) metrics[key] = n;
        break;
      }
      case 'MetadataStringValue':
        if (typeof value.string_value === 'string') {
          tags[key] = value.string_value;
        }
        break;
      case 'MetadataBoolValue':
        if (typeof value.bool_value === 'boolean') {
          tags[key] = String(value.bool_value);
        }
        break;
      default:
      // Struct and proto values are base64 bytes: neither.
    }
  }
  return { metrics, tags };
}

/**
 * What a registered model and a model version share, normalised: `LIVE`
 * unless the server says otherwise (the schema's default).
 */
function resourceOf(r: {
  id: string;
  name: string;
  state?: string;
  createTimeSinceEpoch?: string | number;
  customProperties?: Record<string, KubeflowApiMetadataValue>;
}) {
  const createdAt = isoOf(r.createTimeSinceEpoch);
  return {
    id: r.id,
    name: r.name,
    state: r.state ?? 'LIVE',
    ...(createdAt ? { createdAt } : {}),
    properties: kubeflowProperties(r.customProperties),
  };
}

/** A RegisteredModel, normalised. */
export function registeredModelOf(
  m: z.infer<typeof apiRegisteredModel>,
): KubeflowRegisteredModel {
  return { ...resourceOf(m), ...(m.owner ? { owner: m.owner } : {}) };
}

/** A ModelVersion, normalised. */
export function modelVersionOf(
  v: z.infer<typeof apiModelVersion>,
): KubeflowModelVersion {
  const updatedAt = isoOf(v.lastUpdateTimeSinceEpoch);
  return {
    ...resourceOf(v),
    registeredModelId: v.registeredModelId,
    ...(v.author ? { author: v.author } : {}),
    ...(updatedAt ? { updatedAt } : {}),
  };
}

/**
 * The model artifacts of an ArtifactList, normalised; items of another
 * artifactType (from a server that does not filter by it) are left out.
 */
export function modelArtifactsOf(
  list: z.infer<typeof apiArtifactList>,
): KubeflowModelArtifact[] {
  return (list.items ?? [])
    .filter(a => !a.artifactType || a.artifactType === 'model-artifact')
    .map(a => ({
      id: a.id,
      ...(a.name ? { name: a.name } : {}),
      ...(a.uri ? { uri: a.uri } : {}),
      ...(a.state ? { state: a.state } : {}),
      ...(a.modelFormatName ? { modelFormatName: a.modelFormatName } : {}),
      ...(a.modelFormatVersion
        ? { modelFormatVersion: a.modelFormatVersion }
        : {}),
      properties: kubeflowProperties(a.customProperties),
    }));
}
