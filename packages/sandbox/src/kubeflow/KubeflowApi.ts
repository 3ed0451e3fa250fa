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
 * The Kubeflow Model Registry REST API (v1alpha3) subset ML GitOps reads and
 * a training pipeline writes: the paths, parameters and schemas of
 * kubeflow/model-registry `api/openapi/model-registry.yaml`, answered the way
 * its Go server does.
 *
 * Where each rule comes from (kubeflow/model-registry):
 * - Errors: the spec's Error schema `{code, message}`, `code` being the HTTP
 *   status text (ErrorResponse in internal/server/openapi/helpers.go); a
 *   path the router does not know gets Go's plain-text "404 page not found".
 * - Auth: the spec's only security scheme is `Bearer`; the registry sits
 *   behind an auth proxy that refuses requests without a token it accepts.
 *   The emulator accepts one token and answers 401 with an Error body (the
 *   spec's Unauthorized response) to anything else.
 * - Find by parameters (`GET /registered_model`, `GET /model_version`):
 *   name, externalId and, for versions, parentResourceId; none of them is a
 *   400, no match a 404 "no registered models found for name=…"
 *   (GetRegisteredModelByParams / GetModelVersionByParams in
 *   internal/core/registered_model.go and model_version.go).
 * - Lists: `pageSize` (a string of digits; absent: every item, as
 *   DefaultPageSize 0 in internal/platform/db/entity/pagination.go), `orderBy`
 *   (OrderByField: CREATE_TIME, LAST_UPDATE_TIME, ID; default ID) and
 *   `sortOrder` (SortOrder: ASC, DESC; default ASC). `nextPageToken` is the
 *   base64 of `<id>:<value of the order field>` of the page's last item
 *   (CreateNextPageToken / DecodeCursor in
 *   internal/platform/db/scopes/paginate.go); one that does not decode is a
 *   400 "invalid nextPageToken". Every list answers BaseResourceList's
 *   `nextPageToken` ("" on the last page), `pageSize` and `size`.
 * - Ids in paths match `^[1-9][0-9]{0,8}$`; an unknown one is a 404 ("model
 *   version by id not found", internal/db/service/model_version.go).
 * - Creates answer 201; a name taken (a registered model's, or a version's
 *   within its model) is a 409 Conflict (UpsertModelVersion in
 *   internal/core/model_version.go). Upserting an artifact with an `id`
 *   associates that artifact and answers 200.
 * - Custom properties are MetadataValue, a oneOf by `metadataType`; a value
 *   matching none of its schemas (each has additionalProperties: false;
 *   MetadataIntValue's int_value is an int32 as a string) is a 400.
 * - `filterQuery` (the spec's SQL-like filter) is not emulated: a 400 says so.
 * - PATCH replaces the fields it sends; `customProperties` is replaced as a
 *   whole (RegisteredModelUpdate, ModelVersionUpdate).
 */

import http from 'node:http';
import {
  BadJsonError,
  readJson,
  RouteContext,
  Router,
  sendJson,
} from '../lib/http';
import {
  KubeflowCustomProperties,
  KubeflowMetadataValue,
  KubeflowModelArtifactRecord,
  KubeflowModelVersionRecord,
  KubeflowRegisteredModelRecord,
  KubeflowStore,
} from './KubeflowStore';

/** The path every operation of the spec starts with. */
export const KUBEFLOW_API_BASE = '/api/model_registry/v1alpha3';

export class KubeflowError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The spec's Error body, `code` being the status text. */
export function sendKubeflowError(
  res: http.ServerResponse,
  status: number,
  message: string,
) {
  sendJson(res, status, {
    code: http.STATUS_CODES[status] ?? String(status),
    message,
  });
}

const ID = /^[1-9][0-9]{0,8}$/;
const ORDER_BY = ['CREATE_TIME', 'LAST_UPDATE_TIME', 'ID'] as const;
const SORT_ORDER = ['ASC', 'DESC'] as const;
const ARTIFACT_TYPES = [
  'model-artifact',
  'doc-artifact',
  'dataset-artifact',
  'metric',
  'parameter',
];

type Listed = {
  id: string;
  createTimeSinceEpoch: string;
  lastUpdateTimeSinceEpoch: string;
};

const badRequest = (message: string) => new KubeflowError(400, message);

/** The value a list is ordered by, as the cursor holds it. */
function orderValue(item: Listed, orderBy: string): string {
  if (orderBy === 'CREATE_TIME') return item.createTimeSinceEpoch;
  if (orderBy === 'LAST_UPDATE_TIME') return item.lastUpdateTimeSinceEpoch;
  return item.id;
}

/**
 * One page of a list as BaseResourceList describes it, ordered and cut by
 * the request's paging parameters.
 */
function page<T extends Listed>(ctx: RouteContext, items: T[]) {
  const q = ctx.url.searchParams;
  if (q.get('filterQuery')) {
    // Refused rather than ignored, so a caller never reads an unfiltered
    // list as a filtered one.
    throw badRequest(
      'filterQuery is not emulated by the sandbox; list without it and filter the items',
    );
  }
  const rawSize = q.get('pageSize') ?? '';
  if (rawSize !== '' && !ID.test(rawSize)) {
    throw badRequest(
      `invalid pageSize ${JSON.stringify(rawSize)}: want a number from 1`,
    );
  }
  const pageSize = rawSize === '' ? 0 : Number(rawSize);
  const orderBy = q.get('orderBy') || 'ID';
  if (!(ORDER_BY as readonly string[]).includes(orderBy)) {
    throw badRequest(
      `invalid orderBy ${JSON.stringify(orderBy)}: one of ${ORDER_BY.join(
        ', ',
      )}`,
    );
  }
  const sortOrder = q.get('sortOrder') || 'ASC';
  if (!(SORT_ORDER as readonly string[]).includes(sortOrder)) {
    throw badRequest(
      `invalid sortOrder ${JSON.stringify(sortOrder)}: one of ASC, DESC`,
    );
  }
  const direction = sortOrder === 'DESC' ? -1 : 1;
  const key = (item: T): [number, number] => [
    Number(orderValue(item, orderBy)),
    Number(item.id),
  ];
  const compare = (a: [number, number], b: [number, number]) =>
    (a[0] - b[0] || a[1] - b[1]) * direction;
  let sorted = [...items].sort((a, b) => compare(key(a), key(b)));
  const token = q.get('nextPageToken') ?? '';
  if (token) {
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const m = /^(\d+):(.*)$/s.exec(decoded);
    if (
      !m ||
      token.length > 1024 ||
      Buffer.from(decoded, 'utf8').toString('base64') !== token
    ) {
      throw badRequest(`invalid nextPageToken: invalid cursor format`);
    }
    const cursor: [number, number] = [Number(m[2]), Number(m[1])];
    sorted = sorted.filter(item => compare(key(item), cursor) > 0);
  }
  const more = pageSize > 0 && sorted.length > pageSize;
  const shown = pageSize > 0 ? sorted.slice(0, pageSize) : sorted;
  const last = shown[shown.length - 1];
  return {
    items: shown,
    nextPageToken:
      more && last
        ? Buffer.from(`${last.id}:${orderValue(last, orderBy)}`).toString(
            'base64',
          )
        : '',
    pageSize,
    size: shown.length,
  };
}

/** Checks one MetadataValue against the oneOf of the spec. */
function metadataValue(key: string, v: any): KubeflowMetadataValue {
  const fail = (why: string) =>
    badRequest(`customProperties.${key}: ${why} (see MetadataValue)`);
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw fail('not an object');
  }
  const only = (...keys: string[]) => {
    const extra = Object.keys(v).filter(k => !keys.includes(k));
    if (extra.length) {
      throw fail(`${v.metadataType} has no field ${extra.join(', ')}`);
    }
  };
  switch (v.metadataType) {
    case 'MetadataDoubleValue':
      only('metadataType', 'double_value');
      if (typeof v.double_value !== 'number') {
        throw fail('double_value must be a number');
      }
      return v;
    case 'MetadataIntValue': {
      only('metadataType', 'int_value');
      const n = Number(v.int_value);
      if (
        typeof v.int_value !== 'string' ||
        !/^-?\d+$/.test(v.int_value) ||
        n > 2147483647 ||
        n < -2147483648
      ) {
        throw fail('int_value must be an int32 written as a string, e.g. "42"');
      }
      return v;
    }
    case 'MetadataStringValue':
      only('metadataType', 'string_value');
      if (typeof v.string_value !== 'string') {
        throw fail('string_value must be a string');
      }
      return v;
    case 'MetadataBoolValue':
      only('metadataType', 'bool_value');
      if (typeof v.bool_value !== 'boolean') {
        throw fail('bool_value must be true or false');
      }
      return v;
    case 'MetadataStructValue':
      only('metadataType', 'struct_value');
      if (typeof v.struct_value !== 'string') {
        throw fail('struct_value must be a base64 string');
      }
      return v;
    case 'MetadataProtoValue':
      only('metadataType', 'type', 'proto_value');
      if (typeof v.type !== 'string' || typeof v.proto_value !== 'string') {
        throw fail('type and proto_value must be strings');
      }
      return v;
    default:
      throw fail(
        `metadataType must be one of MetadataIntValue, MetadataDoubleValue, MetadataStringValue, MetadataStructValue, MetadataProtoValue, MetadataBoolValue`,
      );
  }
}

function customProperties(value: unknown): KubeflowCustomProperties {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('customProperties must be an object of MetadataValue');
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, metadataValue(k, v)]),
  );
}

