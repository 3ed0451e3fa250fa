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
 * The MLflow Model Registry and Tracking REST API subset the plugins read
 * (mlflow.org/docs/latest/api_reference/rest-api.html). Errors use MLflow's
 * `{error_code, message}` body with the HTTP codes of mlflow/server/handlers.py
 * (RESOURCE_DOES_NOT_EXIST → 404, INVALID_PARAMETER_VALUE → 400).
 *
 * Where each rule comes from (mlflow/mlflow):
 * - Basic auth (switched on with `setAuth`, off by default so the demo stays
 *   open): mlflow/server/auth/__init__.py, `mlflow server --app-name
 *   basic-auth`. Anything but valid HTTP Basic credentials (a bearer token
 *   too) gets make_basic_auth_response: 401, a plain-text body and
 *   `WWW-Authenticate: Basic realm="mlflow"`. A user whose permission does
 *   not allow the call gets make_forbidden_response: 403 "Permission denied".
 *   The permissions (READ reads, EDIT also updates, MANAGE also deletes,
 *   NO_PERMISSIONS nothing; READ is the default) are the table of
 *   docs/source/auth/index.rst.
 * - Registration states: ModelVersionStatus in
 *   mlflow/protos/model_registry.proto (PENDING_REGISTRATION,
 *   FAILED_REGISTRATION, READY). MLflow's own SQL store creates a version
 *   READY (SqlAlchemyStore.create_model_version in
 *   mlflow/store/model_registry/sqlalchemy_store.py); registries that copy
 *   artifacts asynchronously create it PENDING_REGISTRATION and clients wait
 *   (_await_model_version_creation in
 *   mlflow/store/model_registry/abstract_store.py). `setRegistrationMode`
 *   picks which, `completeRegistration` ends a pending one.
 * - Pages: max_results defaults and limits from mlflow/protos/model_registry.proto
 *   (SearchRegisteredModels: default 100, "Max threshold is 1000";
 *   SearchModelVersions: default 200000) and the schema checks of
 *   _search_registered_models / _search_model_versions in
 *   mlflow/server/handlers.py (at most 1000 and 200 000). The page token is
 *   base64 of {"offset": n} (SearchUtils.create_page_token and
 *   parse_start_offset_from_page_token in mlflow/utils/search_utils.py);
 *   the last page has no next_page_token, and an empty list is left out of
 *   the JSON as protobuf does.
 * - Model version tags: SetModelVersionTag and DeleteModelVersionTag in
 *   mlflow/protos/model_registry.proto, stored as SqlAlchemyStore
 *   (mlflow/store/model_registry/sqlalchemy_store.py) stores them: the
 *   version must exist (RESOURCE_DOES_NOT_EXIST otherwise), set-tag
 *   overwrites, delete-tag of a tag that is not set changes nothing, and
 *   both answer `{}`. Keys and values are checked as
 *   _validate_model_version_tag in mlflow/utils/validation.py does (key
 *   characters, at most 250 characters; value at most 5000). The auth app
 *   needs EDIT for set-tag and MANAGE for delete-tag (BEFORE_REQUEST_VALIDATORS
 *   in mlflow/server/auth/__init__.py).
 * - Artifacts: the emulated server runs as `mlflow server
 *   --default-artifact-root s3://ml-gitops-sandbox-mlflow --no-serve-artifacts`
 *   (docs/source/tracking/server.rst, "Artifact stores"), so a run's
 *   artifact_uri is s3://ml-gitops-sandbox-mlflow/<experiment>/<run id>/artifacts
 *   (SqlAlchemyStore.create_run in mlflow/store/tracking/sqlalchemy_store.py
 *   appends <run id>/artifacts to the experiment's location). A version's
 *   download URI is its storage_location, else its source
 *   (get_model_version_download_uri in
 *   mlflow/store/model_registry/sqlalchemy_store.py); create_model_version
 *   stores, for a models:/<name>/<version> source, that version's download
 *   URI as the new one's storage_location. Files are read through
 *   GET /model-versions/get-artifact (get_model_version_artifact_handler in
 *   mlflow/server/handlers.py); the emulated bucket holds the MLmodel file
 *   of each seeded version, as mlflow.sklearn.log_model writes it.
 */

import crypto from 'node:crypto';
import http from 'node:http';
import {
  readJson,
  Router,
  RouteContext,
  sendJson as sendHttpJson,
} from '../lib/http';
import { daysAgo, MODELS, stableHex, USERS } from '../seed/data';

/**
 * A body as MLflow's message_to_json (mlflow/utils/proto_json_utils.py)
 * writes it: protobuf's JSON leaves out empty repeated fields, at any depth.
 */
function protoJson(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(protoJson);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined && !(Array.isArray(v) && !v.length))
        .map(([k, v]) => [k, protoJson(v)]),
    );
  }
  return value;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  sendHttpJson(res, status, protoJson(body));
}

