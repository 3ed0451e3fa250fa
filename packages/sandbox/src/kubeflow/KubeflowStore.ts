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
 * What the emulated Kubeflow Model Registry holds: registered models, their
 * versions and the versions' model artifacts, in the shapes of the schemas
 * RegisteredModel, ModelVersion and ModelArtifact of kubeflow/model-registry
 * `api/openapi/model-registry.yaml` (v1alpha3).
 *
 * Registered models and model versions are both MLMD contexts in the real
 * registry, so they draw ids from one sequence; artifacts from another. Ids
 * and times since epoch are int64 sent as strings (BaseResource,
 * BaseResourceDates).
 */

import { daysAgo, USERS } from '../seed/data';
import { KUBEFLOW_MODELS, KubeflowSeedModel } from '../seed/kubeflowData';

/** MetadataValue: a oneOf told apart by `metadataType`. */
export type KubeflowMetadataValue =
  | { metadataType: 'MetadataDoubleValue'; double_value: number }
  /** int_value is an int32 sent as a string */
  | { metadataType: 'MetadataIntValue'; int_value: string }
  | { metadataType: 'MetadataStringValue'; string_value: string }
  | { metadataType: 'MetadataBoolValue'; bool_value: boolean }
  | { metadataType: 'MetadataStructValue'; struct_value: string }
  | {
      metadataType: 'MetadataProtoValue';
      type: string;
      proto_value: string;
    };

export type KubeflowCustomProperties = Record<string, KubeflowMetadataValue>;

type Resource = {
  id: string;
  name: string;
  description?: string;
  externalId?: string;
  customProperties: KubeflowCustomProperties;
  createTimeSinceEpoch: string;
  lastUpdateTimeSinceEpoch: string;
};

export type KubeflowRegisteredModelRecord = Resource & {
  owner?: string;
  state: 'LIVE' | 'ARCHIVED';
};

export type KubeflowModelVersionRecord = Resource & {
  registeredModelId: string;
  author?: string;
  state: 'LIVE' | 'ARCHIVED';
};

/** An artifact's name is optional (ModelArtifactCreate names none required). */
export type KubeflowModelArtifactRecord = Omit<Resource, 'name'> & {
  name?: string;
  artifactType: 'model-artifact';
  uri?: string;
  state: string;
  modelFormatName?: string;
  modelFormatVersion?: string;
  storageKey?: string;
  storagePath?: string;
  serviceAccountName?: string;
};

/** Custom properties of a version's metrics and facts. */
export function metricProperties(
  metrics: Record<string, number>,
): KubeflowCustomProperties {
  return Object.fromEntries(
    Object.entries(metrics).map(([k, v]) => [
      k,
      { metadataType: 'MetadataDoubleValue' as const, double_value: v },
    ]),
  );
}

export class KubeflowStore {
  models: KubeflowRegisteredModelRecord[] = [];
  versions: KubeflowModelVersionRecord[] = [];
  artifacts: KubeflowModelArtifactRecord[] = [];
  /** the artifact ids of each version, in the order they were added */
  versionArtifacts = new Map<string, string[]>();
  private nextContextId = 1;
  private nextArtifactId = 1;

  /** The time of a change: now, and never the same as the one before. */
  private lastTime = 0;
  now(): string {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    return String(this.lastTime);
  }

  createModel(
    m: Omit<
      KubeflowRegisteredModelRecord,
      'id' | 'createTimeSinceEpoch' | 'lastUpdateTimeSinceEpoch'
    >,
    at = this.now(),
  ): KubeflowRegisteredModelRecord {
    const created = {
      ...m,
      id: String(this.nextContextId++),
      createTimeSinceEpoch: at,
      lastUpdateTimeSinceEpoch: at,
    };
    this.models.push(created);
    return created;
  }

  createVersion(
    v: Omit<
      KubeflowModelVersionRecord,
      'id' | 'createTimeSinceEpoch' | 'lastUpdateTimeSinceEpoch'
    >,
    at = this.now(),
  ): KubeflowModelVersionRecord {
    const created = {
      ...v,
      id: String(this.nextContextId++),
      createTimeSinceEpoch: at,
      lastUpdateTimeSinceEpoch: at,
    };
    this.versions.push(created);
    this.versionArtifacts.set(created.id, []);
    return created;
  }

