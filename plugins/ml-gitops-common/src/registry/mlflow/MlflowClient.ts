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

// The public MLflow client: its options, and the reads and writes it offers (implemented in reads.ts and writes.ts over requests.ts).

import { MlflowModelVersion, MlflowRegisteredModel, MlflowRun } from './types';
import * as reads from './reads';
import { MlflowRequests } from './requests';
import * as writes from './writes';

/**
 * Options of {@link MlflowClient.create}.
 *
 * @public
 */
export type MlflowClientOptions = {
  /** The tracking server, e.g. `https://mlflow.example.com` (a path prefix is kept). */
  baseUrl: string;
  /**
   * Sent as `Authorization: Bearer <token>` when set, for a server behind a
   * proxy that takes bearer tokens (Databricks, an OIDC plugin). Not together
   * with `username`.
   */
  token?: string;
  /**
   * With `password`, sent as HTTP Basic credentials: what MLflow's own auth
   * app (`mlflow server --app-name basic-auth`) takes.
   */
  username?: string;
  /** The password of `username`. */
  password?: string;
  /**
   * Where the caller sets the username and password (a config key, flags),
   * named in the message of a 401 or 403; e.g.
   * `mlGitops.registries[mlflow-default]`.
   */
  credentialsHint?: string;
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** Timeout of one request in milliseconds; default 15 000. */
  timeoutMs?: number;
};

/**
 * What {@link MlflowClient.rejectModelVersion} records with a rejection.
 *
 * @public
 */
export type MlflowRejectionInput = {
  /** Why the version must not be deployed again. */
  reason: string;
  /** Who rejected it, e.g. `user:default/alice`. */
  by: string;
  /** When, ISO 8601; defaults to now. */
  at?: string;
};
/**
 * A fetch-based client of the MLflow REST API 2.0 (model registry and runs),
 * usable in the browser and in Node.
 *
 * Lookups of things that do not exist resolve to `undefined`. Every other
 * failure throws an error from `@backstage/errors` whose message names the
 * server and says what to fix: `ServiceUnavailableError` (unreachable,
 * timeout, 5xx, a response that is not MLflow's), `AuthenticationError`
 * (401), `NotAllowedError` (403), `InputError` (400).
 *
 * @public
 */
export class MlflowClient {
  private readonly requests: MlflowRequests;

  /** Creates a client; throws an `InputError` for an invalid URL. */
  static create(options: MlflowClientOptions): MlflowClient {
    return new MlflowClient(options);
  }

  private constructor(options: MlflowClientOptions) {
    this.requests = new MlflowRequests(options);
  }

  /** The server's base URL, without credentials. */
  get url(): string {
    return this.requests.baseUrl;
  }

  /** `GET model-versions/get`; undefined when the model or version does not exist. */
  async getModelVersion(
    name: string,
    version: string,
  ): Promise<MlflowModelVersion | undefined> {
    return reads.getModelVersion(this.requests, name, version);
  }

  /**
   * `GET model-versions/get-download-uri`: where the version's artifacts
   * are (GetModelVersionDownloadUri in mlflow/protos/model_registry.proto;
   * MLflow's stores answer the version's `storage_location`, else its
   * `source`: get_model_version_download_uri in
   * mlflow/store/model_registry/sqlalchemy_store.py). Undefined when the
   * model or version does not exist.
   */
  async getModelVersionDownloadUri(
    name: string,
    version: string,
  ): Promise<string | undefined> {
    return reads.getModelVersionDownloadUri(this.requests, name, version);
  }

  /**
   * The text of one file of a version's artifacts, e.g. `MLmodel`, read
   * through the tracking server
   * (`GET /model-versions/get-artifact?name=…&version=…&path=…`, the route
   * mlflow/server/__init__.py serves with
   * get_model_version_artifact_handler; it needs READ on the model with the
   * basic-auth app). Undefined when the server answers that the version or
   * file does not exist. At most `maxBytes` (default 64 KiB) are read.
   */
  async getModelVersionArtifactText(
    name: string,
    version: string,
    path: string,
    maxBytes = 64 * 1024,
  ): Promise<string | undefined> {
    return reads.getModelVersionArtifactText(
      this.requests,
      name,
      version,
      path,
      maxBytes,
    );
  }

