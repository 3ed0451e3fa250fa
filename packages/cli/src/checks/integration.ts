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
  DEFAULT_INTEGRATION_TIMEOUT_SECONDS,
  ModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import { spawn } from 'node:child_process';
import { positionOf } from '../lib/positions';
import { CheckResult, failed, Finding, passed, skipped } from '../report';
import type { ManifestLocation } from './registry';

const TITLE = 'Integration checks';

/** Output kept per command: the last this many bytes. */
export const MAX_OUTPUT_BYTES = 64 * 1024;

/** The outcome of one integration command. */
export type IntegrationRun = {
  name: string;
  run: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  timeoutSeconds: number;
  durationMs: number;
  /** Interleaved stdout and stderr, the last MAX_OUTPUT_BYTES. */
  output: string;
  outputTruncated: boolean;
};

function runCommand(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutSeconds: number,
): Promise<Omit<IntegrationRun, 'name' | 'run'>> {
  return new Promise(resolve => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let timedOut = false;
    const child = spawn('sh', ['-c', command], {
      cwd,
      env,
      detached: true, // its own process group, so a timeout kills every child
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      while (size > MAX_OUTPUT_BYTES && chunks.length > 1) {
        size -= chunks.shift()!.length;
        truncated = true;
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), 2000);
    }, timeoutSeconds * 1000);
    const finish = (exitCode: number | null, signal: string | null) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      let output = Buffer.concat(chunks).toString('utf8');
      if (output.length > MAX_OUTPUT_BYTES) {
        output = output.slice(-MAX_OUTPUT_BYTES);
        truncated = true;
      }
      resolve({
        exitCode,
        signal,
        timedOut,
        timeoutSeconds,
        durationMs: Date.now() - started,
        output,
        outputTruncated: truncated,
      });
    };
    child.on('error', error => {
      keep(
        Buffer.from(`ml-gitops: cannot start the command: ${error.message}\n`),
      );
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function describeFailure(result: Omit<IntegrationRun, 'name' | 'run'>): string {
  if (result.timedOut) return `timed out after ${result.timeoutSeconds}s`;
  if (result.exitCode === null) {
    return `was killed${
      result.signal ? ` by ${result.signal}` : ''
    } or could not start`;
  }
  return `exited with ${result.exitCode}`;
}

/**
 * Runs `checks.integration` from the repository root, one after another,
 * each with its timeout. Every command must exit 0. The variables named in
 * `hiddenEnv` (the registry token) are not passed to the commands: they come
 * from the pull request, the token does not.
 */
export async function checkIntegration(
  root: string,
  manifest: ModelManifest,
  location: ManifestLocation,
  extraEnv: Record<string, string>,
  hiddenEnv: readonly string[] = [],
): Promise<CheckResult> {
  const checks = manifest.checks?.integration ?? [];
  if (checks.length === 0) {
    return skipped(
      'integration',
      TITLE,
      'no checks.integration in the manifest',
    );
  }
  const defaultTimeout =
    manifest.checks?.timeout_seconds ?? DEFAULT_INTEGRATION_TIMEOUT_SECONDS;
  const runs: IntegrationRun[] = [];
  const findings: Finding[] = [];
  for (const [index, check] of checks.entries()) {
    const spec = typeof check === 'string' ? { run: check } : check;
    const name = spec.name ?? spec.run;
    const timeoutSeconds = spec.timeout_seconds ?? defaultTimeout;
    const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
    for (const hidden of hiddenEnv) delete env[hidden];
    const result = await runCommand(spec.run, root, env, timeoutSeconds);
    runs.push({ name, run: spec.run, ...result });
    if (result.timedOut || result.exitCode !== 0) {
      const why = describeFailure(result);
      findings.push({
        severity: 'error',
        file: location.file,
        ...positionOf(location.text, ['checks', 'integration', index]),
        message: `integration check "${name}" ${why}`,
        fix: result.timedOut
          ? 'Make the check faster, or raise its timeout_seconds'
          : 'Read its output in the log and fix the cause',
      });
    }
  }
  const details = { runs };
  if (findings.length > 0) {
    return failed(
      'integration',
      TITLE,
      `${findings.length} of ${runs.length} failed`,
      findings,
      details,
    );
  }
  return passed('integration', TITLE, `${runs.length} passed`, [], details);
}
