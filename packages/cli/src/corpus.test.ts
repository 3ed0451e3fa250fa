import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  cleanupTmpDirs,
  runCli,
  STACK_TRACE,
  tmpDir,
} from './__testUtils__/helpers';

/*
 * A corpus of malformed and hostile manifests. Every one must end in exit 1
 * (a check failed) or 2 (usage / I/O), with a message that names the file,
 * the line and a fix — never exit 0, never a stack trace.
 */

const OK = {
  name: 'model_name: fraud-detector\n',
  version: 'model_version: "12"\n',
  serving: 'serving: { runtime: kserve, replicas: 2 }\n',
};
const BASE = `${OK.name}${OK.version}${OK.serving}`;
const withVersion = (v: string) =>
  `${OK.name}model_version: ${v}\n${OK.serving}`;
const withName = (v: string) => `model_name: ${v}\n${OK.version}${OK.serving}`;
const withServing = (v: string) => `${OK.name}${OK.version}serving: ${v}\n`;
const withExtra = (extra: string) => `${BASE}${extra}`;
const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

type Case = {
  /** The manifest content, written to deploy/model.yaml. */
  manifest?: string | Uint8Array;
  /** Extra set-up of the repository. */
  setup?: (root: string) => void;
  /** Extra arguments. */
  args?: string[];
  /** The file the message must name (default deploy/model.yaml). */
  file?: string;
  /** Whether the message has a line (default true). */
  line?: boolean;
  /** Do not create deploy/ before the set-up. */
  noDeployDir?: boolean;
};

const billionLaughs = [
  'lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...Array.from(
    { length: 12 },
    (_, i) =>
      `lol${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`,
  ),
].join('\n');

