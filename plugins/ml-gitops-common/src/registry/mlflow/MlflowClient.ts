import {
  AuthenticationError,
  InputError,
  NotAllowedError,
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

/**
 * Options of {@link MlflowClient.create}.
 *
 * @public
 */
export type MlflowClientOptions = {
  /** The tracking server, e.g. `https://mlflow.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** Timeout of one request in milliseconds; default 15 000. */
  timeoutMs?: number;
};

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
    status: v.status ?? 'READY',
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
  private readonly token?: string;
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
        'Do not put credentials in the MLflow URL; pass a token instead',
      );
    }
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.token = options.token || undefined;
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

  /** `GET runs/get`; undefined when the run does not exist. */
  async getRun(runId: string): Promise<MlflowRun | undefined> {
    const body = await this.get('runs/get', { run_id: runId });
    if (body === undefined) return undefined;
    const parsed = this.parse(z.object({ run: apiRun }), body, 'runs/get');
    return normalizeMlflowRun(parsed.run as MlflowApiRun);
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
   * GETs an endpoint; resolves to the JSON body, or undefined for
   * RESOURCE_DOES_NOT_EXIST (and what `alsoNotFound` accepts).
   */
  private async get(
    endpoint: string,
    query: Record<string, string>,
    alsoNotFound?: (code: string, message: string) => boolean,
  ): Promise<unknown> {
    const url = `${
      this.baseUrl
    }/api/2.0/mlflow/${endpoint}?${new URLSearchParams(query)}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const where = `MLflow at ${this.baseUrl}`;

    let response: Response;
    try {
      response = await this.fetchFn(url, {
        headers,
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
    if (
      code === 'RESOURCE_DOES_NOT_EXIST' ||
      (code && alsoNotFound?.(code, message))
    ) {
      return undefined;
    }
    if (response.status === 401 || code === 'UNAUTHENTICATED') {
      throw new AuthenticationError(
        `${where} refused the request as unauthenticated (401); ${
          this.token ? 'the token is invalid or expired' : 'pass a token'
        }`,
      );
    }
    if (response.status === 403 || code === 'PERMISSION_DENIED') {
      throw new NotAllowedError(
        `${where} denied access to ${endpoint} (403); give the token read access to the model registry`,
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
