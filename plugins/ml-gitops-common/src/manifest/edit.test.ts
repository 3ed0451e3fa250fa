import { InputError } from '@backstage/errors';
import { setModelVersion } from './edit';
import { parseModelManifest } from './parse';

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