const CORPUS: Record<string, Case> = {
  // wrong types
  'model_version is a number': { manifest: withVersion('12') },
  'model_version is a float that loses a digit': {
    manifest: withVersion('1.10'),
  },
  'model_version is octal-looking': { manifest: withVersion('012') },
  'model_version is a boolean': { manifest: withVersion('true') },
  'model_version is empty': { manifest: withVersion('') },
  'model_version is a list': { manifest: withVersion('[12]') },
  'model_version is a mapping': { manifest: withVersion('{ v: 12 }') },
  'model_version has a space': { manifest: withVersion('"1 2"') },
  'model_version is too long': { manifest: withVersion(`"${'1'.repeat(64)}"`) },
  'model_version has a path': { manifest: withVersion('"12/../13"') },
  'model_version starts with a dash': { manifest: withVersion('"-12"') },
  'model_version has a newline': { manifest: withVersion('"12\\nx"') },
  'model_name is a number': { manifest: withName('123') },
  'model_name is empty': { manifest: withName('""') },
  'model_name has spaces': { manifest: withName('"fraud detector"') },
  'model_name is not ASCII': { manifest: withName('frâud') },
  'registry is a number': { manifest: withExtra('registry: 5\n') },
  'registry is empty': { manifest: withExtra('registry: ""\n') },
  'serving is a string': { manifest: withServing('kserve') },
  'serving is a list': { manifest: withServing('[kserve, 2]') },
  'replicas is a string': {
    manifest: withServing('{ runtime: kserve, replicas: "2" }'),
  },
  'replicas is negative': {
    manifest: withServing('{ runtime: kserve, replicas: -1 }'),
  },
  'replicas is fractional': {
    manifest: withServing('{ runtime: kserve, replicas: 1.5 }'),
  },
  'replicas is huge': {
    manifest: withServing('{ runtime: kserve, replicas: 1e9 }'),
  },
  'runtime is missing': { manifest: withServing('{ replicas: 2 }') },
  'runtime is not a name': {
    manifest: withServing('{ runtime: "K Serve", replicas: 2 }'),
  },
  'serving has an unknown key': {
    manifest: withServing('{ runtime: kserve, replicas: 2, image: x }'),
  },
  'resources has a bad quantity': {
    manifest: withServing(
      '{ runtime: kserve, replicas: 2, resources: { limits: { memory: lots } } }',
    ),
  },
  'gates is a string': { manifest: withExtra('gates: strict\n') },
  'gates.metrics is empty': { manifest: withExtra('gates: { metrics: {} }\n') },
  'gates.metrics is a list': {
    manifest: withExtra('gates: { metrics: [auc] }\n'),
  },
  'a gate has no threshold': {
    manifest: withExtra('gates: { metrics: { auc: {} } }\n'),
  },
  'a gate has a typo': {
    manifest: withExtra('gates:\n  metrics:\n    auc: { mn: 0.9 }\n'),
  },
  'a gate has min > max': {
    manifest: withExtra(
      'gates: { metrics: { auc: { min: 0.9, max: 0.1 } } }\n',
    ),
  },
  'a threshold is quoted': {
    manifest: withExtra('gates: { metrics: { auc: { min: "0.9" } } }\n'),
  },
  'a threshold is infinite': {
    manifest: withExtra('gates: { metrics: { auc: { min: .inf } } }\n'),
  },
  'a threshold is NaN': {
    manifest: withExtra('gates: { metrics: { auc: { max: .nan } } }\n'),
  },
  'a metric name is odd': {
    manifest: withExtra(
      'gates: { metrics: { "auc$(rm -rf /)": { min: 1 } } }\n',
    ),
  },
  'gates has an unknown key': {
    manifest: withExtra(
      'gates: { metrics: { auc: { min: 1 } }, threshold: 3 }\n',
    ),
  },
  'a gate is a number': {
    manifest: withExtra('gates: { metrics: { auc: 0.9 } }\n'),
  },
  'integration is a string': {
    manifest: withExtra('checks: { integration: "make test" }\n'),
  },
  'an integration check is a number': {
    manifest: withExtra('checks: { integration: [3] }\n'),
  },
  'an integration check is empty': {
    manifest: withExtra('checks: { integration: [""] }\n'),
  },
  'an integration check has no run': {
    manifest: withExtra('checks: { integration: [{ name: x }] }\n'),
  },
  'a check timeout is zero': {
    manifest: withExtra('checks: { timeout_seconds: 0 }\n'),
  },
  'a check timeout is a day': {
    manifest: withExtra('checks: { timeout_seconds: 86400 }\n'),
  },
  'checks has an unknown key': {
    manifest: withExtra('checks: { lint: [x] }\n'),
  },

  // missing fields and empty files
  'model_name is missing': { manifest: OK.version + OK.serving },
  'model_version is missing': { manifest: OK.name + OK.serving },
  'serving is missing': { manifest: OK.name + OK.version },
  'the file is empty': { manifest: '' },
  'the file has only comments': { manifest: '# nothing here\n# at all\n' },
  'the document is null': { manifest: '~\n' },
  'the document is only a marker': { manifest: '---\n...\n' },

  // wrong shape
  'a top-level key has a typo': {
    manifest: `${OK.name}model_vesion: "12"\n${OK.serving}`,
  },
  'the root is a list': { manifest: '- model_name: fraud-detector\n' },
  'the root is a string': { manifest: 'fraud-detector 12\n' },
  'the root is a number': { manifest: '12\n' },
  'the manifest is JSON of the wrong shape': {
    manifest: '["model_name", "x"]',
  },

  // YAML hazards
  'model_version is duplicated': { manifest: `${BASE}model_version: "13"\n` },
  'a gate is duplicated': {
    manifest: withExtra(
      'gates:\n  metrics:\n    auc: { min: 0.9 }\n    auc: { min: 0.1 }\n',
    ),
  },
  'billion laughs': { manifest: `${BASE}${billionLaughs}\n` },
  'an alias to nothing': { manifest: withVersion('*nothing') },
  'an anchor': { manifest: withVersion('&v "12"') },
  'an alias for the version': {
    manifest: `x: &v "12"\n${OK.name}model_version: *v\n${OK.serving}`,
  },
  'a merge key': { manifest: withExtra('<<: { registry: mlflow }\n') },
  'a binary tag': { manifest: withVersion('!!binary MTI=') },
  'a custom tag': { manifest: withVersion('!version 12') },
  'a str tag': { manifest: withVersion('!!str 12') },
  'two documents': { manifest: `${BASE}---\n${BASE}` },
  'a tab indent': {
    manifest: `${OK.name}${OK.version}serving:\n\truntime: kserve\n`,
  },
  'an unterminated quote': { manifest: withVersion('"12') },
  'an unclosed flow mapping': {
    manifest: withServing('{ runtime: kserve, replicas: 2'),
  },
  'absurd nesting': {
    manifest: `${BASE}x: ${'['.repeat(20000)}${']'.repeat(20000)}\n`,
  },
  'trailing garbage after JSON': { manifest: '{"model_name": "a"} }\n' },
  'a key longer than 1024 characters': {
    manifest: `${BASE}${'k'.repeat(1100)}: 1\n`,
  },
  'a complex key': { manifest: withExtra('? [a, b]\n: c\n') },
  'a numeric key': { manifest: withExtra('123: x\n') },
  'a null key': { manifest: withExtra(': x\n') },
  'a directive': { manifest: `%YAML 1.1\n%FOO bar\n---\n${BASE}` },

  // size, binary and encoding
  'a huge file': { manifest: `${BASE}# ${'x'.repeat(200 * 1024)}\n` },
  'a huge single line': { manifest: `model_name: ${'a'.repeat(100 * 1024)}\n` },
  'gzip bytes': {
    manifest: bytes(0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00),
  },
  'a NUL in the middle': { manifest: utf8(`${BASE}\u0000x: 1\n`) },
  'Latin-1 text': {
    manifest: new Uint8Array([...utf8('model_name: caf'), 0xe9, 0x0a]),
  },
  'UTF-16 with a BOM': {
    manifest: new Uint8Array([0xff, 0xfe, ...Buffer.from(BASE, 'utf16le')]),
  },
  'a broken UTF-8 sequence': {
    manifest: new Uint8Array([...utf8(BASE), 0xc3, 0x28, 0x0a]),
  },
  'an encoded surrogate': {
    manifest: new Uint8Array([...utf8('model_name: '), 0xed, 0xa0, 0x80, 0x0a]),
  },
  'an overlong encoding': {
    manifest: new Uint8Array([...utf8('model_name: '), 0xc0, 0xaf, 0x0a]),
  },
  'control characters': {
    manifest: `model_name: a\u0007b\n${OK.version}${OK.serving}`,
  },

  // path tricks
  'the manifest is a symlink to /etc/passwd': {
    setup: root =>
      symlinkSync('/etc/passwd', path.join(root, 'deploy/model.yaml')),
  },
  'the manifest is a symlink inside the repo': {
    setup: root => {
      writeFileSync(path.join(root, 'deploy/real.yaml'), BASE);
      symlinkSync('real.yaml', path.join(root, 'deploy/model.yaml'));
    },
  },
  'the deploy directory is a symlink to outside': {
    setup: root => {
      const outside = tmpDir('ml-gitops-outside-');
      writeFileSync(path.join(outside, 'model.yaml'), BASE);
      symlinkSync(outside, path.join(root, 'deploy'));
    },
    noDeployDir: true,
  },
  'a dangling symlink': {
    setup: root =>
      symlinkSync(
        '/nonexistent/model.yaml',
        path.join(root, 'deploy/model.yaml'),
      ),
  },
  'a symlink loop': {
    setup: root =>
      symlinkSync('model.yaml', path.join(root, 'deploy/model.yaml')),
  },
  'a symlink to /dev/zero': {
    setup: root =>
      symlinkSync('/dev/zero', path.join(root, 'deploy/model.yaml')),
  },
  'the manifest is a directory': {
    setup: root => mkdirSync(path.join(root, 'deploy/model.yaml')),
  },
  'the manifest is a FIFO': {
    setup: root =>
      execFileSync('mkfifo', [path.join(root, 'deploy/model.yaml')]),
  },
  'the manifest is missing': { setup: () => undefined },
  'the manifest path leaves the repo': {
    manifest: BASE,
    args: ['--manifest', '../model.yaml'],
    file: '../model.yaml',
    line: false,
  },
  'the manifest path is absolute': {
    manifest: BASE,
    args: ['--manifest', '/etc/passwd'],
    file: '/etc/passwd',
    line: false,
  },
  'the manifest path climbs out through deploy': {
    manifest: BASE,
    args: ['--manifest', 'deploy/../../x/model.yaml'],
    file: 'deploy/../../x/model.yaml',
    line: false,
  },
  'the manifest path is the root itself': {
    manifest: BASE,
    args: ['--manifest', '.'],
    file: '.',
    line: false,
  },
};

