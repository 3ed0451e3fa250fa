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

import { parseDocument } from 'yaml';
import { kserveStorageUriProblem } from '../../manifest/storageUri';
import { MlflowClient } from './MlflowClient';

/*
 * From an MLflow model version to what KServe serves: the artifact location
 * as a storageUri its storage initializer reads, and the modelFormat of a
 * runtime that loads the model's flavor.
 *
 * MLflow's artifact URIs are those of its artifact repositories
 * (mlflow/store/artifact/artifact_repository_registry.py: s3, gs, wasbs,
 * abfss, hdfs/viewfs, dbfs, file, http(s), mlflow-artifacts, runs, models);
 * KServe's are listed in ../../manifest/storageUri.ts.
 */

/**
 * Where KServe loads a model version from, or why it cannot.
 *
 * @public
 */
export type ServingArtifact =
  | {
      ok: true;
      /** The URI for the InferenceService's `storageUri` and the manifest's `storage_uri`. */
      storageUri: string;
      /** What the registry answered (get-download-uri), before mapping. */
      registryUri: string;
    }
  | {
      ok: false;
      /** What the registry answered, before mapping. */
      registryUri: string;
      /** What is wrong, naming the URI. */
      problem: string;
      /** What to configure or do. */
      fix: string;
    };

/**
 * A storage URI KServe reads, or what is wrong with the registry's URI and
 * how to fix it.
 *
 * @public
 */
export type KserveStorageUriMapping =
  | { ok: true; uri: string }
  | { ok: false; problem: string; fix: string };

const OBJECT_STORE_FIX =
  'Keep the MLflow artifacts in an object store the cluster reads (mlflow server --default-artifact-root s3://…, gs://…, wasbs://… or hdfs://…), then register the version again';

/** An archive KServe's storage initializer unpacks after an https download. */
const ARCHIVE = /\.(zip|tar|tar\.gz|tgz)$/i;

/**
 * Maps one MLflow artifact URI to a KServe storage URI, without asking the
 * registry (a `runs:/` URI needs {@link resolveServingArtifact}).
 *
 * - `s3://`, `gs://`, `hdfs://`, `webhdfs://`, `pvc://`: as they are.
 * - `wasbs://` / `wasb://<container>@<account>.blob.core.windows.net/<path>`
 *   and `abfss://<container>@<account>.dfs.core.windows.net/<path>`:
 *   `https://<account>.blob.core.windows.net/<container>/<path>`, the Azure
 *   Blob form KServe reads.
 * - `https://`: an Azure Blob URL, or an archive (`.zip`, `.tar`, `.tar.gz`,
 *   `.tgz`); KServe downloads other https URLs as one file, not as a model
 *   directory.
 * - anything else is refused with what to configure.
 *
 * @public
 */
export function kserveStorageUriOf(uri: string): KserveStorageUriMapping {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  const checked = (candidate: string): KserveStorageUriMapping => {
    const problem = kserveStorageUriProblem(candidate);
    return problem
      ? {
          ok: false,
          problem: `the artifact location ${candidate} ${problem}`,
          fix: OBJECT_STORE_FIX,
        }
      : { ok: true, uri: candidate };
  };
  switch (scheme) {
    case 's3':
    case 'gs':
    case 'hdfs':
    case 'webhdfs':
    case 'pvc':
      return checked(uri);
    case 'wasb':
    case 'wasbs':
    case 'abfss': {
      const m =
        /^[a-z]+:\/\/([^@/]+)@([a-z0-9]+)\.(?:blob|dfs)\.core\.windows\.net(?:\/(.*))?$/i.exec(
          uri,
        );
      if (!m) {
        return {
          ok: false,
          problem: `the Azure artifact location ${uri} is not <container>@<account>.blob.core.windows.net/<path>`,
          fix: OBJECT_STORE_FIX,
        };
      }
      const [, container, account, rest] = m;
      return checked(
        `https://${account}.blob.core.windows.net/${container}${
          rest ? `/${rest}` : ''
        }`,
      );
    }
    case 'https': {
      let host = '';
      let pathname = '';
      try {
        ({ host, pathname } = new URL(uri));
      } catch {
        // refused below
      }
      if (/\.blob\.core\.windows\.net$/i.test(host) || ARCHIVE.test(pathname)) {
        return checked(uri);
      }
      return {
        ok: false,
        problem: `the artifact location ${uri} is an https URL that is neither Azure Blob Storage nor an archive; KServe downloads such a URL as a single file, not a model directory (MLflow's artifact proxy answers this way too)`,
        fix: OBJECT_STORE_FIX,
      };
    }
    case 'mlflow-artifacts':
      return {
        ok: false,
        problem: `the artifact location ${uri} is served by the MLflow tracking server's artifact proxy, which KServe cannot read`,
        fix: 'Run the MLflow server with --no-serve-artifacts and --default-artifact-root s3://… (or gs://, wasbs://, hdfs://), so that new versions are stored where the cluster reads them, then register the version again',
      };
    case 'models':
      return {
        ok: false,
        problem: `MLflow gave no storage location for the version, only ${uri}`,
        fix: "Register the version from the run's artifacts (mlflow.register_model('runs:/<run id>/model', …)) on an MLflow server that keeps them in an object store",
      };
    case 'runs':
      return {
        ok: false,
        problem: `${uri} is not runs:/<run id>/<path>`,
        fix: "Register the version from the run's artifact location (mlflow.register_model('runs:/<run id>/model', …))",
      };
    case 'dbfs':
    case 'file':
    case undefined:
      return {
        ok: false,
        problem: `the artifact location ${uri} is a path on the MLflow server's (or Databricks') file system, which the cluster cannot read`,
        fix: OBJECT_STORE_FIX,
      };
    default:
      return {
        ok: false,
        problem: `the artifact location ${uri} uses ${scheme}://, which KServe's storage initializer does not read`,
        fix: OBJECT_STORE_FIX,
      };
  }
}

