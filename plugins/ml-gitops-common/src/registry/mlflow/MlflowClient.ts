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
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { z } from 'zod';
import {
  MlflowApiModelVersion,
  MlflowApiRegisteredModel,
  MlflowApiRun,
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowRun,
} from './types';
import { REJECTION_TAGS, REJECTED_TAG } from './deployable';

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

/** The permission of MLflow's basic-auth app an endpoint needs. */
type Permission = 'READ' | 'EDIT' | 'MANAGE';

const tagList = z
  .array(z.object({ key: z.string(), value: z.string().optional() }))
  .optional();

const apiModelVersion = z.looseObject({
  name: z.string(),
  version: z.union([z.string(), z.number()]).transform(String),
  creation_timestamp: z.coerce.number().optional(),
  last_updated_timestamp: z.coerce.number().optional(),
  current_stage: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  status_message: z.string().optional(),
  tags: tagList,
  run_link: z.string().optional(),
  aliases: z.array(z.string()).optional(),
});

const apiRegisteredModel = z.looseObject({
  name: z.string(),
  creation_timestamp: z.coerce.number().optional(),
  last_updated_timestamp: z.coerce.number().optional(),
  description: z.string().optional(),
  latest_versions: z.array(apiModelVersion).optional(),
  tags: tagList,
  aliases: z
    .array(
      z.object({
        alias: z.string(),
        version: z.union([z.string(), z.number()]).transform(String),
      }),
    )
    .optional(),
});

const apiRun = z.looseObject({
  info: z.looseObject({
    run_id: z.string(),
    run_name: z.string().optional(),
    experiment_id: z.string().optional(),
    status: z.string().optional(),
    lifecycle_stage: z.string().optional(),
    artifact_uri: z.string().optional(),
  }),
  data: z
    .looseObject({
      metrics: z
        .array(
          z.object({
            key: z.string(),
            // MLflow serialises NaN and infinities as strings.
            value: z.union([z.number(), z.string()]),
            timestamp: z.coerce.number().optional(),
            step: z.coerce.number().optional(),
          }),
        )
        .optional(),
      params: z
        .array(z.object({ key: z.string(), value: z.string() }))
        .optional(),
      tags: z
        .array(z.object({ key: z.string(), value: z.string() }))
        .optional(),
    })
    .optional(),
});

const apiError = z.looseObject({
  error_code: z.string(),
  message: z.string().optional(),
});

/**
 * `base64(username ":" password)` of RFC 7617, over the UTF-8 bytes (the
 * charset werkzeug, which parses the header for MLflow, decodes with);
 * `btoa` exists in browsers and in Node.
 */