export type MlflowVersion = {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: MlflowVersionStatus;
  /** Set while pending or after a failure (ModelVersion.status_message). */
  status_message?: string;
  user_id: string;
  tags: Array<{ key: string; value: string }>;
  run_link: string;
  aliases: string[];
};

export type MlflowRun = {
  info: Record<string, unknown>;
  data: {
    metrics: Array<{
      key: string;
      value: number;
      timestamp: number;
      step: number;
    }>;
    params: Array<{ key: string; value: string }>;
    tags: Array<{ key: string; value: string }>;
  };
  inputs: Record<string, unknown>;
};

export type MlflowModel = {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  user_id: string;
  tags: Array<{ key: string; value: string }>;
  aliases: Array<{ alias: string; version: string }>;
};

/** ModelVersionStatus of mlflow/protos/model_registry.proto. */
export type MlflowVersionStatus =
  | 'PENDING_REGISTRATION'
  | 'FAILED_REGISTRATION'
  | 'READY';

/** A permission of MLflow's basic-auth app (docs/source/auth/index.rst). */
export type MlflowPermission = 'READ' | 'EDIT' | 'MANAGE' | 'NO_PERMISSIONS';

/** The users of the emulated basic-auth app. */
export type MlflowBasicAuth = {
  users: Array<{
    username: string;
    password: string;
    /** default READ, the auth app's default_permission */
    permission?: MlflowPermission;
  }>;
};

export class MlflowError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** The emulated artifact root (`--default-artifact-root`). */
export const SANDBOX_ARTIFACT_ROOT = 's3://ml-gitops-sandbox-mlflow';

/** Where a run's artifacts go under the artifact root. */
function runArtifactUri(experimentId: string, runId: string): string {
  return `${SANDBOX_ARTIFACT_ROOT}/${experimentId}/${runId}/artifacts`;
}

/**
 * The MLmodel file of a model logged with `flavor` (Model.to_yaml in
 * mlflow/models/model.py: the python_function flavor next to the
 * framework's own).
 */
export function mlmodelFile(flavor: string, runId: string): string {
  const own =
    flavor === 'python_function'
      ? ''
      : `  ${flavor}:\n    code: null\n    pickled_model: model.pkl\n`;
  return [
    'artifact_path: model',
    'flavors:',
    '  python_function:',
    '    env:',
    '      conda: conda.yaml',
    '      virtualenv: python_env.yaml',
    `    loader_module: mlflow.${
      flavor === 'python_function' ? 'pyfunc.model' : flavor
    }`,
    '    model_path: model.pkl',
    '    python_version: 3.11.9',
    `${own}mlflow_version: 2.16.0`,
    `run_id: ${runId}`,
    "utc_time_created: '2026-01-01 00:00:00.000000'",
    '',
  ].join('\n');
}

export class MlflowStore {
  models = new Map<string, MlflowModel>();
  versions: MlflowVersion[] = [];
  runs = new Map<string, MlflowRun>();
  /**
   * storage_location of a version, by `<name>/<version>`: MLflow keeps it in
   * its database and sends it only as the download URI.
   */
  storageLocations = new Map<string, string>();
  /** The emulated artifact store: file text by full URI. */
  artifacts = new Map<string, string>();
  /**
   * How model-versions/create registers: `ready` as MLflow's SQL store does,
   * or `pending` as a registry that copies artifacts asynchronously does.
   */
  registrationMode: 'ready' | 'pending' = 'ready';

  /**
   * Ends the registration of a PENDING_REGISTRATION version: READY, or
   * FAILED_REGISTRATION with a status message. Throws for any other version.
   */
  completeRegistration(
    name: string,
    version: string,
    status: 'READY' | 'FAILED_REGISTRATION',
    statusMessage?: string,
  ): MlflowVersion {
    const found = this.versions.find(
      v => v.name === name && v.version === version,
    );
    if (!found) {
      throw new Error(`no version ${version} of ${name}`);
    }
    if (found.status !== 'PENDING_REGISTRATION') {
      throw new Error(
        `${name} version ${version} is ${found.status}, not PENDING_REGISTRATION`,
      );
    }
    found.status = status;
    if (statusMessage) found.status_message = statusMessage;
    else delete found.status_message;
    found.last_updated_timestamp = Date.now();
    return found;
  }