  /** `GET registered-models/get`; undefined when the model does not exist. */
  async getRegisteredModel(
    name: string,
  ): Promise<MlflowRegisteredModel | undefined> {
    return reads.getRegisteredModel(this.requests, name);
  }

  /**
   * `GET registered-models/alias`; undefined when the model or alias does
   * not exist (MLflow answers an unknown alias with INVALID_PARAMETER_VALUE).
   */
  async getModelVersionByAlias(
    name: string,
    alias: string,
  ): Promise<MlflowModelVersion | undefined> {
    return reads.getModelVersionByAlias(this.requests, name, alias);
  }

  /**
   * `GET model-versions/search` with an MLflow filter such as
   * `name='fraud-detector'`, following `next_page_token` until MLflow sends
   * none (SearchModelVersions in mlflow/protos/model_registry.proto), or
   * until `limit` versions (default 10 000) are read.
   */
  async searchModelVersions(
    filter: string,
    options: { limit?: number; pageSize?: number } = {},
  ): Promise<MlflowModelVersion[]> {
    return reads.searchModelVersions(this.requests, filter, options);
  }

  /** `GET runs/get`; undefined when the run does not exist. */
  async getRun(runId: string): Promise<MlflowRun | undefined> {
    return reads.getRun(this.requests, runId);
  }

  /**
   * `POST model-versions/set-tag`: sets (or overwrites) one tag of a model
   * version (SetModelVersionTag in mlflow/protos/model_registry.proto; MLflow
   * answers `{}`). Needs EDIT on the model with MLflow's basic-auth app.
   * Throws a `NotFoundError` when the model or version does not exist.
   */
  async setModelVersionTag(
    name: string,
    version: string,
    key: string,
    value: string,
  ): Promise<void> {
    return writes.setModelVersionTag(this.requests, name, version, key, value);
  }

  /**
   * `DELETE model-versions/delete-tag` with a JSON body: deletes one tag of
   * a model version (DeleteModelVersionTag in
   * mlflow/protos/model_registry.proto). A tag that is not set is no error:
   * MLflow's stores delete only an existing tag and answer `{}` either way
   * (delete_model_version_tag in mlflow/store/model_registry/
   * sqlalchemy_store.py and file_store.py); a registry that answers
   * RESOURCE_DOES_NOT_EXIST naming the tag is taken the same way. Needs
   * MANAGE on the model with MLflow's basic-auth app (its before-request
   * validators map DeleteModelVersionTag to validate_can_delete_registered_model).
   * Throws a `NotFoundError` when the model or version does not exist.
   */
  async deleteModelVersionTag(
    name: string,
    version: string,
    key: string,
  ): Promise<void> {
    return writes.deleteModelVersionTag(this.requests, name, version, key);
  }

  /**
   * Marks a version rejected: sets the reason, who and when, then
   * `validation_status=rejected` ({@link REJECTION_TAGS}), so the version is
   * blocked only once the reason is there. Throws an `InputError` for an
   * empty reason or who, or a time that is not ISO 8601.
   */
  async rejectModelVersion(
    name: string,
    version: string,
    rejection: MlflowRejectionInput,
  ): Promise<void> {
    return writes.rejectModelVersion(this.requests, name, version, rejection);
  }

  /**
   * Clears a rejection: deletes `validation_status` first (which unblocks
   * the version), then the reason, who and when. Tags that are not set are
   * no error, so un-rejecting a version that is not rejected does nothing.
   */
  async unrejectModelVersion(name: string, version: string): Promise<void> {
    return writes.unrejectModelVersion(this.requests, name, version);
  }
}
