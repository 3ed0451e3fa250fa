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

import type { ResponseError } from '@backstage/errors';

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago", "in 2 hours", "now". */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return iso;
  }
  const seconds = Math.round((time - now) / 1000);
  if (Math.abs(seconds) < 45) {
    return 'just now';
  }
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) {
      return relativeFormat.format(Math.round(seconds / size), unit);
    }
  }
  return 'just now';
}

/** "2026-11-28 02:42:14 UTC". */
export function formatAbsolute(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return iso;
  }
  return `${new Date(time).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

/** "45 s", "3 min 20 s", "1 h 5 min". */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    const rest = seconds % 60;
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes % 60;
  return restMinutes ? `${hours} h ${restMinutes} min` : `${hours} h`;
}

/** The first 7 characters of a commit SHA. */
export function shortSha(commit: string): string {
  return commit.slice(0, 7);
}

/**
 * The message to show for an error: for a `ResponseError` the backend's own
 * message (which says what to fix), else the error's message.
 */
export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object') {
    const cause = (error as Partial<ResponseError>).cause;
    if (
      (error as Error).name === 'ResponseError' &&
      cause &&
      typeof cause.message === 'string' &&
      cause.message
    ) {
      return cause.message;
    }
    if (typeof (error as Error).message === 'string') {
      return (error as Error).message;
    }
  }
  return String(error);
}