function optionalString(b: Record<string, any>, name: string) {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be a string`);
  return v;
}

function requiredString(b: Record<string, any>, name: string) {
  const v = optionalString(b, name);
  if (!v) throw badRequest(`${name} is required`);
  return v;
}

function state<S extends string>(
  b: Record<string, any>,
  allowed: readonly S[],
): S | undefined {
  const v = b.state;
  if (v === undefined || v === null) return undefined;
  if (!allowed.includes(v)) {
    throw badRequest(`state must be one of ${allowed.join(', ')}`);
  }
  return v;
}

const MODEL_STATES = ['LIVE', 'ARCHIVED'] as const;
const ARTIFACT_STATES = [
  'UNKNOWN',
  'PENDING',
  'LIVE',
  'MARKED_FOR_DELETION',
  'DELETED',
  'ABANDONED',
  'REFERENCE',
] as const;

/** The fields a resource leaves out when unset, as the Go server does. */
function json<T extends object>(record: T): T {
  return Object.fromEntries(
    Object.entries(record).filter(([, v]) => v !== undefined),
  ) as T;
}

export class KubeflowApi {
  private router = new Router();

  constructor(public store: KubeflowStore, private readonly token: string) {
    this.routes();
  }

  async handle(req: RouteContext['req'], res: http.ServerResponse, url: URL) {
    try {
      const [scheme, presented] = (req.headers.authorization ?? '').split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || presented !== this.token) {
        req.resume();
        sendKubeflowError(
          res,
          401,
          presented
            ? 'the bearer token is not valid'
            : 'a bearer token is required (Authorization: Bearer <token>)',
        );
        return;
      }
      const matched = await this.router.handle({ req, res, url }, url.pathname);
      if (!matched) {
        req.resume();
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('404 page not found\n');
      } else if (matched === 'method') {
        req.resume();
        res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Method Not Allowed\n');
      }
    } catch (e) {
      if (e instanceof KubeflowError) {
        sendKubeflowError(res, e.status, e.message);
      } else if (e instanceof BadJsonError) {
        sendKubeflowError(res, 400, `invalid JSON body: ${e.message}`);
      } else {
        throw e;
      }
    }
  }

  private model(id: string): KubeflowRegisteredModelRecord {
    if (!ID.test(id)) throw badRequest(`invalid registered model id ${id}`);
    const m = this.store.model(id);
    if (!m) {
      throw new KubeflowError(404, `registered model by id not found: ${id}`);
    }
    return m;
  }

  private version(id: string): KubeflowModelVersionRecord {
    if (!ID.test(id)) throw badRequest(`invalid model version id ${id}`);
    const v = this.store.version(id);
    if (!v) {
      throw new KubeflowError(404, `model version by id not found: ${id}`);
    }
    return v;
  }

  private async body(ctx: RouteContext): Promise<Record<string, any>> {
    const b = await readJson(ctx.req);
    if (!b || typeof b !== 'object' || Array.isArray(b)) {
      throw badRequest('the request body must be a JSON object');
    }
    return b;
  }

  /** A version as its owner lists or finds it: by name and externalId. */
  private versionsOf(modelId: string, q: URLSearchParams) {
    const name = q.get('name');
    const externalId = q.get('externalId');
    return this.store.versions.filter(
      v =>
        v.registeredModelId === modelId &&
        (name === null || v.name === name) &&
        (externalId === null || v.externalId === externalId),
    );
  }

  private createVersion(
    modelId: string,
    b: Record<string, any>,
  ): KubeflowModelVersionRecord {
    const name = requiredString(b, 'name');
    const model = this.model(modelId);
    if (
      this.store.versions.some(
        v => v.registeredModelId === model.id && v.name === name,
      )
    ) {
      throw new KubeflowError(
        409,
        `model version with name ${name} already exists`,
      );
    }
    const created = this.store.createVersion({
      name,
      registeredModelId: model.id,
      state: state(b, MODEL_STATES) ?? 'LIVE',
      author: optionalString(b, 'author'),
      description: optionalString(b, 'description'),
      externalId: optionalString(b, 'externalId'),
      customProperties: customProperties(b.customProperties),
    });
    model.lastUpdateTimeSinceEpoch = created.createTimeSinceEpoch;
    return created;
  }

  private routes() {
    const r = this.router;
    const base = KUBEFLOW_API_BASE;

    r.add('GET', `${base}/registered_model`, ctx => {
      const name = ctx.url.searchParams.get('name');
      const externalId = ctx.url.searchParams.get('externalId');
      if (name === null && externalId === null) {
        throw badRequest(
          'invalid parameters call, supply either name or externalId',
        );
      }
      const found = this.store.models.find(
        m =>
          (name === null || m.name === name) &&
          (externalId === null || m.externalId === externalId),
      );
      if (!found) {
        throw new KubeflowError(
          404,
          `no registered models found for name=${name ?? ''}, externalId=${
            externalId ?? ''
          }`,
        );
      }
      sendJson(ctx.res, 200, json(found));
    });

    r.add('GET', `${base}/registered_models`, ctx => {
      sendJson(ctx.res, 200, page(ctx, this.store.models.map(json)));
    });

    r.add('POST', `${base}/registered_models`, async ctx => {
      const b = await this.body(ctx);
      const name = requiredString(b, 'name');
      if (this.store.modelByName(name)) {
        throw new KubeflowError(
          409,
          `registered model with name ${name} already exists`,
        );
      }
      const created = this.store.createModel({
        name,
        state: state(b, MODEL_STATES) ?? 'LIVE',
        owner: optionalString(b, 'owner'),
        description: optionalString(b, 'description'),
        externalId: optionalString(b, 'externalId'),
        customProperties: customProperties(b.customProperties),
      });
      sendJson(ctx.res, 201, json(created));
    });

    r.add('GET', `${base}/registered_models/:id`, ctx => {
      sendJson(ctx.res, 200, json(this.model(ctx.params.id)));
    });

    r.add('GET', `${base}/registered_models/:id/versions`, ctx => {
      const model = this.model(ctx.params.id);
      sendJson(
        ctx.res,
        200,
        page(ctx, this.versionsOf(model.id, ctx.url.searchParams).map(json)),
      );
    });

    r.add('POST', `${base}/registered_models/:id/versions`, async ctx => {
      const b = await this.body(ctx);
      const created = this.createVersion(ctx.params.id, b);
      sendJson(ctx.res, 201, json(created));
    });

    r.add('GET', `${base}/model_version`, ctx => {
      const q = ctx.url.searchParams;
      const name = q.get('name');
      const externalId = q.get('externalId');
      const parent = q.get('parentResourceId');
      if (name === null && externalId === null) {
        throw badRequest(
          'invalid parameters call, supply either name or externalId',
        );
      }
      if (parent !== null && !ID.test(parent)) {
        throw badRequest(`invalid parentResourceId ${parent}`);
      }
      const found = this.store.versions.find(
        v =>
          (name === null || v.name === name) &&
          (externalId === null || v.externalId === externalId) &&
          (parent === null || v.registeredModelId === parent),
      );
      if (!found) {
        throw new KubeflowError(
          404,
          `no model versions found for name=${name ?? ''}, parentResourceId=${
            parent ?? ''
          }, externalId=${externalId ?? ''}`,
        );
      }
      sendJson(ctx.res, 200, json(found));
    });

    r.add('GET', `${base}/model_versions`, ctx => {
      sendJson(ctx.res, 200, page(ctx, this.store.versions.map(json)));
    });

    r.add('POST', `${base}/model_versions`, async ctx => {
      const b = await this.body(ctx);
      const modelId = requiredString(b, 'registeredModelId');
      if (!ID.test(modelId)) {
        throw badRequest(`invalid registeredModelId ${modelId}`);
      }
      if (!this.store.model(modelId)) {
        // ModelVersionCreate names its parent; an unknown one cannot be
        // created under (the spec's 422 UnprocessableEntity of this path).
        throw new KubeflowError(
          422,
          `registered model by id not found: ${modelId}`,
        );
      }
      sendJson(ctx.res, 201, json(this.createVersion(modelId, b)));
    });

    r.add('GET', `${base}/model_versions/:id`, ctx => {
      sendJson(ctx.res, 200, json(this.version(ctx.params.id)));
    });

    r.add('PATCH', `${base}/model_versions/:id`, async ctx => {
      const v = this.version(ctx.params.id);
      const b = await this.body(ctx);
      const allowed = [
        'customProperties',
        'description',
        'externalId',
        'state',
        'author',
      ];
      const unknown = Object.keys(b).filter(k => !allowed.includes(k));
      if (unknown.length) {
        throw badRequest(
          `ModelVersionUpdate has no field ${unknown.join(
            ', ',
          )}; it takes ${allowed.join(', ')}`,
        );
      }
      // Check everything before changing anything.
      const next = {
        ...('customProperties' in b
          ? { customProperties: customProperties(b.customProperties) }
          : {}),
        ...('description' in b
          ? { description: optionalString(b, 'description') }
          : {}),
        ...('externalId' in b
          ? { externalId: optionalString(b, 'externalId') }
          : {}),
        ...('author' in b ? { author: optionalString(b, 'author') } : {}),
        ...('state' in b ? { state: state(b, MODEL_STATES) ?? v.state } : {}),
      };
      Object.assign(v, next, { lastUpdateTimeSinceEpoch: this.store.now() });
      sendJson(ctx.res, 200, json(v));
    });

    r.add('GET', `${base}/model_versions/:id/artifacts`, ctx => {
      const v = this.version(ctx.params.id);
      const q = ctx.url.searchParams;
      const type = q.get('artifactType');
      if (type !== null && !ARTIFACT_TYPES.includes(type)) {
        throw badRequest(
          `invalid artifactType ${JSON.stringify(
            type,
          )}: one of ${ARTIFACT_TYPES.join(', ')}`,
        );
      }
      const name = q.get('name');
      const externalId = q.get('externalId');
      const artifacts = (this.store.versionArtifacts.get(v.id) ?? [])
        .map(id => this.store.artifact(id))
        .filter(
          (a): a is KubeflowModelArtifactRecord =>
            !!a &&
            (type === null || a.artifactType === type) &&
            (name === null || a.name === name) &&
            (externalId === null || a.externalId === externalId),
        );
      sendJson(ctx.res, 200, page(ctx, artifacts.map(json)));
    });

    r.add('POST', `${base}/model_versions/:id/artifacts`, async ctx => {
      const v = this.version(ctx.params.id);
      const b = await this.body(ctx);
      if (b.id !== undefined) {
        // An existing artifact: associated, not created.
        const id = String(b.id);
        const existing = ID.test(id) ? this.store.artifact(id) : undefined;
        if (!existing) {
          throw new KubeflowError(404, `artifact by id not found: ${id}`);
        }
        this.store.attach(v.id, existing.id);
        sendJson(ctx.res, 200, json(existing));
        return;
      }
      if (b.artifactType !== 'model-artifact') {
        throw badRequest(
          `artifactType ${JSON.stringify(
            b.artifactType ?? null,
          )} is not emulated: the sandbox's registry holds model-artifact only`,
        );
      }
      const created = this.store.createArtifact({
        artifactType: 'model-artifact',
        name: optionalString(b, 'name'),
        description: optionalString(b, 'description'),
        externalId: optionalString(b, 'externalId'),
        uri: optionalString(b, 'uri'),
        state: state(b, ARTIFACT_STATES) ?? 'UNKNOWN',
        modelFormatName: optionalString(b, 'modelFormatName'),
        modelFormatVersion: optionalString(b, 'modelFormatVersion'),
        storageKey: optionalString(b, 'storageKey'),
        storagePath: optionalString(b, 'storagePath'),
        serviceAccountName: optionalString(b, 'serviceAccountName'),
        customProperties: customProperties(b.customProperties),
      });
      this.store.attach(v.id, created.id);
      v.lastUpdateTimeSinceEpoch = created.createTimeSinceEpoch;
      sendJson(ctx.res, 201, json(created));
    });
  }
}