  /**
   * Registers a version of a model with the training run behind it, as
   * MLflow shows them after `mlflow.register_model` (the run id is derived
   * from the model and version, so seeds are stable).
   */
  registerVersion(v: {
    model: string;
    team: string;
    version: string;
    userEmail: string;
    /** Epoch milliseconds. */
    registeredAt: number;
    experimentId: string;
    stage: string;
    aliases: string[];
    description: string;
    metrics: Record<string, number>;
    /** The MLflow flavor it was logged with (default sklearn). */
    flavor?: string;
  }): void {
    const runId = stableHex(`${v.model}/run/${v.version}`, 32);
    const source = `${runArtifactUri(v.experimentId, runId)}/model`;
    this.artifacts.set(
      `${source}/MLmodel`,
      mlmodelFile(v.flavor ?? 'sklearn', runId),
    );
    const t = v.registeredAt;
    const runName = `${v.model}-train-v${v.version}`;
    this.versions.push({
      name: v.model,
      version: v.version,
      creation_timestamp: t,
      last_updated_timestamp: t + 3600_000,
      current_stage: v.stage,
      description: v.description,
      source,
      run_id: runId,
      status: 'READY',
      user_id: v.userEmail,
      tags: [{ key: 'team', value: v.team }],
      run_link: '',
      aliases: v.aliases,
    });
    this.runs.set(runId, {
      info: {
        run_id: runId,
        run_uuid: runId,
        run_name: runName,
        experiment_id: v.experimentId,
        user_id: v.userEmail,
        status: 'FINISHED',
        start_time: t - 5400_000,
        end_time: t - 600_000,
        artifact_uri: runArtifactUri(v.experimentId, runId),
        lifecycle_stage: 'active',
      },
      data: {
        metrics: Object.entries(v.metrics).map(([key, value]) => ({
          key,
          value,
          timestamp: t - 900_000,
          step: 0,
        })),
        params: [
          { key: 'learning_rate', value: '0.05' },
          { key: 'n_estimators', value: String(300 + Number(v.version) * 20) },
        ],
        tags: [
          { key: 'mlflow.runName', value: runName },
          { key: 'mlflow.user', value: v.userEmail },
        ],
      },
      inputs: {},
    });
  }

  /** The version's download URI: its storage_location, else its source. */
  downloadUri(v: MlflowVersion): string {
    return this.storageLocations.get(`${v.name}/${v.version}`) ?? v.source;
  }

  static seed(): MlflowStore {
    const store = new MlflowStore();
    for (const m of MODELS) {
      const created = daysAgo(
        Math.max(...m.versions.map(v => v.registeredDaysAgo)) + 1,
      ).getTime();
      const aliasByVersion = (v: string) =>
        Object.entries(m.aliases)
          .filter(([, ver]) => ver === v)
          .map(([a]) => a);
      const experimentId = String(100 + MODELS.indexOf(m));
      for (const v of m.versions) {
        let stage = 'None';
        if (m.aliases.champion === v.version) stage = 'Production';
        else if (m.aliases.challenger === v.version) stage = 'Staging';
        store.registerVersion({
          model: m.name,
          team: m.team,
          version: v.version,
          userEmail: USERS[v.user]?.email ?? v.user,
          registeredAt: daysAgo(v.registeredDaysAgo).getTime(),
          experimentId,
          stage,
          aliases: aliasByVersion(v.version),
          description: v.description ?? '',
          metrics: v.metrics,
        });
      }
      store.models.set(m.name, {
        name: m.name,
        creation_timestamp: created,
        last_updated_timestamp: daysAgo(
          Math.min(...m.versions.map(v => v.registeredDaysAgo)),
        ).getTime(),
        description: `${m.name} — owned by ${m.team}.`,
        user_id: USERS[m.initial.author]?.email ?? m.initial.author,
        tags: [{ key: 'team', value: m.team }],
        aliases: Object.entries(m.aliases).map(([alias, version]) => ({
          alias,
          version,
        })),
      });
    }
    return store;
  }
}

function required(ctx: RouteContext, name: string): string {
  const v = ctx.url.searchParams.get(name);
  if (v === null || v === '') {
    throw new MlflowError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
    );
  }
  return v;
}