afterEach(cleanupTmpDirs);

describe('hostile manifest corpus', () => {
  it('has at least 60 cases', () => {
    expect(Object.keys(CORPUS).length).toBeGreaterThanOrEqual(60);
  });

  it.each(Object.entries(CORPUS))(
    '%s: exit 1 or 2, file, line and fix, no stack trace',
    async (_name, c) => {
      const root = tmpDir();
      if (c.manifest !== undefined || c.setup === undefined) {
        mkdirSync(path.join(root, 'deploy'), { recursive: true });
        writeFileSync(path.join(root, 'deploy/model.yaml'), c.manifest ?? '');
      } else if (!c.noDeployDir) {
        mkdirSync(path.join(root, 'deploy'), { recursive: true });
      }
      c.setup?.(root);

      const { exitCode, output } = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--skip-integration',
        ...(c.args ?? []),
      ]);

      expect([1, 2]).toContain(exitCode);
      expect(output).not.toMatch(STACK_TRACE);
      expect(output).not.toContain('internal error');
      const file = (c.file ?? 'deploy/model.yaml').replace(/[./]/g, '\\$&');
      // "error: FILE:LINE[:COL]: …" in a report, or the file in a usage error
      const where = c.line === false ? file : `error: ${file}:\\d+(:\\d+)?: `;
      expect(output).toMatch(new RegExp(where));
      expect(output).toMatch(/fix: \S/);
    },
  );
});
