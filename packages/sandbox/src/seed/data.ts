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

/**
 * The seed: who works on the models, which versions the registry holds and
 * which deployments happened. Everything is fixed so that commit SHAs are
 * the same on every start (dates count back from SEED_ANCHOR).
 */

export const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** "Now" of the seed history; commits are dated relative to it. */
export const SEED_ANCHOR = '2026-11-20T12:00:00Z';

export const ORG = 'acme';

export type SeedUser = {
  login: string;
  name: string;
  email: string;
  id: number;
};

export const USERS: Record<string, SeedUser> = {
  ada: {
    login: 'ada',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    id: 1001,
  },
  grace: {
    login: 'grace',
    name: 'Grace Hopper',
    email: 'grace@example.com',
    id: 1002,
  },
  katherine: {
    login: 'katherine',
    name: 'Katherine Johnson',
    email: 'katherine@example.com',
    id: 1003,
  },
  'ml-gitops-bot': {
    login: 'ml-gitops-bot',
    name: 'ML GitOps Bot',
    email: 'ml-gitops-bot@example.com',
    id: 1099,
  },
};

/** The user the Git host attributes API writes to (any token is accepted). */
export const API_USER = USERS['ml-gitops-bot'];

/**
 * The organisation's teams on the Git host (`org/team`), as in
 * examples/org.yaml, plus katherine in ml-platform: members of a child team
 * are members of its parent too (docs.github.com, REST "List team members").
 */
export const TEAMS: Record<string, { members: string[]; parent?: string }> = {
  [`${ORG}/ml-platform`]: { members: ['katherine'] },
  [`${ORG}/fraud-ml`]: { members: ['ada'], parent: `${ORG}/ml-platform` },
  [`${ORG}/growth-ml`]: { members: ['grace'], parent: `${ORG}/ml-platform` },
};

/** A GitHub App as the Git host knows it: its id, slug and bot account. */
export type SeedApp = {
  id: number;
  slug: string;
  login: string;
  userId: number;
};

/**
 * GitHub Actions, the app whose GITHUB_TOKEN a workflow's statuses are
 * created with: app id 15368, slug `github-actions`, bot account
 * `github-actions[bot]` (user id 41898282) on github.com.
 */
export const GITHUB_ACTIONS_APP: SeedApp = {
  id: 15368,
  slug: 'github-actions',
  login: 'github-actions[bot]',
  userId: 41898282,
};

/** The sandbox's stand-in for a workflow's GITHUB_TOKEN: it acts as GitHub Actions. */
export const ACTIONS_TOKEN = 'sandbox-actions-token';

export type RegistryVersion = {
  version: string;
  /** days before the anchor the version was registered */
  registeredDaysAgo: number;
  metrics: { auc: number; latency_p95_ms: number };
  user: string;
  description?: string;
};

export type SeedStep =
  | {
      kind: 'deploy';
      daysAgo: number;
      version: string;
      author: string;
      reviewer: string;
      failingCheck?: boolean;
    }
  | {
      kind: 'promote';
      daysAgo: number;
      from: Environment;
      to: Environment;
      author: string;
      reviewer: string;
    }
  | {
      kind: 'rollback';
      daysAgo: number;
      env: Environment;
      author: string;
      reviewer: string;
      reason: string;
    }
  /** a promotion PR that is open, waiting for its review */
  | {
      kind: 'open-promote';
      daysAgo: number;
      from: Environment;
      to: Environment;
      author: string;
    };

export type SeedModel = {
  name: string;
  team: string;
  operator: 'argocd' | 'flux';
  gates: { auc: { min: number }; latency_p95_ms: { max: number } };
  replicas: number;
  initial: { daysAgo: number; version: string; author: string };
  versions: RegistryVersion[];
  steps: SeedStep[];
  /** registry aliases: alias -> version */
  aliases: Record<string, string>;
  /** live version changed out of band, per environment */
  drift?: Partial<Record<Environment, string>>;
};