/**
 * `max_results` of a search: the proto's default when absent; at most
 * `limit` (the schema check of the handler in mlflow/server/handlers.py,
 * whose message is invalid_value's with a type hint); at least 1 (the
 * store's check).
 */
function maxResults(ctx: RouteContext, fallback: number, limit: number) {
  const raw = ctx.url.searchParams.get('max_results');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || n > limit) {
    throw new MlflowError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Invalid value ${JSON.stringify(
        raw,
      )} for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`,
    );
  }
  if (n < 1) {
    throw new MlflowError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Invalid value for max_results. It must be a positive integer, but got ${n}`,
    );
  }
  return n;
}

/** The offset in a page token (SearchUtils.parse_start_offset_from_page_token). */
function pageOffset(ctx: RouteContext): number {
  const token = ctx.url.searchParams.get('page_token');
  if (!token) return 0;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(token) || token.length % 4 !== 0) {
    throw new MlflowError(
      400,
      'INVALID_PARAMETER_VALUE',
      'Invalid page token, could not base64-decode',
    );
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    throw new MlflowError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Invalid page token, decoded value=b'${decoded}'`,
    );
  }
  const offset = (parsed as { offset?: unknown } | null)?.offset;
  if (!offset || !Number.isInteger(Number(offset)) || Number(offset) < 0) {
    throw new MlflowError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Invalid page token, parsed value=${decoded}`,
    );
  }
  return Number(offset);
}

/** One page of `items` and the token of the next, as MLflow's stores page. */
function page<T>(items: T[], offset: number, max: number) {
  const slice = items.slice(offset, offset + max);
  return {
    items: slice,
    nextPageToken:
      offset + max < items.length
        ? Buffer.from(JSON.stringify({ offset: offset + max })).toString(
            'base64',
          )
        : undefined,
  };
}

/** Parses the registry search filter subset: name='x' [AND run_id='y'], name LIKE 'x%'. */
function parseFilter(filter: string): (v: MlflowVersion) => boolean {
  if (!filter.trim()) return () => true;
  const clauses = filter.split(/\s+and\s+/i);
  const tests = clauses.map(clause => {
    const m =
      /^\s*(name|run_id|source|version_number)\s*(=|!=|LIKE|ILIKE|IN)\s*(?:'([^']*)'|"([^"]*)"|\(([^)]*)\)|(\d+))\s*$/i.exec(
        clause,
      );
    if (!m) {
      throw new MlflowError(
        400,
        'INVALID_PARAMETER_VALUE',
        `Invalid filter '${filter}'. Could not be parsed.`,
      );
    }
    const [, key, op, q1, q2, list, num] = m;
    const value = q1 ?? q2 ?? num ?? '';
    const get = (v: MlflowVersion) =>
      key === 'version_number' ? v.version : String((v as any)[key]);
    const like = (pattern: string, ci: boolean) =>
      new RegExp(
        `^${pattern
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/%/g, '.*')
          .replace(/_/g, '.')}$`,
        ci ? 'i' : '',
      );
    switch (op.toUpperCase()) {
      case '=':
        return (v: MlflowVersion) => get(v) === value;
      case '!=':
        return (v: MlflowVersion) => get(v) !== value;
      case 'LIKE':
        return (v: MlflowVersion) => like(value, false).test(get(v));
      case 'ILIKE':
        return (v: MlflowVersion) => like(value, true).test(get(v));
      default: {
        const items = (list ?? '')
          .split(',')
          .map(s => s.trim().replace(/^['"]|['"]$/g, ''));
        return (v: MlflowVersion) => items.includes(get(v));
      }
    }
  });
  return v => tests.every(t => t(v));
}

/** Python's posixpath.normpath, which path_not_unique compares a name with. */
function posixNormpath(path: string): string {
  if (path === '') return '.';
  let slashes = 0;
  if (path.startsWith('/'))
    slashes = path.startsWith('//') && !path.startsWith('///') ? 2 : 1;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (
      part !== '..' ||
      (!slashes && !out.length) ||
      out[out.length - 1] === '..'
    ) {
      out.push(part);
    } else if (out.length) {
      out.pop();
    }
  }
  return `${'/'.repeat(slashes)}${out.join('/')}` || '.';
}

export class MlflowApi {
  private router = new Router();
  private auth: MlflowBasicAuth | undefined;