function basicCredentials(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

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
  private readonly baseUrl: string;
  private readonly authorization?: string;
  private readonly auth: 'none' | 'token' | 'basic';
  private readonly credentialsHint?: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  /** Creates a client; throws an `InputError` for an invalid URL. */
  static create(options: MlflowClientOptions): MlflowClient {
    return new MlflowClient(options);
  }

  private constructor(options: MlflowClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new InputError(
        `Invalid MLflow URL ${JSON.stringify(
          options.baseUrl,
        )}: use e.g. https://mlflow.example.com`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InputError(
        `Invalid MLflow URL ${JSON.stringify(
          options.baseUrl,
        )}: it must start with http:// or https://`,
      );
    }
    if (url.username || url.password) {
      throw new InputError(
        'Do not put credentials in the MLflow URL; pass a token, or a username and password, instead',
      );
    }
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    const token = options.token || undefined;
    const username = options.username || undefined;
    const password = options.password || undefined;
    if (token && (username || password)) {
      throw new InputError(
        "Give MLflow either a token or a username and password, not both: MLflow's basic-auth app takes only the username and password",
      );
    }
    if ((username === undefined) !== (password === undefined)) {
      throw new InputError(
        `MLflow basic auth needs both a username and a password; only the ${
          username ? 'username' : 'password'
        } is set`,
      );
    }
    if (username?.includes(':')) {
      // RFC 7617 section 2: the user-id of Basic credentials has no colon.
      throw new InputError(
        'The MLflow username must not contain ":" (HTTP Basic credentials cannot carry it)',
      );
    }
    if (token) {
      this.auth = 'token';
      this.authorization = `Bearer ${token}`;
    } else if (username && password) {
      this.auth = 'basic';
      this.authorization = `Basic ${basicCredentials(username, password)}`;
    } else {
      this.auth = 'none';
    }
    this.credentialsHint = options.credentialsHint;
    this.fetchFn = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The server's base URL, without credentials. */
  get url(): string {
    return this.baseUrl;
  }

  /** `GET model-versions/get`; undefined when the model or version does not exist. */
  async getModelVersion(
    name: string,
    version: string,
  ): Promise<MlflowModelVersion | undefined> {
    const body = await this.get('model-versions/get', { name, version });
    if (body === undefined) return undefined;
    const parsed = this.parse(
      z.object({ model_version: apiModelVersion }),
      body,
      'model-versions/get',
    );
    return normalizeMlflowModelVersion(parsed.model_version);
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
    const body = await this.get('model-versions/get-download-uri', {
      name,
      version,
    });
    if (body === undefined) return undefined;
    return this.parse(
      z.looseObject({ artifact_uri: z.string() }),
      body,
      'model-versions/get-download-uri',
    ).artifact_uri;
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
    const url = `${
      this.baseUrl
    }/model-versions/get-artifact?${new URLSearchParams({
      name,
      version,
      path,
    })}`;
    const response = await this.send(url, 'GET', undefined);
    if (response.status === 404) {
      await response.text().catch(() => '');
      return undefined;
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const code = apiError.safeParse(
        (() => {
          try {
            return JSON.parse(text);
          } catch {
            return undefined;
          }
        })(),
      );
      if (code.success && code.data.error_code === 'RESOURCE_DOES_NOT_EXIST') {
        return undefined;
      }
      throw new ServiceUnavailableError(
        `MLflow at ${this.baseUrl} answered ${
          response.status
        } reading ${path} of ${name} version ${version}${
          code.success && code.data.message ? ` (${code.data.message})` : ''
        }`,
      );
    }
    const buffer = new Uint8Array(await response.arrayBuffer());
    if (buffer.byteLength > maxBytes) {
      throw new ServiceUnavailableError(
        `MLflow at ${this.baseUrl} sent more than ${maxBytes} bytes for ${path} of ${name} version ${version}`,
      );
    }
    return new TextDecoder().decode(buffer);
  }

  /** `GET registered-models/get`; undefined when the model does not exist. */
  async getRegisteredModel(
    name: string,
  ): Promise<MlflowRegisteredModel | undefined> {
    const body = await this.get('registered-models/get', { name });
    if (body === undefined) return undefined;
    const { registered_model: m } = this.parse(
      z.object({ registered_model: apiRegisteredModel }),
      body,
      'registered-models/get',
    );
    const model = m as MlflowApiRegisteredModel;
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

  /**
   * `GET registered-models/alias`; undefined when the model or alias does
   * not exist (MLflow answers an unknown alias with INVALID_PARAMETER_VALUE).
   */
  async getModelVersionByAlias(
    name: string,
    alias: string,
  ): Promise<MlflowModelVersion | undefined> {
    const body = await this.get(
      'registered-models/alias',
      { name, alias },
      (code, message) =>
        code === 'INVALID_PARAMETER_VALUE' &&
        /alias .* not found/i.test(message),
    );
    if (body === undefined) return undefined;
    const parsed = this.parse(
      z.object({ model_version: apiModelVersion }),
      body,
      'registered-models/alias',
    );
    return normalizeMlflowModelVersion(parsed.model_version);
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
    const limit = options.limit ?? 10_000;
    // 1000 is MLflow's own default page (SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT
    // in mlflow/store/model_registry/__init__.py); the REST handler allows up
    // to 200 000, Databricks' registry 10 000.
    const pageSize = Math.min(options.pageSize ?? 1000, 10_000);
    const versions: MlflowModelVersion[] = [];
    const seen = new Set<string>();
    let pageToken: string | undefined;
    do {
      const body = await this.get('model-versions/search', {
        filter,
        max_results: String(Math.min(pageSize, limit - versions.length)),
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      const page = this.parse(
        z.looseObject({
          model_versions: z.array(apiModelVersion).optional(),
          next_page_token: z.string().optional(),
        }),
        body ?? {},
        'model-versions/search',
      );
      versions.push(
        ...(page.model_versions ?? []).map(normalizeMlflowModelVersion),
      );
      pageToken = page.next_page_token || undefined;
      if (pageToken && seen.has(pageToken)) {
        throw new ServiceUnavailableError(
          `MLflow at ${this.baseUrl} sent the same next_page_token twice for model-versions/search; check the server`,
        );
      }
      if (pageToken) seen.add(pageToken);
    } while (pageToken && versions.length < limit);
    return versions;
  }

  /** `GET runs/get`; undefined when the run does not exist. */
  async getRun(runId: string): Promise<MlflowRun | undefined> {
    const body = await this.get('runs/get', { run_id: runId });
    if (body === undefined) return undefined;
    const parsed = this.parse(z.object({ run: apiRun }), body, 'runs/get');
    return normalizeMlflowRun(parsed.run as MlflowApiRun);
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
    await this.write(
      'POST',
      'model-versions/set-tag',
      { name, version, key, value },
      { name, version },
    );
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
    await this.write(
      'DELETE',
      'model-versions/delete-tag',
      { name, version, key },
      { name, version },
      message => /\btag\b/i.test(message),
    );
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
    const reason = rejection.reason?.trim();
    const by = rejection.by?.trim();
    const at = rejection.at ?? new Date().toISOString();
    if (!reason) {
      throw new InputError(
        `Rejecting ${name} version ${version} needs a reason: say why it must not be deployed again`,
      );
    }
    if (!by) {
      throw new InputError(
        `Rejecting ${name} version ${version} needs who rejects it, e.g. user:default/alice`,
      );
    }
    if (Number.isNaN(Date.parse(at)) || !/^\d{4}-\d\d-\d\dT/.test(at)) {
      throw new InputError(
        `Rejecting ${name} version ${version}: the time ${JSON.stringify(
          at,
        )} is not ISO 8601; use e.g. 2026-12-06T07:00:00Z`,
      );
    }
    await this.setModelVersionTag(name, version, REJECTION_TAGS.reason, reason);
    await this.setModelVersionTag(name, version, REJECTION_TAGS.by, by);
    await this.setModelVersionTag(name, version, REJECTION_TAGS.at, at);
    await this.setModelVersionTag(
      name,
      version,
      REJECTION_TAGS.status,
      REJECTED_TAG.value,
    );
  }

  /**
   * Clears a rejection: deletes `validation_status` first (which unblocks
   * the version), then the reason, who and when. Tags that are not set are
   * no error, so un-rejecting a version that is not rejected does nothing.
   */
  async unrejectModelVersion(name: string, version: string): Promise<void> {
    for (const key of [
      REJECTION_TAGS.status,
      REJECTION_TAGS.reason,
      REJECTION_TAGS.by,
      REJECTION_TAGS.at,
    ]) {
      await this.deleteModelVersionTag(name, version, key);
    }
  }

  /**
   * Sends one request with the client's credentials and timeout; network
   * failures and timeouts become a `ServiceUnavailableError`.
   */
  private async send(
    url: string,
    method: 'GET' | 'POST' | 'DELETE',
    body: Record<string, string> | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    if (this.authorization) headers.Authorization = this.authorization;
    const where = `MLflow at ${this.baseUrl}`;
    try {
      return await this.fetchFn(url, {
        method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ServiceUnavailableError(
          `${where} did not answer within ${
            this.timeoutMs / 1000
          }s; check the server is up and reachable from here`,
        );
      }
      throw new ServiceUnavailableError(
        `${where} is unreachable (${
          (error as Error)?.message ?? String(error)
        }); check the URL and the network`,
      );
    }
  }

  /**
   * The message of a 401: MLflow's basic-auth app answers every request
   * without valid Basic credentials (a bearer token too) with 401 and
   * `WWW-Authenticate: Basic realm="mlflow"` (`make_basic_auth_response` in
   * mlflow/server/auth/__init__.py).
   */
  private unauthenticatedMessage(where: string, challenge: string): string {
    const where401 = `${where} answered 401`;
    const inHint = this.credentialsHint ? ` in ${this.credentialsHint}` : '';
    if (/^\s*basic\b/i.test(challenge)) {
      if (this.auth === 'basic') {
        return `${where401}: its basic-auth app did not accept the username and password${inHint}; check them`;
      }
      return `${where401}: its basic-auth app needs username/password${inHint}${
        this.auth === 'token' ? ', not a bearer token' : ''
      }`;
    }
    if (this.auth === 'none') {
      return `${where401}: it needs credentials; set username/password${inHint}, or a token`;
    }
    return this.auth === 'token'
      ? `${where401}: the token is not accepted (invalid or expired)`
      : `${where401}: the username and password${inHint} are not accepted`;
  }

  private parse<T>(schema: z.ZodType<T>, body: unknown, endpoint: string): T {
    const result = schema.safeParse(body);
    if (!result.success) {
      throw new ServiceUnavailableError(
        `MLflow at ${this.baseUrl} sent an unexpected ${endpoint} response (${
          result.error.issues[0]?.message ?? 'invalid'
        }); check that the URL points to an MLflow tracking server`,
      );
    }
    return result.data;
  }

  /**
   * A write (POST or DELETE with a JSON body). A missing model or version
   * is a `NotFoundError`; `alsoFine` accepts other RESOURCE_DOES_NOT_EXIST
   * answers by their message.
   */
  private async write(
    method: 'POST' | 'DELETE',
    endpoint: string,
    body: Record<string, string>,
    target: { name: string; version: string },
    alsoFine?: (message: string) => boolean,
  ): Promise<void> {
    let notFound: string | undefined;
    await this.request(method, endpoint, {
      body,
      permission: method === 'DELETE' ? 'MANAGE' : 'EDIT',
      notFound: (code, message) => {
        if (code !== 'RESOURCE_DOES_NOT_EXIST') return false;
        if (!alsoFine?.(message)) notFound = message;
        return true;
      },
    });
    if (notFound !== undefined) {
      throw new NotFoundError(
        `${target.name} version ${target.version} does not exist in MLflow at ${
          this.baseUrl
        }${
          notFound ? ` (${notFound.trim()})` : ''
        }; check the model name and version`,
      );
    }
  }

  /**
   * GETs an endpoint; resolves to the JSON body, or undefined for
   * RESOURCE_DOES_NOT_EXIST (and what `alsoNotFound` accepts).
   */
  private async get(
    endpoint: string,
    query: Record<string, string>,
    alsoNotFound?: (code: string, message: string) => boolean,
  ): Promise<unknown> {
    return this.request('GET', endpoint, {
      query,
      permission: 'READ',
      notFound: (code, message) =>
        code === 'RESOURCE_DOES_NOT_EXIST' ||
        Boolean(alsoNotFound?.(code, message)),
    });
  }

  /**
   * Sends one request; resolves to the JSON body, or undefined when
   * `notFound` accepts the error code and message.
   */
  private async request(
    method: 'GET' | 'POST' | 'DELETE',
    endpoint: string,
    options: {
      query?: Record<string, string>;
      body?: Record<string, string>;
      /** What MLflow's basic-auth app needs for it, named in a 403. */
      permission: Permission;
      notFound: (code: string, message: string) => boolean;
    },
  ): Promise<unknown> {
    const url = `${this.baseUrl}/api/2.0/mlflow/${endpoint}${
      options.query ? `?${new URLSearchParams(options.query)}` : ''
    }`;
    const where = `MLflow at ${this.baseUrl}`;
    const response = await this.send(url, method, options.body);
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const error = apiError.safeParse(body);
    const code = error.success ? error.data.error_code : undefined;
    const message = error.success
      ? error.data.message ?? ''
      : text.slice(0, 200);

    if (response.ok) {
      if (body === undefined || typeof body !== 'object') {
        throw new ServiceUnavailableError(
          `${where} sent a response to ${endpoint} that is not JSON; check that the URL points to an MLflow tracking server`,
        );
      }
      return body;
    }
    if (code && options.notFound(code, message)) {
      return undefined;
    }
    if (response.status === 401 || code === 'UNAUTHENTICATED') {
      throw new AuthenticationError(
        this.unauthenticatedMessage(
          where,
          response.headers.get('www-authenticate') ?? '',
        ),
      );
    }
    if (response.status === 403 || code === 'PERMISSION_DENIED') {
      const who = {
        basic: 'the configured MLflow user',
        token: 'the token',
        none: 'anonymous requests',
      }[this.auth];
      throw new NotAllowedError(
        `${where} answered 403 on ${endpoint}${
          message ? ` (${message.trim()})` : ''
        }: give ${who} ${
          options.permission
        } permission on the registered model${
          endpoint.startsWith('runs/')
            ? ' and on the experiment of its training run'
            : ''
        }${this.credentialsHint ? `, or change ${this.credentialsHint}` : ''}`,
      );
    }
    if (response.status === 404 && !code) {
      throw new ServiceUnavailableError(
        `${where} has no ${endpoint} endpoint (404); check that the URL points to an MLflow tracking server`,
      );
    }
    if (response.status >= 400 && response.status < 500) {
      throw new InputError(
        `${where} rejected ${endpoint} (${response.status}${
          code ? ` ${code}` : ''
        }): ${message}`,
      );
    }
    throw new ServiceUnavailableError(
      `${where} failed on ${endpoint} (${response.status}${
        code ? ` ${code}` : ''
      }${
        message ? `: ${message}` : ''
      }); try again, or check the server's logs`,
    );
  }
}
