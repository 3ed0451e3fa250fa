/*
 * Benchmark: `ml-gitops validate --skip-registry` on a config repo of 500
 * files, through the real bin, N times. Prints min/median/max wall time and
 * exits 1 when the median is over the target.
 *
 *   yarn workspace @ml-gitops/cli bench [--runs N] [--target-ms MS]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const BIN = path.resolve(__dirname, '../bin/ml-gitops');

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

const sealed = (i: number) => `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: credentials-${i}
spec:
  encryptedData:
    password: AgBy3i4OJSWK${String(i).padStart(4, '0')}+zQxvY8mHk2PjLs9
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

function runOnce(root: string) {
  return new Promise<{ ms: number; code: number; output: string }>(resolve => {
    const start = process.hrtime.bigint();
    execFile(
      process.execPath,
      [BIN, 'validate', root, '--skip-registry'],
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
  try {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { ms, code, output } = await runOnce(root);
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
      `validate --skip-registry, ${FILES} files, ${RUNS} runs: ` +
        `min ${sorted[0].toFixed(0)} ms, median ${median.toFixed(0)} ms, ` +
        `max ${sorted[sorted.length - 1].toFixed(
          0,
        )} ms; target ${TARGET_MS} ms: ` +
        `${ok ? 'OK (median under target)' : 'OVER TARGET'}\n`,
    );
    return ok ? 0 : 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
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