  constructor(
    public store: MlflowStore,
    private readonly baseUrl: () => string,
    options: { auth?: MlflowBasicAuth } = {},
  ) {
    this.auth = options.auth;
    this.routes();
  }

  /** Switches the basic-auth app on (with its users) or off (undefined). */
  setAuth(auth: MlflowBasicAuth | undefined) {
    this.auth = auth;
  }

  get authEnabled(): boolean {
    return this.auth !== undefined;
  }

  /**
   * What the auth app's before-request hook decides: undefined to go on, or
   * the answer it sends instead.
   */
  private authorize(
    req: RouteContext['req'],
    path: string,
  ): { status: 401 | 403; body: string } | undefined {
    if (!this.auth || /^\/(health|static|favicon\.ico)/.test(path)) {
      return undefined;
    }
    const [scheme, data] = (req.headers.authorization ?? '').split(' ');
    let user: MlflowBasicAuth['users'][number] | undefined;
    if (scheme?.toLowerCase() === 'basic' && data) {
      const decoded = Buffer.from(data, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        const username = decoded.slice(0, colon);
        const password = decoded.slice(colon + 1);
        user = this.auth.users.find(
          u => u.username === username && u.password === password,
        );
      }
    }
    if (!user) {
      return {
        status: 401,
        body: 'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
      };
    }
    const permission = user.permission ?? 'READ';
    // Reads need READ; a write needs EDIT, a delete MANAGE; creating a
    // registered model needs no permission on a resource that does not
    // exist yet.
    const write =
      req.method !== 'GET' && !path.endsWith('/registered-models/create');
    const allowed =
      permission !== 'NO_PERMISSIONS' &&
      (!write || permission !== 'READ') &&
      (req.method !== 'DELETE' || permission === 'MANAGE');
    return allowed ? undefined : { status: 403, body: 'Permission denied' };
  }

