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

import { InputError } from '@backstage/errors';
import { setManifestFreeze, setModelVersion } from './edit';
import { parseModelManifest } from './parse';
import { parseYamlStrict } from './yamlSafe';

/**
 * The text with exactly one occurrence of `from` changed into `to`: what a
 * byte-preserving edit must produce. Comparing strings with `toBe` compares
 * every character, so every byte of the UTF-8 file.
 */
function replacedOnce(before: string, from: string, to: string): string {
  const at = before.indexOf(from);
  if (at < 0 || before.indexOf(from, at + 1) >= 0) {
    throw new Error(`${JSON.stringify(from)} must occur exactly once`);
  }
  return before.slice(0, at) + to + before.slice(at + from.length);
}

describe('setModelVersion', () => {
  it('keeps comments, blank lines and the double quotes', () => {
    const before = `# Fraud detector, dev environment
# Owned by the risk team.

model_name: fraud-detector   # registry name
model_version: "12"            # string; the registry's version id
registry: mlflow-default

serving: { runtime: kserve, replicas: 2 }
gates:
  metrics:                     # checked against the registry run's metrics
    auc: { min: 0.92 }
    latency_p95_ms: { max: 40 }   # p95
`;
    const after = setModelVersion(before, '13');
    expect(after).toBe(replacedOnce(before, '"12"', '"13"'));
    const parsed = parseModelManifest(after);
    expect(parsed.ok && parsed.manifest.model_version).toBe('13');
  });

  it('keeps single quotes', () => {
    const before = "model_name: a\nmodel_version: '12'\n";
    expect(setModelVersion(before, '13')).toBe(
      replacedOnce(before, "'12'", "'13'"),
    );
  });

  it('quotes an unquoted version so it stays a string', () => {
    const before = 'model_name: a\nmodel_version: 12 # was a number\n';
    expect(setModelVersion(before, '13')).toBe(
      replacedOnce(before, '12 #', '"13" #'),
    );
  });

  it('keeps odd indentation and key order', () => {
    const before =
      'serving:\n     runtime: kserve\n     replicas:   2\nmodel_version:      "7"\nmodel_name:    a\n';
    expect(setModelVersion(before, '8')).toBe(
      replacedOnce(before, '"7"', '"8"'),
    );
  });

  it('keeps CRLF line endings and a missing final newline', () => {
    const before =
      '# dev\r\nmodel_name: a\r\nmodel_version: "12"\r\n\r\nserving: { runtime: kserve, replicas: 2 }';
    const after = setModelVersion(before, '13');
    expect(after).toBe(replacedOnce(before, '"12"', '"13"'));
    expect(Buffer.from(after, 'utf8')).toEqual(
      Buffer.from(replacedOnce(before, '"12"', '"13"'), 'utf8'),
    );
    expect(after.endsWith('replicas: 2 }')).toBe(true);
    expect(after.split('\r\n')).toHaveLength(5);
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('keeps a byte order mark, tabs in comments and non-ASCII text', () => {
    const before =
      '\ufeff# modèle 🧠\t\tnotes\nmodel_name: a\nmodel_version: "1"\n';
    expect(setModelVersion(before, '2')).toBe(
      replacedOnce(before, '"1"', '"2"'),
    );
  });

  it('edits inside a flow mapping', () => {
    const before =
      '{ model_name: a, model_version: 12, serving: {runtime: k, replicas: 1} }';
    expect(setModelVersion(before, '13')).toBe(
      replacedOnce(before, '12', '"13"'),
    );
  });

  it('replaces a block scalar by a quoted string, keeping the next lines', () => {
    const before = 'model_version: |\n  12\n\nmodel_name: a\n';
    expect(setModelVersion(before, '13')).toBe(
      'model_version: "13"\n\nmodel_name: a\n',
    );
  });

  it('keeps an explicit document start and end', () => {
    const before = '---\nmodel_name: a\nmodel_version: "1"\n...\n';
    expect(setModelVersion(before, '2')).toBe(
      replacedOnce(before, '"1"', '"2"'),
    );
  });

  it('does not touch a nested model_version', () => {
    const before = 'notes: { model_version: "1" }\nmodel_version: "1"\n';
    const after = setModelVersion(before, '2');
    expect(after).toBe('notes: { model_version: "1" }\nmodel_version: "2"\n');
  });

  it.each(['', '1 2', '-1', 'a'.repeat(64), '"12"', '12\nfoo: bar'])(
    'refuses the invalid version %j',
    version => {
      expect(() => setModelVersion('model_version: "1"\n', version)).toThrow(
        InputError,
      );
    },
  );

  it('refuses a file without model_version or with broken YAML', () => {
    expect(() => setModelVersion('model_name: a\n', '2')).toThrow(
      /no top-level model_version/,
    );
    expect(() => setModelVersion('- a\n', '2')).toThrow(/not a YAML mapping/);
    expect(() => setModelVersion('model_version: "1\n', '2')).toThrow(
      InputError,
    );
    expect(() =>
      setModelVersion('model_version: "1"\nmodel_version: "2"\n', '3'),
    ).toThrow(/duplicate key "model_version"/);
    expect(() => setModelVersion('a: &x 1\nmodel_version: *x\n', '3')).toThrow(
      /aliases/,
    );
    expect(() => setModelVersion('model_version: [1]\n', '3')).toThrow(
      /plain value/,
    );
  });
});

describe('setModelVersion with a storage URI', () => {
  const before = `# dev
model_name: fraud-detector
model_version: "12"   # the registry's version id
storage_uri: 's3://mlflow/1/run-12/artifacts/model' # where KServe loads it
serving: { runtime: kserve, replicas: 2 }
`;

  it('changes both values in one edit, keeping every other byte and the quote styles', () => {
    const after = setModelVersion(before, '13', {
      storageUri: "s3://mlflow/1/run-13/artifacts/model's",
    });
    expect(after).toBe(
      replacedOnce(
        replacedOnce(before, '"12"', '"13"'),
        "'s3://mlflow/1/run-12/artifacts/model'",
        "'s3://mlflow/1/run-13/artifacts/model''s'",
      ),
    );
    const parsed = parseModelManifest(after);
    expect(parsed.ok && parsed.manifest.storage_uri).toBe(
      "s3://mlflow/1/run-13/artifacts/model's",
    );
  });

  it('works whichever key comes first', () => {
    const swapped =
      'storage_uri: gs://b/old\r\nmodel_name: m\r\nmodel_version: "1"\r\nserving: { runtime: kserve, replicas: 1 }';
    expect(setModelVersion(swapped, '2', { storageUri: 'gs://b/new' })).toBe(
      'storage_uri: "gs://b/new"\r\nmodel_name: m\r\nmodel_version: "2"\r\nserving: { runtime: kserve, replicas: 1 }',
    );
  });

  it('refuses a URI KServe cannot read, and a manifest without storage_uri', () => {
    expect(() =>
      setModelVersion(before, '13', { storageUri: 'mlflow-artifacts:/1/x' }),
    ).toThrow(
      /Invalid storage URI "mlflow-artifacts:\/1\/x": it must start with a scheme/,
    );
    expect(() =>
      setModelVersion(before, '13', { storageUri: 's3://key:secret@bucket/m' }),
    ).toThrow(/must not carry credentials/);
    expect(() =>
      setModelVersion('model_name: m\nmodel_version: "1"\n', '2', {
        storageUri: 's3://b/m',
      }),
    ).toThrow(/no top-level storage_uri/);
  });
});

describe('setManifestFreeze', () => {
  const FREEZE = { reason: 'incident 4711', until: '2026-12-24T00:00:00Z' };
  const BASE = `# Fraud detector, production
model_name: fraud-detector   # registry name
model_version: "12"

serving: { runtime: kserve, replicas: 2 }   # keep
`;

  /** The freeze the edited text reads back with (through the full schema). */
  function freezeOf(text: string) {
    const parsed = parseModelManifest(text);
    if (!parsed.ok) {
      throw new Error(
        `does not parse: ${parsed.problems.map(p => p.message).join('; ')}`,
      );
    }
    return parsed.manifest.freeze;
  }

  it('appends a block at the end and keeps every other byte', () => {
    const after = setManifestFreeze(BASE, FREEZE);
    expect(after).toBe(
      `${BASE}freeze:\n  reason: "incident 4711"\n  until: "2026-12-24T00:00:00Z"\n`,
    );
    expect(freezeOf(after)).toEqual(FREEZE);
  });

  it('leaves out until when the freeze has none', () => {
    const after = setManifestFreeze(BASE, { reason: 'release week' });
    expect(after).toBe(`${BASE}freeze:\n  reason: "release week"\n`);
    expect(freezeOf(after)).toEqual({ reason: 'release week' });
  });

  it('replaces a block freeze in place, before other keys and their comments', () => {
    const before = `model_name: a
freeze:           # set by the on-call
  reason: old reason   # why
  until: "2026-01-01T00:00:00Z"

# the serving settings
serving: { runtime: kserve, replicas: 2 }
model_version: "7"
`;
    const after = setManifestFreeze(before, FREEZE);
    expect(after).toBe(`model_name: a
freeze:
  reason: "incident 4711"
  until: "2026-12-24T00:00:00Z"

# the serving settings
serving: { runtime: kserve, replicas: 2 }
model_version: "7"
`);
    expect(freezeOf(after)).toEqual(FREEZE);
  });

  it('replaces a flow freeze', () => {
    const before = `${BASE}freeze: { reason: x, until: "2026-01-01T00:00:00+02:00" } # flow\n`;
    const after = setManifestFreeze(before, { reason: 'y' });
    expect(after).toBe(`${BASE}freeze:\n  reason: "y"\n`);
    expect(freezeOf(after)).toEqual({ reason: 'y' });
  });

  it('removes a block freeze with its lines only', () => {
    const before = `model_name: a
freeze:
  reason: >-
    folded
    reason
  # a comment inside the block

model_version: "7"
serving: { runtime: kserve, replicas: 2 }
`;
    const after = setManifestFreeze(before, undefined);
    expect(after).toBe(`model_name: a

model_version: "7"
serving: { runtime: kserve, replicas: 2 }
`);
    expect(freezeOf(after)).toBeUndefined();
  });

  it('removes a flow freeze that ends a file without a final newline', () => {
    const before = `${BASE}freeze: { reason: x }`;
    expect(setManifestFreeze(before, undefined)).toBe(BASE.slice(0, -1));
  });

  it('returns a file without a freeze unchanged when removing', () => {
    expect(setManifestFreeze(BASE, undefined)).toBe(BASE);
  });

  it('keeps CRLF line endings, a byte order mark and a missing final newline', () => {
    const before =
      '\ufeff# prod\r\nmodel_name: a\r\nmodel_version: "1"\r\nserving: { runtime: kserve, replicas: 2 }';
    const added = setManifestFreeze(before, FREEZE);
    expect(added).toBe(
      `${before}\r\nfreeze:\r\n  reason: "incident 4711"\r\n  until: "2026-12-24T00:00:00Z"`,
    );
    expect(freezeOf(added)).toEqual(FREEZE);
    const replaced = setManifestFreeze(added, { reason: 'other' });
    expect(replaced).toBe(`${before}\r\nfreeze:\r\n  reason: "other"`);
    expect(setManifestFreeze(replaced, undefined)).toBe(before);
  });

  it('removes a freeze on the first line after a byte order mark, keeping the mark', () => {
    const before = '\ufefffreeze: { reason: x }\nmodel_name: a\n';
    expect(setManifestFreeze(before, undefined)).toBe('\ufeffmodel_name: a\n');
  });

  it('indents the block like the top-level keys of an indented file', () => {
    const before = '  model_name: a\n  model_version: "1"\n';
    const after = setManifestFreeze(before, { reason: 'r' });
    expect(after).toBe(`${before}  freeze:\n    reason: "r"\n`);
  });

  it.each([
    ['quotes and backslashes', 'say "no" to C:\\deploy'],
    ['YAML indicators', '- [x]: {y} # not a comment & *alias !tag %d @ `'],
    ['a number', '12'],
    ['a boolean-looking word', 'yes'],
    ['null-looking', 'null'],
    ['leading and trailing spaces', '  padded  '],
    ['a tab', 'a\tb'],
    ['non-ASCII and emoji', 'Störung 🔥 — 事故'],
    [
      'control and separator characters',
      'a\u0007b\u007fc\u0085d\u2028e\ufefff',
    ],
    ['a lone surrogate', 'x\ud800y'],
  ])('round-trips a reason with %s', (_what, reason) => {
    const after = setManifestFreeze(BASE, { reason });
    expect(after.startsWith(BASE)).toBe(true);
    // The lone surrogate cannot be checked by the schema's reader alone.
    const read = parseYamlStrict(after, { path: 'm.yaml' });
    expect(read.ok && read.yaml.documents[0].toJS().freeze).toEqual({
      reason,
    });
  });

  it.each([
    [{ reason: '' }, 'freeze.reason must not be empty'],
    [{ reason: '   ' }, 'freeze.reason must not be empty'],
    [{ reason: 'a\nb' }, 'freeze.reason must be one line'],
    [
      { reason: 'x'.repeat(501) },
      'freeze.reason must be at most 500 characters',
    ],
    [
      { reason: 'r', until: '2026-12-24' },
      'freeze.until must be an ISO 8601 time such as 2026-12-24T00:00:00Z',
    ],
    [
      { reason: 'r', until: '2026-12-24T00:00:00' },
      'freeze.until must be an ISO 8601 time such as 2026-12-24T00:00:00Z',
    ],
  ])('refuses an invalid freeze %j', (freeze, message) => {
    expect(() => setManifestFreeze(BASE, freeze)).toThrow(InputError);
    expect(() => setManifestFreeze(BASE, freeze)).toThrow(message);
  });

  it('refuses text that is not a block mapping', () => {
    expect(() => setManifestFreeze('- a\n', { reason: 'r' })).toThrow(
      'Cannot edit the manifest: it is not a YAML mapping',
    );
    expect(() =>
      setManifestFreeze(
        '{ model_name: a, freeze: { reason: x } }\n',
        undefined,
      ),
    ).toThrow('write it in block style');
    expect(() => setManifestFreeze('a: [\n', { reason: 'r' })).toThrow(
      /^Cannot edit the manifest: /,
    );
  });
});
