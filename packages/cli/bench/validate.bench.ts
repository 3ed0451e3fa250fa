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
 * Benchmark: `ml-gitops validate --skip-registry` on a config repo of 500
 * files, as a new process each time (the way CI runs it), N times. Prints
 * min/median/max wall time and exits 1 when the median is over the target.
 *
 * By default it times the compiled command: the CLI and its dependencies
 * bundled into one JavaScript file with esbuild, started through the real
 * bin script (what a PR check runs after `npm install`, minus module lookup
 * across node_modules). `--source` times the monorepo's development path
 * instead: the TypeScript sources through the Backstage node transform.
 *
 *   yarn workspace @ml-gitops/cli bench [--runs N] [--target-ms MS] [--source]
 */
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MANIFEST } from '../src/__testUtils__/manifest';

const FILES = 500;
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = option('--runs', 5);
const TARGET_MS = option('--target-ms', 2000);
const FROM_SOURCE = args.includes('--source');
const PACKAGE_DIR = path.resolve(__dirname, '..');
const SOURCE_BIN = path.join(PACKAGE_DIR, 'bin/ml-gitops');

const template = (i: number) => `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {{ .Values.model.name }}-${i}
  labels:
    ml-gitops/model-version: {{ .Values.model.version | quote }}
spec:
  predictor:
    minReplicas: {{ .Values.serving.replicas }}
    model:
      modelFormat: { name: mlflow }
      storageUri: s3://acme-mlflow-artifacts/{{ .Values.model.name }}/${i}
`;

/** Ciphertext-shaped bytes (a 4096-bit key's 512 + 2 + 16 + 8), base64. */
const sealedLooking = (i: number) =>
  Buffer.concat(
    Array.from({ length: 17 }, (_, k) =>
      createHash('sha256').update(`sealed-${i}-${k}`).digest(),
    ),
  )
    .subarray(0, 538)
    .toString('base64');

const sealed = (i: number) => `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: credentials-${i}
spec:
  encryptedData:
    password: ${sealedLooking(i)}
  template:
    metadata:
      name: credentials-${i}
`;

const doc = (i: number) =>
  `# Runbook ${i}\n\n${'Rolling back: open a pull request that sets model_version to the previous version. '.repeat(
    20,
  )}\n`;

const values = (i: number) =>
  `# environment overrides ${i}\nserving:\n  replicas: ${
    (i % 4) + 1
  }\n  resources:\n    limits: { cpu: "2", memory: 4Gi }\n`;

/** A config repo of exactly FILES files in a fresh temporary directory. */
function makeConfigRepo(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-bench-'));
  const files: Record<string, string> = {
    'deploy/model.yaml': MANIFEST,
    'deploy/chart/Chart.yaml':
      'apiVersion: v2\nname: fraud-detector\nversion: 0.1.0\n',
    'deploy/chart/values.yaml':
      'model: { name: fraud-detector, version: "13" }\nserving: { replicas: 2 }\n',
    CODEOWNERS: '* @acme/risk\n',
    'README.md': '# fraud-detector-config\n',
    '.github/workflows/validate.yaml':
      'name: validate\non: pull_request\njobs:\n  validate:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npx @ml-gitops/cli validate\n',
  };
  const makers: Array<[string, (i: number) => string]> = [
    ['deploy/chart/templates/inferenceservice-%.yaml', template],
    ['secrets/credentials-%.sealed.yaml', sealed],
    ['docs/runbook-%.md', doc],
    ['environments/overrides-%.yaml', values],
  ];
  for (let i = 0; Object.keys(files).length < FILES; i++) {
    const [pattern, make] = makers[i % makers.length];
    files[pattern.replace('%', String(i))] = make(i);
  }
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/**
 * Bundles src/index.ts with its dependencies into DIR/dist/index.cjs.js and
 * copies the real bin script beside it: DIR looks like the installed package
 * (bin/ + dist/, no src/), so the bin takes its installed-package branch.
 */
async function bundleCli(dir: string): Promise<string> {
  const started = Date.now();
  await build({
    entryPoints: [path.join(PACKAGE_DIR, 'src/index.ts')],
    outfile: path.join(dir, 'dist/index.cjs.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'warning',
  });
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(SOURCE_BIN, path.join(dir, 'bin/ml-gitops'));
  const pkg = JSON.parse(
    readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'),
  );
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: pkg.name, version: pkg.version, main: pkg.main }),
  );
  process.stdout.write(
    `bundled the CLI in ${Date.now() - started} ms (not timed below)\n`,
  );
  return path.join(dir, 'bin/ml-gitops');
}

function runOnce(bin: string, root: string) {
  return new Promise<{ ms: number; code: number; output: string }>(resolve => {
    const start = process.hrtime.bigint();
    execFile(
      process.execPath,
      [bin, 'validate', root, '--skip-registry'],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const code = error
          ? Number((error as { code?: unknown }).code ?? 1)
          : 0;
        resolve({ ms, code, output: stdout + stderr });
      },
    );
  });
}

async function bench() {
  const root = makeConfigRepo();
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-cli-'));
  try {
    const bin = FROM_SOURCE ? SOURCE_BIN : await bundleCli(bundleDir);
    // one untimed run: fills Node's compile cache as a CI runner's first check would
    await runOnce(bin, root);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { ms, code, output } = await runOnce(bin, root);
      if (code !== 0) {
        process.stderr.write(
          `run ${i + 1}: validate exited ${code}, expected 0\n${output}`,
        );
        return 2;
      }
      times.push(ms);
      process.stdout.write(`run ${i + 1}/${RUNS}: ${ms.toFixed(0)} ms\n`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median =
      sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    const ok = median <= TARGET_MS;
    process.stdout.write(
      `validate --skip-registry (${
        FROM_SOURCE ? 'TypeScript sources' : 'compiled bundle'
      }), ${FILES} files, ${RUNS} runs: ` +
        `min ${sorted[0].toFixed(0)} ms, median ${median.toFixed(0)} ms, ` +
        `max ${sorted[sorted.length - 1].toFixed(
          0,
        )} ms; target ${TARGET_MS} ms: ` +
        `${ok ? 'OK (median under target)' : 'OVER TARGET'}\n`,
    );
    return ok ? 0 : 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

bench().then(
  code => {
    process.exitCode = code;
  },
  error => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 2;
  },
);
