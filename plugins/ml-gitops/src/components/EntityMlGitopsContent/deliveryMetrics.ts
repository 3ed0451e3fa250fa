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

import type {
  AuditDeploymentEvent,
  AuditEvent,
} from '@ml-gitops/plugin-ml-gitops-common';

/** The windows a person can choose, in days. */
export const METRICS_WINDOWS = [7, 30, 90] as const;

/** A window of {@link METRICS_WINDOWS}. */
export type MetricsWindow = (typeof METRICS_WINDOWS)[number];

const DAY_MS = 24 * 3600 * 1000;

/** Deployments and rollbacks merged in one bar of the chart. */
export type MetricsBucket = {
  /** ISO 8601; the bucket is [start, end). */
  start: string;
  end: string;
  /** Deploys and promotions: changes that ship a version. */
  deployments: number;
  rollbacks: number;
};

/** A median over the events that could be measured, and how many could. */
export type MeasuredMedian = {
  medianSeconds?: number;
  /** How many events had both ends of the interval. */
  measured: number;
  /** How many events there were. */
  of: number;
};

/** The delivery metrics of one environment over a window. */
export type DeliveryMetrics = {
  from: string;
  to: string;
  days: number;
  /** Days per bucket: 1 up to a month, a week beyond. */
  bucketDays: number;
  buckets: MetricsBucket[];
  /** Deploys and promotions merged in the window. */
  deployments: number;
  /** Rollbacks merged in the window. */
  rollbacks: number;
  /** Deployments per week over the window. */
  perWeek: number;
  /** Rollbacks ÷ deployments; undefined without a deployment. */
  changeFailureRate?: number;
  /**
   * From the registry's registration of the version to its first serving
   * in this environment, over the deploys and promotions of the window.
   */
  leadTime: MeasuredMedian;
  /** From a rollback's merge to its version serving. */
  timeToRestore: MeasuredMedian;
};

/** The median of some numbers; undefined when there are none. */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

function measuredMedian(
  events: AuditDeploymentEvent[],
  seconds: (event: AuditDeploymentEvent) => number | undefined,
): MeasuredMedian {
  const values = events
    .map(seconds)
    .filter(
      (v): v is number => v !== undefined && Number.isFinite(v) && v >= 0,
    );
  return {
    medianSeconds: median(values),
    measured: values.length,
    of: events.length,
  };
}

/** Seconds from the version's registration to its first serving. */
export function leadTimeSeconds(
  event: AuditDeploymentEvent,
): number | undefined {
  const registeredAt = event.checks?.registry?.registeredAt;
  if (!registeredAt || !event.servingAt) return undefined;
  const seconds =
    (Date.parse(event.servingAt) - Date.parse(registeredAt)) / 1000;
  return Number.isNaN(seconds) ? undefined : seconds;
}

/**
 * The delivery metrics of one environment from the audit export's events
 * of the window [from, to): deployment frequency, lead time from the
 * registry to serving, change failure rate and time to restore. Events of
 * other environments and drift episodes are left out.
 */
export function computeDeliveryMetrics(
  events: AuditEvent[],
  environment: string,
  range: { from: Date; to: Date },
): DeliveryMetrics {
  const fromMs = range.from.getTime();
  const toMs = range.to.getTime();
  const days = Math.round((toMs - fromMs) / DAY_MS);
  const bucketDays = days > 31 ? 7 : 1;
  const size = bucketDays * DAY_MS;
  const count = Math.max(1, Math.ceil((toMs - fromMs) / size));

  // Buckets end at `to`; the oldest may be shorter than the others.
  const buckets: MetricsBucket[] = Array.from({ length: count }, (_, i) => {
    const end = toMs - (count - 1 - i) * size;
    return {
      start: new Date(Math.max(fromMs, end - size)).toISOString(),
      end: new Date(end).toISOString(),
      deployments: 0,
      rollbacks: 0,
    };
  });

  const changes = events.filter(
    (e): e is AuditDeploymentEvent =>
      e.type === 'deployment' &&
      e.environment === environment &&
      Date.parse(e.at) >= fromMs &&
      Date.parse(e.at) < toMs,
  );
  for (const change of changes) {
    const at = Date.parse(change.at);
    const index = count - 1 - Math.floor((toMs - 1 - at) / size);
    const bucket = buckets[Math.max(0, index)];
    if (change.kind === 'rollback') {
      bucket.rollbacks++;
    } else {
      bucket.deployments++;
    }
  }

  const shipped = changes.filter(c => c.kind !== 'rollback');
  const rollbacks = changes.filter(c => c.kind === 'rollback');
  const weeks = (toMs - fromMs) / (7 * DAY_MS);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    days,
    bucketDays,
    buckets,
    deployments: shipped.length,
    rollbacks: rollbacks.length,
    perWeek: weeks > 0 ? shipped.length / weeks : 0,
    ...(shipped.length > 0
      ? { changeFailureRate: rollbacks.length / shipped.length }
      : {}),
    leadTime: measuredMedian(shipped, leadTimeSeconds),
    timeToRestore: measuredMedian(rollbacks, e => e.timeToServeSeconds),
  };
}

/** "45 s", "3 min 20 s", "5 h 10 min", "3 d 4 h". */
export function formatSpan(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    const rest = seconds % 60;
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }
  const daysCount = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest ? `${daysCount} d ${rest} h` : `${daysCount} d`;
}