  async handle(req: RouteContext['req'], res: http.ServerResponse, url: URL) {
    try {
      const path = url.pathname.replace(/^\/ajax-api\//, '/api/');
      const refused = this.authorize(req, path);
      if (refused) {
        // Flask's make_response of a str: text/html; charset=utf-8.
        res.writeHead(refused.status, {
          'content-type': 'text/html; charset=utf-8',
          ...(refused.status === 401
            ? { 'www-authenticate': 'Basic realm="mlflow"' }
            : {}),
        });
        res.end(refused.body);
        return;
      }
      const matched = await this.router.handle({ req, res, url }, path);
      if (matched === 'method') {
        throw new MlflowError(
          405,
          'BAD_REQUEST',
          `The method is not allowed for the requested URL.`,
        );
      }
      if (!matched) {
        throw new MlflowError(
          404,
          'ENDPOINT_NOT_FOUND',
          `No API endpoint found for ${req.method} ${url.pathname}`,
        );
      }
    } catch (e) {
      if (e instanceof MlflowError) {
        sendJson(res, e.status, {
          error_code: e.errorCode,
          message: e.message,
        });
      } else {
        throw e;
      }
    }
  }

  private versionJson(v: MlflowVersion) {
    const m = this.store.models.get(v.name);
    return {
      ...v,
      run_link:
        v.run_link || `${this.baseUrl()}/#/experiments/0/runs/${v.run_id}`,
      aliases: (m?.aliases ?? [])
        .filter(a => a.version === v.version)
        .map(a => a.alias),
    };
  }

  private modelJson(m: MlflowModel) {
    const versions = this.store.versions.filter(v => v.name === m.name);
    const latestByStage = new Map<string, MlflowVersion>();
    for (const v of versions) {
      const cur = latestByStage.get(v.current_stage);
      if (!cur || Number(v.version) > Number(cur.version))
        latestByStage.set(v.current_stage, v);
    }
    return {
      ...m,
      latest_versions: [...latestByStage.values()].map(v =>
        this.versionJson(v),
      ),
    };
  }

  private model(name: string) {
    const m = this.store.models.get(name);
    if (!m)
      throw new MlflowError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${name} not found`,
      );
    return m;
  }

  /** A version by name and number, or MLflow's error. */
  private version(name: string, version: string): MlflowVersion {
    if (!/^-?\d+$/.test(version)) {
      throw new MlflowError(
        400,
        'INVALID_PARAMETER_VALUE',
        `Model version must be an integer, got '${version}'`,
      );
    }
    const v = this.store.versions.find(
      x => x.name === name && x.version === String(Number(version)),
    );
    if (!v) {
      throw new MlflowError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=${version}) not found`,
      );
    }
    return v;
  }

  private routes() {
    const r = this.router;
    const base = '/api/2.0/mlflow';
    r.add('GET', `${base}/registered-models/get`, ctx => {
      const name = required(ctx, 'name');
      sendJson(ctx.res, 200, {
        registered_model: this.modelJson(this.model(name)),
      });
    });
    r.add('GET', `${base}/registered-models/search`, ctx => {
      const filter = ctx.url.searchParams.get('filter') ?? '';
      const m = /^\s*name\s*(=|LIKE|ILIKE)\s*'([^']*)'\s*$/i.exec(filter);
      if (filter && !m) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Invalid filter '${filter}'. Could not be parsed.`,
        );
      }
      const items = [...this.store.models.values()]
        .filter(x => {
          if (!m) return true;
          if (m[1] === '=') return x.name === m[2];
          const re = new RegExp(
            `^${m[2]
              .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
              .replace(/%/g, '.*')}$`,
            m[1].toUpperCase() === 'ILIKE' ? 'i' : '',
          );
          return re.test(x.name);
        })
        // Name ascending is the default order (the proto's order_by doc).
        .sort((a, b) => (a.name < b.name ? -1 : Number(a.name > b.name)));
      const { items: shown, nextPageToken } = page(
        items,
        pageOffset(ctx),
        maxResults(ctx, 100, 1000),
      );
      sendJson(ctx.res, 200, {
        ...(shown.length
          ? { registered_models: shown.map(x => this.modelJson(x)) }
          : {}),
        ...(nextPageToken ? { next_page_token: nextPageToken } : {}),
      });
    });
    r.add('GET', `${base}/registered-models/alias`, ctx => {
      const name = required(ctx, 'name');
      const alias = required(ctx, 'alias');
      const m = this.model(name);
      const a = m.aliases.find(x => x.alias === alias);
      if (!a) {
        throw new MlflowError(
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Registered model alias ${alias} not found.`,
        );
      }
      const v = this.store.versions.find(
        x => x.name === name && x.version === a.version,
      )!;
      sendJson(ctx.res, 200, { model_version: this.versionJson(v) });
    });
    r.add('GET', `${base}/model-versions/get`, ctx => {
      const v = this.version(required(ctx, 'name'), required(ctx, 'version'));
      sendJson(ctx.res, 200, { model_version: this.versionJson(v) });
    });
    r.add('GET', `${base}/model-versions/get-download-uri`, ctx => {
      const v = this.version(required(ctx, 'name'), required(ctx, 'version'));
      sendJson(ctx.res, 200, { artifact_uri: this.store.downloadUri(v) });
    });
    // Not under /api: the route the UI downloads files with, served by the
    // tracking server from the artifact store.
    r.add('GET', '/model-versions/get-artifact', ctx => {
      const v = this.version(required(ctx, 'name'), required(ctx, 'version'));
      const path = required(ctx, 'path');
      if (path.split('/').some(part => part === '..') || path.startsWith('/')) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Invalid path: ${path}`,
        );
      }
      let location = this.store.downloadUri(v);
      const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(location);
      if (runs) {
        const run = this.store.runs.get(runs[1]);
        location = `${String(run?.info.artifact_uri ?? '')}/${runs[2]}`;
      }
      const text = this.store.artifacts.get(`${location}/${path}`);
      if (text === undefined) {
        throw new MlflowError(
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `File ${path} does not exist in ${location}`,
        );
      }
      ctx.res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      ctx.res.end(text);
    });
    r.add('GET', `${base}/model-versions/search`, ctx => {
      const q = ctx.url.searchParams;
      const max = maxResults(ctx, 200_000, 200_000);
      const test = parseFilter(q.get('filter') ?? '');
      let items = this.store.versions.filter(test);
      // newest first unless `order_by` asks for ascending order
      const ascending = q.getAll('order_by').some(o => /\basc\b/i.test(o));
      items = [...items].sort(
        (a, b) =>
          a.name.localeCompare(b.name) ||
          (Number(b.version) - Number(a.version)) * (ascending ? -1 : 1),
      );
      const { items: shown, nextPageToken } = page(items, pageOffset(ctx), max);
      sendJson(ctx.res, 200, {
        ...(shown.length
          ? { model_versions: shown.map(v => this.versionJson(v)) }
          : {}),
        ...(nextPageToken ? { next_page_token: nextPageToken } : {}),
      });
    });
    this.writeRoutes(base);
    r.add('GET', `${base}/runs/get`, ctx => {
      const runId =
        ctx.url.searchParams.get('run_id') ||
        ctx.url.searchParams.get('run_uuid');
      if (!runId) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.`,
        );
      }
      const run = this.store.runs.get(runId);
      if (!run)
        throw new MlflowError(
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Run '${runId}' not found`,
        );
      sendJson(ctx.res, 200, { run });
    });
  }
  /**
   * The writes a training job makes (MLflow REST API, Tracking and Model
   * Registry): create a run, log its metrics, finish it, register the model
   * and a version from the run. Bodies are JSON, answers MLflow's shapes.
   */
  private writeRoutes(base: string) {
    const r = this.router;
    const missing = (name: string) =>
      new MlflowError(
        400,
        'INVALID_PARAMETER_VALUE',
        `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
      );
    const body = async (ctx: RouteContext) => {
      try {
        const json = await readJson(ctx.req);
        if (!json || typeof json !== 'object' || Array.isArray(json)) {
          throw new Error('not a JSON object');
        }
        return json as Record<string, any>;
      } catch (e) {
        throw new MlflowError(
          400,
          'MALFORMED_REQUEST',
          `Malformed request body: ${(e as Error).message}`,
        );
      }
    };
    const str = (b: Record<string, any>, name: string) => {
      const v = b[name];
      if (v === undefined || v === null || v === '') throw missing(name);
      if (typeof v !== 'string') {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Invalid value ${JSON.stringify(
            v,
          )} for parameter '${name}' supplied: it must be a string`,
        );
      }
      return v;
    };
    const tags = (b: Record<string, any>) =>
      Array.isArray(b.tags)
        ? b.tags
            .filter((t: any) => typeof t?.key === 'string')
            .map((t: any) => ({ key: t.key, value: String(t.value ?? '') }))
        : [];
    const run = (runId: string) => {
      const found = this.store.runs.get(runId);
      if (!found) {
        throw new MlflowError(
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Run '${runId}' not found`,
        );
      }
      return found;
    };

    r.add('POST', `${base}/registered-models/create`, async ctx => {
      const b = await body(ctx);
      const name = str(b, 'name');
      if (this.store.models.has(name)) {
        throw new MlflowError(
          400,
          'RESOURCE_ALREADY_EXISTS',
          `Registered Model (name=${name}) already exists.`,
        );
      }
      const now = Date.now();
      const model: MlflowModel = {
        name,
        creation_timestamp: now,
        last_updated_timestamp: now,
        description: typeof b.description === 'string' ? b.description : '',
        user_id: '',
        tags: tags(b),
        aliases: [],
      };
      this.store.models.set(name, model);
      sendJson(ctx.res, 200, { registered_model: this.modelJson(model) });
    });

    r.add('POST', `${base}/runs/create`, async ctx => {
      const b = await body(ctx);
      const experimentId =
        b.experiment_id === undefined ? '0' : String(b.experiment_id);
      const runId = crypto.randomBytes(16).toString('hex');
      const start = Number(b.start_time ?? Date.now());
      const runName =
        typeof b.run_name === 'string' && b.run_name
          ? b.run_name
          : `run-${runId.slice(0, 8)}`;
      const created: MlflowRun = {
        info: {
          run_id: runId,
          run_uuid: runId,
          run_name: runName,
          experiment_id: experimentId,
          user_id: typeof b.user_id === 'string' ? b.user_id : '',
          status: 'RUNNING',
          start_time: start,
          artifact_uri: runArtifactUri(experimentId, runId),
          lifecycle_stage: 'active',
        },
        data: {
          metrics: [],
          params: [],
          tags: [{ key: 'mlflow.runName', value: runName }, ...tags(b)],
        },
        inputs: {},
      };
      this.store.runs.set(runId, created);
      sendJson(ctx.res, 200, { run: created });
    });

    r.add('POST', `${base}/runs/log-metric`, async ctx => {
      const b = await body(ctx);
      const runId = str(b, 'run_id');
      const key = str(b, 'key');
      if (b.value === undefined || b.value === null) throw missing('value');
      if (b.timestamp === undefined || b.timestamp === null) {
        throw missing('timestamp');
      }
      const value = Number(b.value);
      if (!Number.isFinite(value)) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Got invalid value ${b.value} for metric '${key}' (timestamp=${b.timestamp}). Please specify value as a valid double (64-bit floating point)`,
        );
      }
      const target = run(runId);
      const metrics = target.data.metrics.filter(m => m.key !== key);
      metrics.push({
        key,
        value,
        timestamp: Number(b.timestamp),
        step: Number(b.step ?? 0),
      });
      target.data.metrics = metrics;
      sendJson(ctx.res, 200, {});
    });

    r.add('POST', `${base}/runs/update`, async ctx => {
      const b = await body(ctx);
      const target = run(str(b, 'run_id'));
      const statuses = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
      if (b.status !== undefined && !statuses.includes(b.status)) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Invalid value ${
            b.status
          } for parameter 'status'; one of ${statuses.join(', ')}`,
        );
      }
      if (b.status) target.info.status = b.status;
      if (b.end_time !== undefined) target.info.end_time = Number(b.end_time);
      if (typeof b.run_name === 'string') target.info.run_name = b.run_name;
      sendJson(ctx.res, 200, { run_info: target.info });
    });

    r.add('POST', `${base}/model-versions/create`, async ctx => {
      const b = await body(ctx);
      const name = str(b, 'name');
      const source = str(b, 'source');
      const model = this.model(name);
      const runId = typeof b.run_id === 'string' ? b.run_id : '';
      if (runId) run(runId);
      const numbers = this.store.versions
        .filter(v => v.name === name)
        .map(v => Number(v.version));
      const now = Date.now();
      const created: MlflowVersion = {
        name,
        version: String(numbers.length ? Math.max(...numbers) + 1 : 1),
        creation_timestamp: now,
        last_updated_timestamp: now,
        current_stage: 'None',
        description: typeof b.description === 'string' ? b.description : '',
        source,
        run_id: runId,
        ...(this.store.registrationMode === 'pending'
          ? {
              status: 'PENDING_REGISTRATION' as const,
              status_message: 'Copying the model artifacts',
            }
          : { status: 'READY' as const }),
        user_id: '',
        tags: tags(b),
        run_link: typeof b.run_link === 'string' ? b.run_link : '',
        aliases: [],
      };
      const copied = /^models:\/([^/]+)\/(\d+)$/.exec(source);
      if (copied) {
        const from = this.version(copied[1], copied[2]);
        this.store.storageLocations.set(
          `${name}/${created.version}`,
          this.store.downloadUri(from),
        );
      }
      this.store.versions.push(created);
      model.last_updated_timestamp = now;
      sendJson(ctx.res, 200, { model_version: this.versionJson(created) });
    });

    /** The version a tag request names, checked as MLflow's store does. */
    const taggedVersion = (b: Record<string, any>) => {
      const name = str(b, 'name');
      const version = str(b, 'version');
      const key = str(b, 'key');
      if (!/^-?\d+$/.test(version)) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Parameter 'version' must be an integer, got '${version}'.`,
        );
      }
      // validate_param_and_metric_name and path_not_unique.
      const normalized = posixNormpath(key);
      if (
        !/^[/\p{L}\p{N}_.\- :]*$/u.test(key) ||
        normalized !== key ||
        normalized === '.' ||
        normalized.startsWith('..') ||
        normalized.startsWith('/')
      ) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Invalid value ${JSON.stringify(
            key,
          )} for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
        );
      }
      if (key.length > 250) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `'key' exceeds the maximum length of 250 characters`,
        );
      }
      const found = this.store.versions.find(
        v => v.name === name && v.version === String(Number(version)),
      );
      if (!found) {
        throw new MlflowError(
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Model Version (name=${name}, version=${version}) not found`,
        );
      }
      return { found, key };
    };

    r.add('POST', `${base}/model-versions/set-tag`, async ctx => {
      const b = await body(ctx);
      const value = b.value;
      if (value === undefined || value === null) throw missing('value');
      if (typeof value !== 'string') {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Invalid value ${JSON.stringify(
            value,
          )} for parameter 'value' supplied: it must be a string`,
        );
      }
      const { found, key } = taggedVersion(b);
      if (value.length > 5000) {
        throw new MlflowError(
          400,
          'INVALID_PARAMETER_VALUE',
          `'value' exceeds the maximum length of 5000 characters`,
        );
      }
      found.tags = [...found.tags.filter(t => t.key !== key), { key, value }];
      sendJson(ctx.res, 200, {});
    });

    r.add('DELETE', `${base}/model-versions/delete-tag`, async ctx => {
      const { found, key } = taggedVersion(await body(ctx));
      found.tags = found.tags.filter(t => t.key !== key);
      sendJson(ctx.res, 200, {});
    });
  }
}
