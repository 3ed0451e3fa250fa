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

import { parseModelManifest } from './parse';
import { formatManifestProblem, ManifestProblem } from './problems';

const VALID = `# The model served from this branch
model_name: fraud-detector
model_version: "12"            # string; the registry's version id
registry: mlflow-default
serving: { runtime: kserve, replicas: 2 }
gates:
  metrics:
    auc: { min: 0.92 }
    latency_p95_ms: { max: 40 }
`;

const BASE = `model_name: fraud-detector
model_version: "12"
serving: { runtime: kserve, replicas: 2 }
`;

function problems(input: string | Uint8Array): ManifestProblem[] {
  const result = parseModelManifest(input, { path: 'deploy/model.yaml' });
  if (result.ok) {
    throw new Error(
      `expected problems, got ${JSON.stringify(result.manifest)}`,
    );
  }
  return result.problems;
}

function only(input: string | Uint8Array): ManifestProblem {
  const found = problems(input);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('parseModelManifest', () => {
  it('parses the design example', () => {
    expect(parseModelManifest(VALID)).toEqual({
      ok: true,
      manifest: {
        model_name: 'fraud-detector',
        model_version: '12',
        registry: 'mlflow-default',
        serving: { runtime: 'kserve', replicas: 2 },
        gates: {
          metrics: { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } },
        },
      },
    });
  });

  it('parses bytes, CRLF line endings, a BOM and a leading document marker', () => {
    const text = `\ufeff---\r\n${BASE.replace(/\n/g, '\r\n')}`;
    const result = parseModelManifest(new TextEncoder().encode(text));
    expect(result.ok).toBe(true);
  });

  it('parses serving resources and integration checks', () => {
    const result = parseModelManifest(`${BASE.replace(
      'serving: { runtime: kserve, replicas: 2 }',
      'serving:\n  runtime: kserve\n  replicas: 0\n  resources: { requests: { cpu: 500m, memory: 2Gi }, limits: { gpu: 1 } }',
    )}checks:
  timeout_seconds: 120
  integration:
    - ./scripts/smoke-test.sh
    - { name: contract, run: make contract, timeout_seconds: 30 }
`);
    expect(result).toMatchObject({
      ok: true,
      manifest: {
        serving: { replicas: 0, resources: { limits: { gpu: 1 } } },
        checks: {
          timeout_seconds: 120,
          integration: [
            './scripts/smoke-test.sh',
            { name: 'contract', run: 'make contract', timeout_seconds: 30 },
          ],
        },
      },
    });
  });

  describe('model_version', () => {
    it('refuses a YAML number and says to quote it', () => {
      const p = only(BASE.replace('"12"', '12'));
      expect(p).toMatchObject({
        code: 'wrong-type',
        file: 'deploy/model.yaml',
        line: 2,
        column: 16,
        field: 'model_version',
        fix: 'Quote it: model_version: "12"',
      });
      expect(p.message).toBe(
        'model_version must be a string, but YAML reads 12 as the number 12',
      );
    });

    it('shows what a float version turns into', () => {
      expect(only(BASE.replace('"12"', '1.10')).message).toContain(
        'YAML reads 1.10 as the number 1.1',
      );
    });

    it('accepts a single-quoted or plain string version', () => {
      expect(parseModelManifest(BASE.replace('"12"', "'12'")).ok).toBe(true);
      expect(parseModelManifest(BASE.replace('"12"', 'v12-rc.1')).ok).toBe(
        true,
      );
    });

    it('refuses an empty or non-label version', () => {
      expect(only(BASE.replace('"12"', '')).message).toBe(
        'model_version must be a string, not empty (null)',
      );
      expect(only(BASE.replace('"12"', '"1 2"')).code).toBe('invalid-value');
      expect(only(BASE.replace('"12"', `"${'9'.repeat(64)}"`)).code).toBe(
        'invalid-value',
      );
    });

    it('refuses a boolean', () => {
      expect(only(BASE.replace('"12"', 'true')).fix).toBe(
        'Quote it: model_version: "true"',
      );
    });
  });

  describe('required fields', () => {
    it.each(['model_name', 'model_version', 'serving'])(
      'reports a missing %s with an example',
      field => {
        const text = BASE.split('\n')
          .filter(line => !line.startsWith(`${field}:`))
          .join('\n');
        const p = only(text);
        expect(p).toMatchObject({
          code: 'missing-field',
          field,
          message: `${field} is missing`,
        });
        expect(p.fix).toMatch(new RegExp(`^Add ${field}: `));
      },
    );

    it('reports missing serving fields at the serving mapping', () => {
      const found = problems(
        BASE.replace('{ runtime: kserve, replicas: 2 }', '{}'),
      );
      expect(found.map(p => [p.field, p.line, p.column])).toEqual([
        ['serving.runtime', 3, 10],
        ['serving.replicas', 3, 10],
      ]);
    });
  });

  describe('prototype names', () => {
    it.each(['__proto__', 'constructor', 'prototype'])(
      'refuses %s as a metric name, so a gate cannot reach the object prototype',
      name => {
        const found = problems(
          `${BASE}gates:\n  metrics:\n    ${name}: { min: 0 }\n`,
        );
        expect(found.map(p => p.message)).toContain(
          `the key ${JSON.stringify(
            name,
          )} is not allowed anywhere: it names a part of every JavaScript object`,
        );
      },
    );
  });

  describe('unknown keys', () => {
    it('names a top-level typo and suggests the right key', () => {
      const p = only(`${BASE}regsitry: mlflow\n`);
      expect(p).toMatchObject({
        code: 'unknown-key',
        line: 4,
        column: 1,
        message: 'unknown key "regsitry" at the top level',
        fix: 'Did you mean "registry"? Rename the key',
      });
    });

    it('refuses a typo in a gate so it cannot pass silently', () => {
      const found = problems(
        `${BASE}gates:\n  metrics:\n    auc: { mn: 0.9 }\n`,
      );
      expect(found.map(p => p.message)).toEqual([
        'gates.metrics.auc: a metric gate needs "min", "max" or both',
        'unknown key "mn" in gates.metrics.auc',
      ]);
      expect(found[1]).toMatchObject({
        line: 6,
        column: 12,
        fix: expect.stringContaining('"min"'),
      });
    });

    it('lists the allowed keys when nothing is close', () => {
      expect(
        only(`${BASE.replace('replicas: 2', 'replicas: 2, zzzzzzzz: 1')}`).fix,
      ).toBe(
        'Remove it; allowed keys in serving are: runtime, replicas, resources',
      );
    });
  });

  describe('gates', () => {
    it('accepts min, max or both', () => {
      expect(
        parseModelManifest(
          `${BASE}gates: { metrics: { auc: { min: 0.9, max: 1 }, "val/loss": { max: 0.2 } } }\n`,
        ).ok,
      ).toBe(true);
    });

    it('refuses a gate without a threshold', () => {
      expect(
        only(`${BASE}gates: { metrics: { auc: {} } }\n`).message,
      ).toContain('needs "min", "max" or both');
    });

    it('refuses min > max', () => {
      const p = only(
        `${BASE}gates: { metrics: { auc: { min: 0.9, max: 0.1 } } }\n`,
      );
      expect(p.message).toBe(
        'gates.metrics.auc: min (0.9) is greater than max (0.1), so no value can pass',
      );
      expect(p.fix).toBe('Swap min and max, or correct one of them');
    });

    it('refuses a quoted threshold', () => {
      expect(
        only(`${BASE}gates: { metrics: { auc: { min: "0.9" } } }\n`),
      ).toMatchObject({
        code: 'wrong-type',
        fix: 'Remove the quotes: min: 0.9',
      });
    });

    it('refuses an empty metrics map, infinite and NaN thresholds', () => {
      expect(only(`${BASE}gates: { metrics: {} }\n`).message).toContain(
        'at least one metric',
      );
      expect(
        only(`${BASE}gates: { metrics: { auc: { min: .inf } } }\n`).field,
      ).toBe('gates.metrics.auc.min');
      expect(
        only(`${BASE}gates: { metrics: { auc: { max: .nan } } }\n`).field,
      ).toBe('gates.metrics.auc.max');
    });

    it('refuses gates without metrics', () => {
      expect(only(`${BASE}gates: {}\n`).message).toBe(
        'gates.metrics is missing',
      );
    });
  });

  describe('checks', () => {
    it('refuses wrong integration entries, each at its line', () => {
      const found = problems(
        `${BASE}checks:\n  integration:\n    - 3\n    - { run: x, timout: 3 }\n    - ""\n`,
      );
      expect(found.map(p => [p.line, p.field])).toEqual([
        [6, 'checks.integration[0]'],
        [7, 'checks.integration[1].timout'],
        [8, 'checks.integration[2]'],
      ]);
    });

    it('refuses timeouts out of range', () => {
      expect(only(`${BASE}checks: { timeout_seconds: 0 }\n`).message).toContain(
        'at least 1 second',
      );
      expect(
        only(`${BASE}checks: { timeout_seconds: 1.5 }\n`).message,
      ).toContain('whole number');
    });
  });

  describe('serving', () => {
    it('refuses negative or fractional replicas and odd runtimes', () => {
      expect(
        only(BASE.replace('replicas: 2', 'replicas: -1')).message,
      ).toContain('must not be negative');
      expect(
        only(BASE.replace('replicas: 2', 'replicas: 1.5')).message,
      ).toContain('whole number');
      expect(only(BASE.replace('kserve', 'KServe!')).field).toBe(
        'serving.runtime',
      );
    });

    it('refuses a scalar where a mapping belongs', () => {
      expect(
        only(BASE.replace('{ runtime: kserve, replicas: 2 }', 'kserve')),
      ).toMatchObject({
        message: 'serving must be a mapping, not a string',
        fix: 'Write e.g. serving: { runtime: kserve, replicas: 2 }',
      });
    });
  });

  describe('YAML hazards', () => {
    it('refuses duplicate keys', () => {
      expect(only(`${BASE}model_version: "13"\n`)).toMatchObject({
        code: 'duplicate-key',
        line: 4,
        message: 'duplicate key "model_version"',
      });
    });

    it('refuses anchors and aliases without expanding them (billion laughs)', () => {
      const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
      for (let i = 1; i < 10; i++) {
        const prev = `*a${i - 1}`;
        lines.push(`a${i}: &a${i} [${Array(9).fill(prev).join(', ')}]`);
      }
      const started = Date.now();
      const found = problems(`${BASE}${lines.join('\n')}\n`);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(found.some(p => p.code === 'alias')).toBe(true);
      expect(found.some(p => p.code === 'anchor')).toBe(true);
    });

    it('refuses a merge key', () => {
      expect(only(`${BASE}<<: { registry: x }\n`).code).toBe('unknown-key');
    });

    it('refuses explicit tags', () => {
      expect(
        only(BASE.replace('fraud-detector', '!!binary aGVsbG8=')),
      ).toMatchObject({
        code: 'tag',
        message: 'tags (!!binary) are not allowed',
      });
      expect(only(BASE.replace('"12"', '!!str 12')).code).toBe('tag');
    });

    it('refuses several documents', () => {
      expect(only(`${BASE}---\n${BASE}`)).toMatchObject({
        code: 'multiple-documents',
        line: 4,
      });
    });

    it('refuses a root that is not a mapping', () => {
      expect(only('- a\n- b\n').code).toBe('not-a-mapping');
      expect(only('just text\n').code).toBe('not-a-mapping');
      expect(only('').code).toBe('empty');
      expect(only('# only a comment\n').code).toBe('empty');
      expect(only('~\n').code).toBe('empty');
    });

    it('refuses non-string keys', () => {
      expect(only(`${BASE}123: x\n`)).toMatchObject({
        code: 'wrong-type',
        message: 'key "123" is read as a number, not a name',
      });
      expect(problems(`${BASE}? [a, b]\n: c\n`)[0].message).toBe(
        'keys must be plain names, not lists or mappings',
      );
    });

    it('reports syntax errors with their position', () => {
      expect(only('model_name: "fraud\n')).toMatchObject({
        code: 'yaml-syntax',
        message: expect.stringContaining('quote'),
        fix: 'Close the open quote or bracket',
      });
      expect(only('model_name: a\nserving:\n\truntime: x\n')).toMatchObject({
        line: 3,
        fix: 'Indent with spaces, never tabs',
      });
    });

    it('survives absurd nesting', () => {
      const p = problems(`a: ${'['.repeat(30000)}${']'.repeat(30000)}\n`);
      expect(p.length).toBeGreaterThan(0);
    });
  });

  describe('input limits', () => {
    it('refuses a file over the size limit, as text or bytes', () => {
      const big = `${BASE}# ${'x'.repeat(70 * 1024)}\n`;
      expect(only(big).code).toBe('too-large');
      expect(only(new TextEncoder().encode(big)).code).toBe('too-large');
      expect(parseModelManifest(BASE, { maxBytes: 10 }).ok).toBe(false);
    });

    it('refuses a file that is large only in bytes', () => {
      const p = parseModelManifest(`${BASE}# ${'é'.repeat(40 * 1024)}\n`);
      expect(p).toMatchObject({ ok: false, problems: [{ code: 'too-large' }] });
    });

    it('refuses binary content', () => {
      expect(only(new Uint8Array([0x1f, 0x8b, 0x08, 0x00]))).toMatchObject({
        code: 'binary',
        line: 1,
      });
      expect(only(`${BASE}\u0000`).code).toBe('binary');
    });

    it('refuses bytes that are not UTF-8 and says where', () => {
      const bytes = new Uint8Array([
        ...new TextEncoder().encode('model_name: a\nregistry: caf'),
        0xe9,
        0x0a,
      ]);
      expect(only(bytes)).toMatchObject({
        code: 'encoding',
        line: 2,
        column: 14,
      });
      expect(only(new Uint8Array([0xff, 0xfe, 0x6d, 0x00])).code).toBe(
        'encoding',
      );
      expect(only(new Uint8Array([0xed, 0xa0, 0x80])).code).toBe('encoding');
    });
  });

  it('formats a problem like a compiler', () => {
    const p = only(BASE.replace('"12"', '12'));
    expect(formatManifestProblem(p)).toBe(
      'deploy/model.yaml:2:16: model_version must be a string, but YAML reads 12 as the number 12 (fix: Quote it: model_version: "12")',
    );
  });
});