/**
 * Where KServe loads `name` version `version` from: the registry's download
 * URI (`storage_location`, else `source`), a `runs:/<run id>/<path>` URI
 * resolved through the run's `artifact_uri`, mapped with
 * {@link kserveStorageUriOf}. Undefined when the version does not exist;
 * registry failures throw as {@link MlflowClient}'s do.
 *
 * @public
 */
export async function resolveServingArtifact(
  client: MlflowClient,
  name: string,
  version: string,
): Promise<ServingArtifact | undefined> {
  const registryUri = await client.getModelVersionDownloadUri(name, version);
  if (registryUri === undefined) return undefined;
  let uri = registryUri;
  const runs = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (runs) {
    const [, runId, artifactPath] = runs;
    const run = await client.getRun(runId);
    if (!run?.artifactUri) {
      return {
        ok: false,
        registryUri,
        problem: `${name} version ${version} is stored in run ${runId} (${registryUri}), but MLflow ${
          run ? 'gives no artifact_uri for the run' : 'has no such run'
        }`,
        fix: 'Register the version again from a run that exists',
      };
    }
    uri = artifactPath
      ? `${run.artifactUri.replace(/\/+$/, '')}/${artifactPath.replace(
          /^\/+/,
          '',
        )}`
      : run.artifactUri;
  }
  const mapped = kserveStorageUriOf(uri);
  if (mapped.ok) return { ok: true, storageUri: mapped.uri, registryUri };
  return {
    ok: false,
    registryUri,
    problem: `${name} version ${version}: ${mapped.problem}`,
    fix: mapped.fix,
  };
}

/**
 * The modelFormat KServe serves when the model's flavors say nothing more
 * specific: `mlflow`, which KServe's MLServer runtime loads from any model
 * directory MLflow wrote with the python_function flavor (nearly all).
 *
 * @public
 */
export const DEFAULT_MODEL_FORMAT = 'mlflow';

/**
 * MLflow flavors (the keys of `flavors:` in the MLmodel file) and the KServe
 * modelFormat whose runtime loads them, most specific first.
 *
 * @public
 */
export const MLFLOW_FLAVOR_FORMATS: ReadonlyArray<readonly [string, string]> = [
  ['sklearn', 'sklearn'],
  ['xgboost', 'xgboost'],
  ['lightgbm', 'lightgbm'],
  ['onnx', 'onnx'],
  ['tensorflow', 'tensorflow'],
  ['pytorch', 'pytorch'],
  ['python_function', 'mlflow'],
];

/**
 * The KServe modelFormat of a model with these MLflow flavors, or undefined
 * when none is known.
 *
 * @public
 */
export function modelFormatOfFlavors(flavors: string[]): string | undefined {
  return MLFLOW_FLAVOR_FORMATS.find(([flavor]) =>
    flavors.includes(flavor),
  )?.[1];
}

/**
 * The flavors of an MLmodel file's text (its top-level `flavors:` mapping),
 * or undefined when the text is not such a file.
 *
 * @public
 */
export function mlmodelFlavors(text: string): string[] | undefined {
  try {
    const doc = parseDocument(text, { uniqueKeys: false });
    if (doc.errors.length > 0) return undefined;
    const value = doc.toJS({ maxAliasCount: 0 }) as unknown;
    const flavors =
      value && typeof value === 'object'
        ? (value as { flavors?: unknown }).flavors
        : undefined;
    if (!flavors || typeof flavors !== 'object' || Array.isArray(flavors)) {
      return undefined;
    }
    return Object.keys(flavors);
  } catch {
    return undefined;
  }
}

/**
 * The KServe modelFormat of a version.
 *
 * @public
 */
export type ModelFormatResolution = {
  /** e.g. `sklearn`, or {@link DEFAULT_MODEL_FORMAT}. */
  format: string;
  /** The flavors read from the MLmodel file (empty when it was not read). */
  flavors: string[];
  /** Why the default was taken, when it was. */
  note?: string;
};

/**
 * The KServe modelFormat of `name` version `version`, from the flavors of
 * its MLmodel file read through the tracking server; when the file cannot
 * be read or names no known flavor, {@link DEFAULT_MODEL_FORMAT} with a note
 * saying why. Never throws.
 *
 * @public
 */
export async function resolveModelFormat(
  client: MlflowClient,
  name: string,
  version: string,
): Promise<ModelFormatResolution> {
  let text: string | undefined;
  try {
    text = await client.getModelVersionArtifactText(name, version, 'MLmodel');
  } catch (error) {
    return {
      format: DEFAULT_MODEL_FORMAT,
      flavors: [],
      note: `the MLmodel file could not be read (${
        (error as Error)?.message ?? String(error)
      })`,
    };
  }
  if (text === undefined) {
    return {
      format: DEFAULT_MODEL_FORMAT,
      flavors: [],
      note: `MLflow has no MLmodel file for ${name} version ${version}`,
    };
  }
  const flavors = mlmodelFlavors(text);
  if (!flavors) {
    return {
      format: DEFAULT_MODEL_FORMAT,
      flavors: [],
      note: `the MLmodel file of ${name} version ${version} has no flavors`,
    };
  }
  const format = modelFormatOfFlavors(flavors);
  return format
    ? { format, flavors }
    : {
        format: DEFAULT_MODEL_FORMAT,
        flavors,
        note: `no KServe model format is known for the flavors ${flavors.join(
          ', ',
        )}`,
      };
}