  createArtifact(
    a: Omit<
      KubeflowModelArtifactRecord,
      'id' | 'createTimeSinceEpoch' | 'lastUpdateTimeSinceEpoch'
    >,
    at = this.now(),
  ): KubeflowModelArtifactRecord {
    const created = {
      ...a,
      id: String(this.nextArtifactId++),
      createTimeSinceEpoch: at,
      lastUpdateTimeSinceEpoch: at,
    };
    this.artifacts.push(created);
    return created;
  }

  /** Associates an artifact with a version (once). */
  attach(versionId: string, artifactId: string) {
    const ids = this.versionArtifacts.get(versionId) ?? [];
    if (!ids.includes(artifactId)) ids.push(artifactId);
    this.versionArtifacts.set(versionId, ids);
  }

  model(id: string) {
    return this.models.find(m => m.id === id);
  }

  version(id: string) {
    return this.versions.find(v => v.id === id);
  }

  artifact(id: string) {
    return this.artifacts.find(a => a.id === id);
  }

  modelByName(name: string) {
    return this.models.find(m => m.name === name);
  }

  /**
   * Registers a version with its model artifact and metrics, as a training
   * pipeline does through the REST API (tests use it to add versions
   * without HTTP). The registered model is created when missing.
   */
  registerVersion(v: {
    model: string;
    version: string;
    state?: 'LIVE' | 'ARCHIVED';
    author?: string;
    description?: string;
    metrics?: Record<string, number>;
    customProperties?: KubeflowCustomProperties;
    artifact?: {
      uri: string;
      modelFormatName?: string;
      modelFormatVersion?: string;
    };
    /** epoch milliseconds; default now */
    registeredAt?: number;
  }): KubeflowModelVersionRecord {
    const at =
      v.registeredAt === undefined ? this.now() : String(v.registeredAt);
    const model =
      this.modelByName(v.model) ??
      this.createModel(
        { name: v.model, state: 'LIVE', customProperties: {} },
        at,
      );
    if (
      this.versions.some(
        x => x.registeredModelId === model.id && x.name === v.version,
      )
    ) {
      throw new Error(`${v.model} already has a version ${v.version}`);
    }
    const version = this.createVersion(
      {
        name: v.version,
        registeredModelId: model.id,
        state: v.state ?? 'LIVE',
        ...(v.author ? { author: v.author } : {}),
        ...(v.description ? { description: v.description } : {}),
        customProperties: {
          ...metricProperties(v.metrics ?? {}),
          ...v.customProperties,
        },
      },
      at,
    );
    if (v.artifact) {
      const artifact = this.createArtifact(
        {
          artifactType: 'model-artifact',
          name: `${v.model}-${v.version}`,
          state: 'LIVE',
          customProperties: {},
          ...v.artifact,
        },
        at,
      );
      this.attach(version.id, artifact.id);
    }
    model.lastUpdateTimeSinceEpoch = at;
    return version;
  }

  static seed(models: KubeflowSeedModel[] = KUBEFLOW_MODELS): KubeflowStore {
    const store = new KubeflowStore();
    for (const m of models) {
      const first = Math.max(...m.versions.map(v => v.registeredDaysAgo));
      store.createModel(
        {
          name: m.name,
          description: m.description,
          owner: USERS[m.owner]?.email ?? m.owner,
          state: 'LIVE',
          customProperties: {
            team: { metadataType: 'MetadataStringValue', string_value: m.team },
          },
        },
        String(daysAgo(first + 1).getTime()),
      );
      for (const v of m.versions) {
        store.registerVersion({
          model: m.name,
          version: v.name,
          state: v.state,
          author: USERS[v.author]?.email ?? v.author,
          description: v.description,
          metrics: v.metrics,
          customProperties: {
            training_rows: {
              metadataType: 'MetadataIntValue',
              int_value: String(v.trainingRows),
            },
            team: { metadataType: 'MetadataStringValue', string_value: m.team },
            validated: { metadataType: 'MetadataBoolValue', bool_value: true },
          },
          artifact: v.artifact,
          registeredAt: daysAgo(v.registeredDaysAgo).getTime(),
        });
      }
    }
    return store;
  }
}