export const MODELS: SeedModel[] = [
  {
    name: 'fraud-detector',
    team: 'fraud-ml',
    operator: 'argocd',
    gates: { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } },
    replicas: 2,
    initial: { daysAgo: 150, version: '9', author: 'ada' },
    versions: [
      {
        version: '9',
        registeredDaysAgo: 152,
        metrics: { auc: 0.921, latency_p95_ms: 38 },
        user: 'ada',
      },
      {
        version: '10',
        registeredDaysAgo: 122,
        metrics: { auc: 0.928, latency_p95_ms: 36 },
        user: 'ada',
      },
      {
        version: '11',
        registeredDaysAgo: 82,
        metrics: { auc: 0.934, latency_p95_ms: 35 },
        user: 'ada',
      },
      {
        version: '12',
        registeredDaysAgo: 32,
        metrics: { auc: 0.945, latency_p95_ms: 37 },
        user: 'ada',
        description:
          'Rolled back in production: false positives on card-not-present traffic.',
      },
      {
        version: '13',
        registeredDaysAgo: 12,
        metrics: { auc: 0.948, latency_p95_ms: 34 },
        user: 'ada',
      },
    ],
    steps: [
      {
        kind: 'deploy',
        daysAgo: 120,
        version: '10',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 118,
        from: 'dev',
        to: 'staging',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 115,
        from: 'staging',
        to: 'production',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'deploy',
        daysAgo: 80,
        version: '11',
        author: 'ada',
        reviewer: 'grace',
      },
      {
        kind: 'promote',
        daysAgo: 78,
        from: 'dev',
        to: 'staging',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 75,
        from: 'staging',
        to: 'production',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'deploy',
        daysAgo: 30,
        version: '12',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 28,
        from: 'dev',
        to: 'staging',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 25,
        from: 'staging',
        to: 'production',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'rollback',
        daysAgo: 24,
        env: 'production',
        author: 'katherine',
        reviewer: 'ada',
        reason: 'false positives on card-not-present traffic',
      },
      {
        kind: 'deploy',
        daysAgo: 10,
        version: '13',
        author: 'ada',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 8,
        from: 'dev',
        to: 'staging',
        author: 'ada',
        reviewer: 'katherine',
      },
    ],
    aliases: { champion: '11', challenger: '13' },
  },
  {
    name: 'churn-predictor',
    team: 'growth-ml',
    operator: 'argocd',
    gates: { auc: { min: 0.85 }, latency_p95_ms: { max: 60 } },
    replicas: 2,
    initial: { daysAgo: 140, version: '5', author: 'grace' },
    versions: [
      {
        version: '5',
        registeredDaysAgo: 141,
        metrics: { auc: 0.862, latency_p95_ms: 55 },
        user: 'grace',
      },
      {
        version: '6',
        registeredDaysAgo: 101,
        metrics: { auc: 0.871, latency_p95_ms: 52 },
        user: 'grace',
      },
      {
        version: '7',
        registeredDaysAgo: 51,
        metrics: { auc: 0.879, latency_p95_ms: 48 },
        user: 'grace',
      },
      {
        version: '8',
        registeredDaysAgo: 6,
        metrics: { auc: 0.831, latency_p95_ms: 44 },
        user: 'grace',
        description:
          'Trained on the new feature store snapshot; AUC below the gate.',
      },
    ],
    steps: [
      {
        kind: 'deploy',
        daysAgo: 100,
        version: '6',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 98,
        from: 'dev',
        to: 'staging',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 95,
        from: 'staging',
        to: 'production',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'deploy',
        daysAgo: 50,
        version: '7',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 48,
        from: 'dev',
        to: 'staging',
        author: 'grace',
        reviewer: 'ada',
      },
      {
        kind: 'promote',
        daysAgo: 45,
        from: 'staging',
        to: 'production',
        author: 'grace',
        reviewer: 'katherine',
      },
      // merged into dev although its check failed (dev is not protected)
      {
        kind: 'deploy',
        daysAgo: 5,
        version: '8',
        author: 'grace',
        reviewer: 'grace',
        failingCheck: true,
      },
    ],
    aliases: { champion: '7' },
  },
  {
    name: 'recsys-ranker',
    team: 'growth-ml',
    operator: 'flux',
    gates: { auc: { min: 0.7 }, latency_p95_ms: { max: 25 } },
    replicas: 3,
    initial: { daysAgo: 90, version: '3', author: 'grace' },
    versions: [
      {
        version: '3',
        registeredDaysAgo: 91,
        metrics: { auc: 0.712, latency_p95_ms: 22 },
        user: 'grace',
      },
      {
        version: '4',
        registeredDaysAgo: 61,
        metrics: { auc: 0.735, latency_p95_ms: 21 },
        user: 'grace',
      },
      {
        version: '5',
        registeredDaysAgo: 16,
        metrics: { auc: 0.748, latency_p95_ms: 19 },
        user: 'grace',
      },
    ],
    steps: [
      {
        kind: 'deploy',
        daysAgo: 60,
        version: '4',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 58,
        from: 'dev',
        to: 'staging',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 55,
        from: 'staging',
        to: 'production',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'deploy',
        daysAgo: 15,
        version: '5',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'promote',
        daysAgo: 12,
        from: 'dev',
        to: 'staging',
        author: 'grace',
        reviewer: 'katherine',
      },
      {
        kind: 'open-promote',
        daysAgo: 2,
        from: 'staging',
        to: 'production',
        author: 'grace',
      },
    ],
    aliases: { champion: '4', challenger: '5' },
    // someone edited the InferenceService in the cluster by hand
    drift: { staging: '4' },
  },
];

export function daysAgo(days: number, plusMinutes = 0): Date {
  return new Date(
    Date.parse(SEED_ANCHOR) - days * 86400_000 + plusMinutes * 60_000,
  );
}

/**
 * The ids made so far, by length and seed: the emulators render the same
 * objects' uids and hashes at every list, and at fleet scale hashing them
 * anew was the largest part of a list's CPU. Emptied when full.
 */
const stableHexMemo = new Map<string, string>();
const STABLE_HEX_MEMO_MAX = 200_000;

/** A deterministic hex id from a string (for run ids, uids). */
export function stableHex(seed: string, length = 32): string {
  const key = `${length}:${seed}`;
  const known = stableHexMemo.get(key);
  if (known !== undefined) return known;
  const made = hexOf(seed, length);
  if (stableHexMemo.size >= STABLE_HEX_MEMO_MAX) stableHexMemo.clear();
  stableHexMemo.set(key, made);
  return made;
}

function hexOf(seed: string, length: number): string {
  // FNV-1a based expansion; enough for fake, stable identifiers.
  let out = '';
  let i = 0;
  while (out.length < length) {
    let h = 0x811c9dc5 ^ i;
    for (const c of `${seed}#${i}`) {
      h ^= c.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
    i++;
  }
  return out.slice(0, length);
}

export function stableUid(seed: string): string {
  const h = stableHex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(
    17,
    20,
  )}-${h.slice(20, 32)}`;
}
