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

import { ServiceUnavailableError } from '@backstage/errors';
import {
  ByteBoundedCache,
  RegistryVersionFacts,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  DEFAULT_REGISTRY_RECHECK_AFTER_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  RegistryConfig,
} from '../../config';
import { keepAliveFetch } from '../../http/keepAliveFetch';

/** How a registry is built from its configuration (tests pass fakes). */
export type RegistryOptions = {
  fetch?: typeof fetch;
  now?: () => number;
  /**
   * Timeout of one request; default 15 s (mlGitops.requestTimeout). The
   * registry's own `timeout` wins.
   */
  timeoutMs?: number;
  /**
   * How often a ready version's changeable facts are read again; default
   * five minutes (mlGitops.registry.recheckAfter).
   */
  recheckAfterMs?: number;
  /** A number in [0, 1), for the phase of each version's re-reads. */
  random?: () => number;
};

/** The clock a registry's version facts are kept by. */
export type RegistryClock = {
  now: () => number;
  recheckAfterMs: number;
  random: () => number;
};

/** The client settings every registry type shares, from its configuration. */
export function registryConnection(
  config: RegistryConfig,
  options: RegistryOptions,
) {
  return {
    baseUrl: config.url,
    token: config.token,
    credentialsHint: `mlGitops.registries[${config.name}]`,
    fetch: options.fetch ?? keepAliveFetch(),
    timeoutMs:
      config.timeoutMs ?? options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

/** The clock of a registry, from its options. */
export function registryClock(options: RegistryOptions): RegistryClock {
  return {
    now: options.now ?? Date.now,
    recheckAfterMs: options.recheckAfterMs ?? DEFAULT_REGISTRY_RECHECK_AFTER_MS,
    random: options.random ?? Math.random,
  };
}

/**
 * How long the facts of a version that is not ready (yet), or that the
 * registry does not know (yet), are kept: it may be registered any moment.
 */
export const UNSETTLED_TTL_MS = 60_000;

/** When a version's facts are read again, and at what period. */
export type RecheckSchedule = {
  /** When the version is read again. */
  dueAt: number;
  /** The period it is read again at (a phase kept across reads); 0 = unsettled. */
  periodMs: number;
};

/**
 * The next read of a version's facts, the rule every registry follows: a
 * settled version (known and ready) is read again every `recheckAfterMs`,
 * at a phase of that period chosen at random when it is first read and kept
 * afterwards (also across an outage), so a steady cycle reads about
 * versions × cycle ÷ recheckAfter versions; an unsettled one after a minute.
 */
export function nextRecheck(options: {
  now: number;
  settled: boolean;
  previous: RecheckSchedule | undefined;
  recheckAfterMs: number;
  random: () => number;
}): RecheckSchedule {
  const { now, settled, previous, recheckAfterMs, random } = options;
  if (!settled) {
    return { dueAt: now + UNSETTLED_TTL_MS, periodMs: 0 };
  }
  if (previous?.periodMs === recheckAfterMs) {
    // Keep the version's phase: the next read is a whole number of
    // periods after the last one was due.
    const periods = Math.floor((now - previous.dueAt) / previous.periodMs) + 1;
    return {
      dueAt: previous.dueAt + periods * previous.periodMs,
      periodMs: previous.periodMs,
    };
  }
  return {
    dueAt: now + Math.max(1, (1 - random()) * recheckAfterMs),
    periodMs: recheckAfterMs,
  };
}

/**
 * The facts of each version a registry was asked about, kept and read again
 * by {@link nextRecheck}'s rule. `E` is what the registry keeps with the
 * facts (ids, artifacts) to read the version again cheaply.
 */
export class VersionFactsCache<E extends { facts: RegistryVersionFacts }> {
  private readonly entries: ByteBoundedCache<E & RecheckSchedule>;
  private readonly reading = new Map<string, Promise<RegistryVersionFacts>>();

  constructor(
    private readonly options: RegistryClock & {
      /** The registry's configured name, for errors. */
      registryName: string;
      maxBytes: number;
      /** Reads a version from the registry; `cached` is its last entry. */
      read: (
        model: string,
        version: string,
        cached: (E & RecheckSchedule) | undefined,
      ) => Promise<E>;
    },
  ) {
    this.entries = new ByteBoundedCache(options.maxBytes);
  }

  /**
   * A version's facts: kept ones until they are due, else read (once for
   * all callers asking at the same moment). A failure is not kept and
   * names the registry.
   */
  async get(model: string, version: string): Promise<RegistryVersionFacts> {
    const key = `${model}\u0000${version}`;
    const cached = this.entries.get(key);
    if (cached && this.options.now() < cached.dueAt) {
      return cached.facts;
    }
    // The environments declaring one version share one read.
    let pending = this.reading.get(key);
    if (!pending) {
      pending = this.refresh(key, model, version, cached).finally(() =>
        this.reading.delete(key),
      );
      this.reading.set(key, pending);
    }
    return pending;
  }

  private async refresh(
    key: string,
    model: string,
    version: string,
    cached: (E & RecheckSchedule) | undefined,
  ): Promise<RegistryVersionFacts> {
    const { now, registryName } = this.options;
    let read: E;
    try {
      read = await this.options.read(model, version, cached);
    } catch (error) {
      throw new ServiceUnavailableError(
        `Registry "${registryName}": ${(error as Error)?.message ?? error}`,
        error,
      );
    }
    const facts: RegistryVersionFacts = {
      ...read.facts,
      observedAt: new Date(now()).toISOString(),
    };
    this.entries.set(key, {
      ...read,
      facts,
      ...nextRecheck({
        now: now(),
        settled: facts.exists && facts.status === 'READY',
        previous: cached,
        recheckAfterMs: this.options.recheckAfterMs,
        random: this.options.random,
      }),
    });
    return facts;
  }
}
