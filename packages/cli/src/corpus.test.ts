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

import { setupServer } from 'msw/node';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  cleanupTmpDirs,
  git,
  gitInit,
  makeRepo,
  mlflowHandlers,
  mlflowVersion,
  REGISTRY,
  runCli,
  STACK_TRACE,
  tmpDir,
  writeFiles,
} from './__testUtils__/helpers';
import {
  githubToken,
  privateKeyPem,
  randomSecret,
  sealedValue,
} from './__testUtils__/secretFixtures';

/*
 * A corpus of malformed and hostile manifests. Every one must end in exit 1
 * (a check failed) or 2 (usage / I/O), with a message that names the file,
 * the line and a fix — never exit 0, never a stack trace. Each case names
 * the rule it must trip: the exact messages of the manifest check's errors
 * (and no other check failing), or the usage error.
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

/** The manifest check's message for a value that must be a label value. */
const LABEL = (key: string) =>
  `${key} must be usable as a Kubernetes label value: 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
/** The message for a scalar YAML reads as another type than a string. */
const NOT_A_STRING = (key: string, source: string, read: string) =>
  `${key} must be a string, but YAML reads ${source} as the ${read}`;
const NOT_A_MAPPING = (what: string) =>
  `the file must be a mapping of keys (model_name:, model_version:, …), not ${what}`;
const NO_THRESHOLD =
  'gates.metrics.auc: a metric gate needs "min", "max" or both';
const EMPTY = 'file is empty';
const BINARY = 'file is binary (it contains a NUL byte), not YAML text';
const SYMLINK =
  'deploy/model.yaml is a symbolic link or is reached through one';

type Case = {
  /**
   * The errors the manifest check must report (after "FILE:LINE:COL: "):
   * each must appear and no other may; a string is the whole message.
   */
  trips?: Array<string | RegExp>;
  /** Or: the usage error (exit 2) it must end in, before its "(fix: …)". */
  usage?: string;
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
  'model_version is a number': {
    trips: [NOT_A_STRING('model_version', '12', 'number 12')],
    manifest: withVersion('12'),
  },
  'model_version is a float that loses a digit': {
    trips: [NOT_A_STRING('model_version', '1.10', 'number 1.1')],
    manifest: withVersion('1.10'),
  },
  'model_version is octal-looking': {
    trips: [NOT_A_STRING('model_version', '012', 'number 12')],
    manifest: withVersion('012'),
  },
  'model_version is a boolean': {
    trips: [NOT_A_STRING('model_version', 'true', 'boolean true')],
    manifest: withVersion('true'),
  },
  'model_version is empty': {
    trips: ['model_version must be a string, not empty (null)'],
    manifest: withVersion(''),
  },
  'model_version is a list': {
    trips: ['model_version must be a string, not a list'],
    manifest: withVersion('[12]'),
  },
  'model_version is a mapping': {
    trips: ['model_version must be a string, not a mapping'],
    manifest: withVersion('{ v: 12 }'),
  },
  'model_version has a space': {
    trips: [LABEL('model_version')],
    manifest: withVersion('"1 2"'),
  },
  'model_version is too long': {
    trips: [LABEL('model_version')],
    manifest: withVersion(`"${'1'.repeat(64)}"`),
  },
  'model_version has a path': {
    trips: [LABEL('model_version')],
    manifest: withVersion('"12/../13"'),
  },
  'model_version starts with a dash': {
    trips: [LABEL('model_version')],
    manifest: withVersion('"-12"'),
  },
  'model_version has a newline': {
    trips: [LABEL('model_version')],
    manifest: withVersion('"12\\nx"'),
  },
  'model_name is a number': {
    trips: [NOT_A_STRING('model_name', '123', 'number 123')],
    manifest: withName('123'),
  },
  'model_name is empty': {
    trips: [LABEL('model_name')],
    manifest: withName('""'),
  },
  'model_name has spaces': {
    trips: [LABEL('model_name')],
    manifest: withName('"fraud detector"'),
  },
  'model_name is not ASCII': {
    trips: [LABEL('model_name')],
    manifest: withName('frâud'),
  },
  'registry is a number': {
    trips: [NOT_A_STRING('registry', '5', 'number 5')],
    manifest: withExtra('registry: 5\n'),
  },
  'registry is empty': {
    trips: ['registry must not be empty'],
    manifest: withExtra('registry: ""\n'),
  },
  'serving is a string': {
    trips: ['serving must be a mapping, not a string'],
    manifest: withServing('kserve'),
  },
  'serving is a list': {
    trips: ['serving must be a mapping, not a list'],
    manifest: withServing('[kserve, 2]'),
  },
  'replicas is a string': {
    trips: ['serving.replicas must be a number, not a string'],
    manifest: withServing('{ runtime: kserve, replicas: "2" }'),
  },
  'replicas is negative': {
    trips: ['serving.replicas: replicas must not be negative'],
    manifest: withServing('{ runtime: kserve, replicas: -1 }'),
  },
  'replicas is fractional': {
    trips: ['serving.replicas must be a whole number, not the number 1.5'],
    manifest: withServing('{ runtime: kserve, replicas: 1.5 }'),
  },
  'replicas is huge': {
    trips: ['serving.replicas: replicas must be at most 1000'],
    manifest: withServing('{ runtime: kserve, replicas: 1e9 }'),
  },
  'runtime is missing': {
    trips: ['serving.runtime is missing'],
    manifest: withServing('{ replicas: 2 }'),
  },
  'runtime is not a name': {
    trips: ['serving.runtime: runtime must be a lowercase name such as kserve'],
    manifest: withServing('{ runtime: "K Serve", replicas: 2 }'),
  },
  'serving has an unknown key': {
    trips: ['unknown key "image" in serving'],
    manifest: withServing('{ runtime: kserve, replicas: 2, image: x }'),
  },
  'resources has a bad quantity': {
    trips: [
      'serving.resources.limits.memory: must be a Kubernetes quantity such as "500m", "2" or "4Gi"',
    ],
    manifest: withServing(
      '{ runtime: kserve, replicas: 2, resources: { limits: { memory: lots } } }',
    ),
  },
  'gates is a string': {
    trips: ['gates must be a mapping, not a string'],
    manifest: withExtra('gates: strict\n'),
  },
  'gates.metrics is empty': {
    trips: ['gates.metrics must gate at least one metric'],
    manifest: withExtra('gates: { metrics: {} }\n'),
  },
  'gates.metrics is a list': {
    trips: ['gates.metrics must be a mapping, not a list'],
    manifest: withExtra('gates: { metrics: [auc] }\n'),
  },
  'a gate has no threshold': {
    trips: [NO_THRESHOLD],
    manifest: withExtra('gates: { metrics: { auc: {} } }\n'),
  },
  'a gate has a typo': {
    trips: [NO_THRESHOLD, 'unknown key "mn" in gates.metrics.auc'],
    manifest: withExtra('gates:\n  metrics:\n    auc: { mn: 0.9 }\n'),
  },
  'a gate has min > max': {
    trips: [
      'gates.metrics.auc: min (0.9) is greater than max (0.1), so no value can pass',
    ],
    manifest: withExtra(
      'gates: { metrics: { auc: { min: 0.9, max: 0.1 } } }\n',
    ),
  },
  'a threshold is quoted': {
    trips: ['gates.metrics.auc.min must be a number, not a string'],
    manifest: withExtra('gates: { metrics: { auc: { min: "0.9" } } }\n'),
  },
  'a threshold is infinite': {
    trips: ['gates.metrics.auc.min must be a finite number, not .inf'],
    manifest: withExtra('gates: { metrics: { auc: { min: .inf } } }\n'),
  },
  'a threshold is NaN': {
    trips: ['gates.metrics.auc.max must be a finite number, not .nan'],
    manifest: withExtra('gates: { metrics: { auc: { max: .nan } } }\n'),
  },
  'a metric name is odd': {
    trips: [
      'the name "auc$(rm -rf /)" in gates.metrics is not allowed: a metric name has 1 to 250 letters, digits, spaces or "_ - . / :"',
    ],
    manifest: withExtra(
      'gates: { metrics: { "auc$(rm -rf /)": { min: 1 } } }\n',
    ),
  },
  'gates has an unknown key': {
    trips: ['unknown key "threshold" in gates'],
    manifest: withExtra(
      'gates: { metrics: { auc: { min: 1 } }, threshold: 3 }\n',
    ),
  },
  'a gate is a number': {
    trips: ['gates.metrics.auc must be a mapping, not the number 0.9'],
    manifest: withExtra('gates: { metrics: { auc: 0.9 } }\n'),
  },
  'integration is a string': {
    trips: ['checks.integration must be a list, not a string'],
    manifest: withExtra('checks: { integration: "make test" }\n'),
  },
  'an integration check is a number': {
    trips: [
      'checks.integration[0] must be a command string or a mapping { run, name?, timeout_seconds? }, not the number 3',
    ],
    manifest: withExtra('checks: { integration: [3] }\n'),
  },
  'an integration check is empty': {
    trips: ['checks.integration[0]: a command must not be empty'],
    manifest: withExtra('checks: { integration: [""] }\n'),
  },
  'an integration check has no run': {
    trips: ['checks.integration[0].run is missing'],
    manifest: withExtra('checks: { integration: [{ name: x }] }\n'),
  },
  'a check timeout is zero': {
    trips: ['checks.timeout_seconds: must be at least 1 second'],
    manifest: withExtra('checks: { timeout_seconds: 0 }\n'),
  },
  'a check timeout is a day': {
    trips: ['checks.timeout_seconds: must be at most 3600 seconds (one hour)'],
    manifest: withExtra('checks: { timeout_seconds: 86400 }\n'),
  },
  'checks has an unknown key': {
    trips: ['unknown key "lint" in checks'],
    manifest: withExtra('checks: { lint: [x] }\n'),
  },

  // missing fields and empty files
  'model_name is missing': {
    trips: ['model_name is missing'],
    manifest: OK.version + OK.serving,
  },
  'model_version is missing': {
    trips: ['model_version is missing'],
    manifest: OK.name + OK.serving,
  },
  'serving is missing': {
    trips: ['serving is missing'],
    manifest: OK.name + OK.version,
  },
  'the file is empty': { trips: [EMPTY], manifest: '' },
  'the file has only comments': {
    trips: [EMPTY],
    manifest: '# nothing here\n# at all\n',
  },
  'the document is null': { trips: [EMPTY], manifest: '~\n' },
  'the document is only a marker': { trips: [EMPTY], manifest: '---\n...\n' },

  // wrong shape
  'a top-level key has a typo': {
    trips: [
      'model_version is missing',
      'unknown key "model_vesion" at the top level',
    ],
    manifest: `${OK.name}model_vesion: "12"\n${OK.serving}`,
  },
  'the root is a list': {
    trips: [NOT_A_MAPPING('a list')],
    manifest: '- model_name: fraud-detector\n',
  },
  'the root is a string': {
    trips: [NOT_A_MAPPING('a string')],
    manifest: 'fraud-detector 12\n',
  },
  'the root is a number': {
    trips: [NOT_A_MAPPING('the number 12')],
    manifest: '12\n',
  },
  'the manifest is JSON of the wrong shape': {
    trips: [NOT_A_MAPPING('a list')],
    manifest: '["model_name", "x"]',
  },

  // YAML hazards
  'model_version is duplicated': {
    trips: ['duplicate key "model_version"'],
    manifest: `${BASE}model_version: "13"\n`,
  },
  'a gate is duplicated': {
    trips: ['duplicate key "auc"'],
    manifest: withExtra(
      'gates:\n  metrics:\n    auc: { min: 0.9 }\n    auc: { min: 0.1 }\n',
    ),
  },
  'billion laughs': {
    trips: [
      /^anchors \(&l\d+\) are not allowed$/,
      /^aliases \(\*l\d+\) are not allowed$/,
    ],
    manifest: `${BASE}${billionLaughs}\n`,
  },
  'an alias to nothing': {
    trips: ['aliases (*nothing) are not allowed'],
    manifest: withVersion('*nothing'),
  },
  'an anchor': {
    trips: ['anchors (&v) are not allowed'],
    manifest: withVersion('&v "12"'),
  },
  'an alias for the version': {
    trips: ['anchors (&v) are not allowed', 'aliases (*v) are not allowed'],
    manifest: `x: &v "12"\n${OK.name}model_version: *v\n${OK.serving}`,
  },
  'a merge key': {
    trips: ['unknown key "<<" at the top level'],
    manifest: withExtra('<<: { registry: mlflow }\n'),
  },
  'a binary tag': {
    trips: ['tags (!!binary) are not allowed'],
    manifest: withVersion('!!binary MTI='),
  },
  'a custom tag': {
    trips: ['Unresolved tag: !version; tags are not allowed'],
    manifest: withVersion('!version 12'),
  },
  'a str tag': {
    trips: ['tags (!!str) are not allowed'],
    manifest: withVersion('!!str 12'),
  },
  'two documents': {
    trips: ['file holds 2 YAML documents; a manifest is exactly one'],
    manifest: `${BASE}---\n${BASE}`,
  },
  'a tab indent': {
    trips: ['Tabs are not allowed as indentation'],
    manifest: `${OK.name}${OK.version}serving:\n\truntime: kserve\n`,
  },
  'an unterminated quote': {
    trips: ['Missing closing "quote'],
    manifest: withVersion('"12'),
  },
  'an unclosed flow mapping': {
    trips: [
      'Flow map in block collection must be sufficiently indented and end with a }',
    ],
    manifest: withServing('{ runtime: kserve, replicas: 2'),
  },
  'absurd nesting': {
    trips: ['the YAML nests too deeply to be read'],
    manifest: `${BASE}x: ${'['.repeat(20000)}${']'.repeat(20000)}\n`,
  },
  'trailing garbage after JSON': {
    trips: ['Unexpected flow-map-end token in YAML stream: "}"'],
    manifest: '{"model_name": "a"} }\n',
  },
  'a key longer than 1024 characters': {
    trips: [
      'The : indicator must be at most 1024 chars after the start of an implicit block mapping key',
    ],
    manifest: `${BASE}${'k'.repeat(1100)}: 1\n`,
  },
  'a complex key': {
    trips: ['keys must be plain names, not lists or mappings'],
    manifest: withExtra('? [a, b]\n: c\n'),
  },
  'a numeric key': {
    trips: ['key "123" is read as a number, not a name'],
    manifest: withExtra('123: x\n'),
  },
  'a null key': {
    trips: ['key "" is read as a null, not a name'],
    manifest: withExtra(': x\n'),
  },
  'a directive': {
    trips: ['Unknown directive %FOO'],
    manifest: `%YAML 1.1\n%FOO bar\n---\n${BASE}`,
  },

  // size, binary and encoding
  'a huge file': {
    trips: [/^deploy\/model\.yaml is \d+ bytes, more than the limit of 65536$/],
    manifest: `${BASE}# ${'x'.repeat(200 * 1024)}\n`,
  },
  'a huge single line': {
    trips: [/^deploy\/model\.yaml is \d+ bytes, more than the limit of 65536$/],
    manifest: `model_name: ${'a'.repeat(100 * 1024)}\n`,
  },
  'gzip bytes': {
    trips: [BINARY],
    manifest: bytes(0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00),
  },
  'a NUL in the middle': {
    trips: [BINARY],
    manifest: utf8(`${BASE}\u0000x: 1\n`),
  },
  'Latin-1 text': {
    trips: ['file is not valid UTF-8 (byte 0xe9 at offset 15)'],
    manifest: new Uint8Array([...utf8('model_name: caf'), 0xe9, 0x0a]),
  },
  'UTF-16 with a BOM': {
    trips: [
      'file is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8',
    ],
    manifest: new Uint8Array([0xff, 0xfe, ...Buffer.from(BASE, 'utf16le')]),
  },
  'a broken UTF-8 sequence': {
    trips: ['file is not valid UTF-8 (byte 0xc3 at offset 89)'],
    manifest: new Uint8Array([...utf8(BASE), 0xc3, 0x28, 0x0a]),
  },
  'an encoded surrogate': {
    trips: ['file is not valid UTF-8 (byte 0xed at offset 12)'],
    manifest: new Uint8Array([...utf8('model_name: '), 0xed, 0xa0, 0x80, 0x0a]),
  },
  'an overlong encoding': {
    trips: ['file is not valid UTF-8 (byte 0xc0 at offset 12)'],
    manifest: new Uint8Array([...utf8('model_name: '), 0xc0, 0xaf, 0x0a]),
  },
  'control characters': {
    trips: [LABEL('model_name')],
    manifest: `model_name: a\u0007b\n${OK.version}${OK.serving}`,
  },

  // path tricks
  'the manifest is a symlink to /etc/passwd': {
    trips: [SYMLINK],
    setup: root =>
      symlinkSync('/etc/passwd', path.join(root, 'deploy/model.yaml')),
  },
  'the manifest is a symlink inside the repo': {
    trips: [SYMLINK],
    setup: root => {
      writeFileSync(path.join(root, 'deploy/real.yaml'), BASE);
      symlinkSync('real.yaml', path.join(root, 'deploy/model.yaml'));
    },
  },
  'the deploy directory is a symlink to outside': {
    trips: [SYMLINK],
    setup: root => {
      const outside = tmpDir('ml-gitops-outside-');
      writeFileSync(path.join(outside, 'model.yaml'), BASE);
      symlinkSync(outside, path.join(root, 'deploy'));
    },
    noDeployDir: true,
  },
  'a dangling symlink': {
    trips: [SYMLINK],
    setup: root =>
      symlinkSync(
        '/nonexistent/model.yaml',
        path.join(root, 'deploy/model.yaml'),
      ),
  },
  'a symlink loop': {
    trips: [SYMLINK],
    setup: root =>
      symlinkSync('model.yaml', path.join(root, 'deploy/model.yaml')),
  },
  'a symlink to /dev/zero': {
    trips: [SYMLINK],
    setup: root =>
      symlinkSync('/dev/zero', path.join(root, 'deploy/model.yaml')),
  },
  'the manifest is a directory': {
    trips: ['deploy/model.yaml is not a regular file (it is a directory)'],
    setup: root => mkdirSync(path.join(root, 'deploy/model.yaml')),
  },
  'the manifest is a FIFO': {
    trips: ['deploy/model.yaml is not a regular file (it is a special file)'],
    setup: root =>
      execFileSync('mkfifo', [path.join(root, 'deploy/model.yaml')]),
  },
  'the manifest is missing': {
    trips: ['deploy/model.yaml does not exist'],
    setup: () => undefined,
  },
  'the manifest path leaves the repo': {
    usage: '--manifest: ../model.yaml points outside the repository',
    manifest: BASE,
    args: ['--manifest', '../model.yaml'],
    file: '../model.yaml',
    line: false,
  },
  'the manifest path is absolute': {
    usage:
      '--manifest: /etc/passwd is an absolute path; manifests must be inside the repository',
    manifest: BASE,
    args: ['--manifest', '/etc/passwd'],
    file: '/etc/passwd',
    line: false,
  },
  'the manifest path climbs out through deploy': {
    usage:
      '--manifest: deploy/../../x/model.yaml points outside the repository',
    manifest: BASE,
    args: ['--manifest', 'deploy/../../x/model.yaml'],
    file: 'deploy/../../x/model.yaml',
    line: false,
  },
  'the manifest path is the root itself': {
    usage: '--manifest: . names the repository root, not a file',
    manifest: BASE,
    args: ['--manifest', '.'],
    file: '.',
    line: false,
  },
};

/** What a case must end in: its usage error, or its manifest errors. */
function expected(c: Case) {
  return c.usage
    ? { exitCode: 2, usage: c.usage }
    : {
        exitCode: 1,
        failing: ['FAIL Manifest schema'],
        tripped: c.trips!.map(String).sort(),
      };
}

/** The same, read from the CLI's output. */
function whatItTripped(c: Case, exitCode: number, output: string) {
  if (c.usage) {
    const usage = /^ml-gitops: (.*) \(fix: /m.exec(output)?.[1];
    return { exitCode, usage };
  }
  // The checks that did not pass or skip: "FAIL     Manifest schema   …".
  const failing = (output.match(/^(FAIL|ERROR|NOT RUN) .*$/gm) ?? []).map(
    line =>
      line
        .split(/\s{2,}/)
        .slice(0, 2)
        .join(' '),
  );
  // Each error message, as the expected rule it matches (or itself if none).
  const messages = [
    ...output.matchAll(/^\s*error: \S+?:\d+(?::\d+)?: (.*)$/gm),
  ].map(m => m[1]);
  const tripped = new Set(
    messages.map(message => {
      const rule = c.trips!.find(t =>
        typeof t === 'string' ? t === message : t.test(message),
      );
      return rule === undefined ? message : String(rule);
    }),
  );
  return { exitCode, failing, tripped: [...tripped].sort() };
}

afterEach(cleanupTmpDirs);

describe('hostile manifest corpus', () => {
  it('has at least 60 cases', () => {
    expect(Object.keys(CORPUS).length).toBeGreaterThanOrEqual(60);
  });

  it.each(Object.entries(CORPUS))(
    '%s: trips its rule, with file, line and fix, no stack trace',
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

      expect(output).not.toMatch(STACK_TRACE);
      expect(output).not.toContain('internal error');
      const file = (c.file ?? 'deploy/model.yaml').replace(/[./]/g, '\\$&');
      // "error: FILE:LINE[:COL]: …" in a report, or the file in a usage error
      const where = c.line === false ? file : `error: ${file}:\\d+(:\\d+)?: `;
      expect(output).toMatch(new RegExp(where));
      expect(output).toMatch(/fix: \S/);

      expect(whatItTripped(c, exitCode, output)).toEqual(expected(c));
    },
  );

  it('names the rule of every case', () => {
    for (const [name, c] of Object.entries(CORPUS)) {
      expect([name, Boolean(c.trips?.length) !== Boolean(c.usage)]).toEqual([
        name,
        true,
      ]);
    }
  });
});

/*
 * A corpus of pull requests against a branch (`--base production`): the
 * freeze of the base branch and the registry's rejection decide. Each case
 * is a real Git repository: the base branch's history, then the pull
 * request's manifest checked out on its own branch.
 */

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const manifestOf = (version: string, freeze = '') =>
  `model_name: fraud-detector\nmodel_version: "${version}"\nserving: { runtime: kserve, replicas: 2 }\n${freeze}`;
const FROZEN =
  'freeze:\n  reason: incident 4711\n  until: 2999-12-24T00:00:00Z\n';
const FROZEN_UNTIL_UNFROZEN = 'freeze:\n  reason: incident 4711\n';
const THAWED =
  'freeze:\n  reason: old incident\n  until: 2000-01-01T00:00:00Z\n';
const FROZEN_MESSAGE = (change: string, labels: string) =>
  `production is frozen until 2999-12-24T00:00:00Z: "incident 4711": model_version must not change (${change}) while it is frozen; only a rollback (a pull request labelled ml-gitops/rollback) may ${labels}`;

type PullRequestCase = {
  /** Versions the base branch declared before its head, oldest first. */
  history?: string[];
  base: string;
  head: string;
  /** --labels */
  labels?: string;
  /** The GitHub event payload at GITHUB_EVENT_PATH (a string is written as is). */
  event?: unknown;
  /** MLflow's versions; without, the registry is skipped. */
  registry?: Record<string, Record<string, unknown>>;
  exitCode: 0 | 1 | 2;
  /** The freeze check's line: PASS or FAIL and its summary. */
  freeze?: string;
  /** Error messages the output must hold. */
  errors?: string[];
};

const PULL_REQUESTS: Record<string, PullRequestCase> = {
  'a frozen environment refuses a version change': {
    base: manifestOf('12', FROZEN),
    head: manifestOf('13', FROZEN),
    exitCode: 1,
    freeze:
      'FAIL Environment freeze production is frozen until 2999-12-24T00:00:00Z: "incident 4711"; this pull request changes model_version 12 → 13',
    errors: [
      FROZEN_MESSAGE(
        '12 → 13',
        '(no labels were read: pass --labels, or run in GitHub Actions or a GitLab merge request pipeline)',
      ),
    ],
  },
  'a frozen environment refuses a version change labelled otherwise': {
    base: manifestOf('12', FROZEN),
    head: manifestOf('13', FROZEN),
    event: { pull_request: { labels: [{ name: 'ml-gitops/deploy' }] } },
    exitCode: 1,
    errors: [
      FROZEN_MESSAGE(
        '12 → 13',
        '(labels from the GitHub event: ml-gitops/deploy)',
      ),
    ],
  },
  'a freeze without until holds until removed': {
    base: manifestOf('12', FROZEN_UNTIL_UNFROZEN),
    head: manifestOf('13', FROZEN_UNTIL_UNFROZEN),
    labels: '',
    exitCode: 1,
    errors: [
      'production is frozen until a pull request removes it: "incident 4711": model_version must not change (12 → 13) while it is frozen; only a rollback (a pull request labelled ml-gitops/rollback) may (labels from --labels: none)',
    ],
  },
  'a frozen environment passes a rollback labelled on the command line': {
    history: ['11'],
    base: manifestOf('12', FROZEN),
    head: manifestOf('11', FROZEN),
    labels: 'ml-gitops/rollback',
    exitCode: 0,
    freeze:
      'PASS Environment freeze production is frozen until 2999-12-24T00:00:00Z: "incident 4711"; a rollback (labelled ml-gitops/rollback) to 11, which production declared before, passes',
  },
  'a frozen environment passes a rollback labelled in the GitHub event': {
    history: ['10', '11'],
    base: manifestOf('12', FROZEN),
    head: manifestOf('10', FROZEN),
    event: {
      action: 'labeled',
      pull_request: {
        number: 7,
        labels: [{ name: 'ml-gitops/rollback' }, { name: 'incident' }],
      },
    },
    exitCode: 0,
  },
  'a rollback label does not let a new version in': {
    history: ['11'],
    base: manifestOf('12', FROZEN),
    head: manifestOf('14', FROZEN),
    labels: 'ml-gitops/rollback',
    exitCode: 1,
    errors: [
      'production is frozen until 2999-12-24T00:00:00Z: "incident 4711": this pull request is labelled ml-gitops/rollback, but version 14 was never model_version on production (in its last 500 manifest changes), so it is not a rollback',
    ],
  },
  'a freeze whose until has passed holds no more': {
    base: manifestOf('12', THAWED),
    head: manifestOf('13', THAWED),
    exitCode: 0,
    freeze:
      'PASS Environment freeze production is not frozen (its freeze ended at 2000-01-01T00:00:00Z)',
  },
  'a pull request that only adds a freeze passes': {
    base: manifestOf('12'),
    head: manifestOf('12', FROZEN),
    exitCode: 0,
    freeze:
      'PASS Environment freeze this pull request freezes production: frozen until 2999-12-24T00:00:00Z: "incident 4711"',
  },
  'a pull request that only removes a freeze passes': {
    base: manifestOf('12', FROZEN),
    head: manifestOf('12'),
    exitCode: 0,
    freeze:
      'PASS Environment freeze production is frozen until 2999-12-24T00:00:00Z: "incident 4711"; this pull request does not change model_version and lifts the freeze',
  },
  'a freeze added together with a version change is refused': {
    base: manifestOf('12'),
    head: manifestOf('13', FROZEN),
    labels: 'ml-gitops/rollback',
    exitCode: 1,
    errors: [
      'this pull request adds a freeze (frozen until 2999-12-24T00:00:00Z: "incident 4711") and changes model_version (12 → 13) in the same pull request',
    ],
  },
  'a freeze removed together with a version change is refused': {
    base: manifestOf('12', FROZEN_UNTIL_UNFROZEN),
    head: manifestOf('13'),
    exitCode: 1,
  },
  'a rejected version is refused, quoting the reason': {
    base: manifestOf('12'),
    head: manifestOf('13'),
    registry: {
      '13': mlflowVersion('13', {
        run_id: '',
        tags: [
          { key: 'validation_status', value: 'rejected' },
          { key: 'ml-gitops.rejected_reason', value: 'p95 latency doubled' },
          { key: 'ml-gitops.rejected_by', value: 'user:default/alice' },
          { key: 'ml-gitops.rejected_at', value: '2026-12-06T07:00:00Z' },
        ],
      }),
    },
    exitCode: 1,
    errors: [
      'fraud-detector version 13 is rejected: "p95 latency doubled" (by user:default/alice, 2026-12-06T07:00:00Z); un-reject it with ml-gitops:version:unreject (or delete its validation_status tag in the registry) before deploying it',
    ],
  },
  'an unreadable GitHub event is a usage error': {
    base: manifestOf('12', FROZEN),
    head: manifestOf('13', FROZEN),
    event: '{ not json',
    exitCode: 2,
  },
};

describe('pull request corpus: freeze and rejection', () => {
  it.each(Object.entries(PULL_REQUESTS))('%s', async (_name, c) => {
    const root = makeRepo({
      'deploy/model.yaml': manifestOf(c.history?.[0] ?? '1'),
    });
    gitInit(root, 'production');
    for (const version of c.history?.slice(1) ?? []) {
      writeFiles(root, { 'deploy/model.yaml': manifestOf(version) });
      git(root, 'commit', '-q', '-am', `deploy ${version}`);
    }
    writeFiles(root, { 'deploy/model.yaml': c.base });
    git(root, 'commit', '-q', '-am', 'the base');
    git(root, 'checkout', '-q', '-b', 'pull-request');
    writeFiles(root, { 'deploy/model.yaml': c.head });
    git(root, 'commit', '-q', '-am', 'the pull request');

    const env: NodeJS.ProcessEnv = {};
    if (c.event !== undefined) {
      const eventFile = path.join(tmpDir(), 'event.json');
      writeFileSync(
        eventFile,
        typeof c.event === 'string' ? c.event : JSON.stringify(c.event),
      );
      env.GITHUB_EVENT_PATH = eventFile;
    }
    if (c.registry) {
      server.use(...mlflowHandlers({ versions: c.registry }));
    }
    const { exitCode, output } = await runCli(
      [
        'validate',
        root,
        '--base',
        'production',
        '--skip-integration',
        ...(c.registry ? ['--registry-url', REGISTRY] : ['--skip-registry']),
        ...(c.labels !== undefined ? ['--labels', c.labels] : []),
      ],
      { env },
    );
    expect(output).not.toMatch(STACK_TRACE);
    const freezeLine = output
      .split('\n')
      .find(line => /^(PASS|FAIL|SKIP)\s+Environment freeze/.test(line))
      ?.split(/\s{2,}/)
      .join(' ');
    expect({ exitCode, ...(c.freeze ? { freezeLine } : {}) }).toEqual({
      exitCode: c.exitCode,
      ...(c.freeze ? { freezeLine: c.freeze } : {}),
    });
    for (const message of c.errors ?? []) {
      expect(output).toContain(`: ${message}`);
    }
  });
});

/*
 * A corpus of pull requests that add a secret (issue #13). Each case is a
 * real Git repository: a clean base branch `dev`, then the pull request's
 * commits on their own branch (a file set to null is deleted), checked with
 * `--base dev`. The finding must name the file, the line and the kind, and
 * the secret itself must never be printed.
 */

const hfToken = () =>
  ['hf', '_', 'QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi'].join('');
const hfOrgToken = () =>
  ['api', '_org_', 'ZxCvBnMaSdFgHjKlQwErTyUiOpZxCvBnMa'].join('');
const gitlabToken = () => ['gl', 'pat-', 'x2Ht8sQv3Lk9Wm4Pq7Rz'].join('');
const gitlabDeployToken = () => ['gl', 'dt-', 'Rz7qP4mW9kL3vQs8tH2x'].join('');
const databricksToken = () =>
  ['da', 'pi', '0f3e9a1c7b2d4e6f8a0b1c2d3e4f5a6b'].join('');
const jwt = () =>
  [
    Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url'),
    Buffer.from(
      '{"sub":"svc-mlflow","iat":1764240000,"scope":"registry:read"}',
    ).toString('base64url'),
    'Kq3v8LmP1xR7tW2yZ9bN4cD6fG0hJ5sA_-uE',
  ].join('.');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const utf16le = (text: string, bom: boolean) =>
  new Uint8Array([
    ...(bom ? [0xff, 0xfe] : []),
    ...Buffer.from(text, 'utf16le'),
  ]);

const podWithEnv = (kind: string, env: string) =>
  `apiVersion: apps/v1\nkind: ${kind}\nmetadata: { name: server }\nspec:\n  template:\n    spec:\n      containers:\n        - name: server\n          image: ghcr.io/acme/server:1\n          env:\n${env}`;

const sealedSecret = (spec: string) =>
  `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: ml-serving\nspec:\n${spec}`;

type SecretCase = {
  /** The pull request's commits, oldest first: path → content, null deletes. */
  commits: Array<{
    message?: string;
    files: Record<string, string | Uint8Array | null>;
  }>;
  exitCode: 0 | 1;
  /** The finding's line in the text report (after "error: "). */
  finding?: RegExp;
  /** Values that must not appear in the output. */
  secrets?: string[];
};

const SECRET_PULL_REQUESTS: Record<string, SecretCase> = {
  'a password in a Deployment container env': {
    commits: [
      {
        files: {
          'deploy/k8s/deployment.yaml': podWithEnv(
            'Deployment',
            '            - name: DB_PASSWORD\n              value: "Tr0ub4dor-horse-7"\n',
          ),
        },
      },
    ],
    exitCode: 1,
    finding:
      /^deploy\/k8s\/deployment\.yaml:12:22: the container environment variable DB_PASSWORD holds a plaintext value \(masked\); its name says it is a secret$/m,
    secrets: ['Tr0ub4dor-horse-7'],
  },
  'an API key in an InferenceService model env': {
    commits: [
      {
        files: {
          'deploy/k8s/isvc.yaml': `apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: { name: fraud-detector }\nspec:\n  predictor:\n    model:\n      modelFormat: { name: mlflow }\n      env:\n        - { name: OPENAI_API_KEY, value: ${randomSecret()} }\n`,
        },
      },
    ],
    exitCode: 1,
    finding:
      /^deploy\/k8s\/isvc\.yaml:9:\d+: the container environment variable OPENAI_API_KEY holds a plaintext value \(masked\); its name says it is a secret$/m,
    secrets: [randomSecret()],
  },
  'a JWT in a Pod env under a harmless name': {
    commits: [
      {
        files: {
          'deploy/k8s/pod.yaml': `apiVersion: v1\nkind: Pod\nmetadata: { name: smoke }\nspec:\n  initContainers:\n    - name: wait\n      image: busybox\n      env:\n        - name: UPSTREAM_AUTH_HEADER\n          value: ${jwt()}\n`,
        },
      },
    ],
    exitCode: 1,
    finding:
      /^deploy\/k8s\/pod\.yaml:10:18: the container environment variable UPSTREAM_AUTH_HEADER holds a JSON Web Token in plain text \(value masked\)$/m,
    secrets: [jwt()],
  },
  'a token in the env of a Helm template that is not YAML': {
    commits: [
      {
        files: {
          'deploy/chart/templates/deployment.yaml': `{{- if .Values.enabled }}\n${podWithEnv(
            'Deployment',
            '            - name: MLFLOW_TRACKING_TOKEN\n              value: "mlflow-tracking-7d1e"\n',
          )}{{- end }}\n`,
        },
      },
    ],
    exitCode: 1,
    finding:
      /^deploy\/chart\/templates\/deployment\.yaml:13:15: the container environment variable MLFLOW_TRACKING_TOKEN holds a plaintext value \(masked\); its name says it is a secret$/m,
    secrets: ['mlflow-tracking-7d1e'],
  },
  'a SealedSecret whose encryptedData is only base64': {
    commits: [
      {
        files: {
          'secrets/db.sealed.yaml': sealedSecret(
            `  encryptedData:\n    password: ${b64('Tr0ub4dor-horse-7')}\n`,
          ),
        },
      },
    ],
    exitCode: 1,
    finding:
      /^secrets\/db\.sealed\.yaml:8:15: spec\.encryptedData\.password of SealedSecret db does not look like Sealed Secrets ciphertext: it is 24 characters long; a sealed value is at least 156 \(an RSA-encrypted session key and an AES-GCM tag\)$/m,
    secrets: [b64('Tr0ub4dor-horse-7')],
  },
  'a SealedSecret whose long encryptedData decodes to text': {
    commits: [
      {
        files: {
          'secrets/db.sealed.yaml': sealedSecret(
            `  encryptedData:\n    config: ${b64(
              `[client]\nuser = mlflow\n${'# the database the registry writes to\n'.repeat(
                5,
              )}`,
            )}\n`,
          ),
        },
      },
    ],
    exitCode: 1,
    finding:
      /^secrets\/db\.sealed\.yaml:8:13: spec\.encryptedData\.config of SealedSecret db does not look like Sealed Secrets ciphertext: it decodes to readable text: it is encoded, not encrypted$/m,
  },
  'a SealedSecret whose template stringData holds the password': {
    commits: [
      {
        files: {
          'secrets/db.sealed.yaml': sealedSecret(
            `  encryptedData:\n    username: ${sealedValue()}\n  template:\n    metadata: { name: db }\n    stringData:\n      password: Tr0ub4dor-horse-7\n`,
          ),
        },
      },
    ],
    exitCode: 1,
    finding:
      /^secrets\/db\.sealed\.yaml:12:17: spec\.template\.stringData\.password of SealedSecret db holds a plaintext value under "password" \(value masked\); the controller copies spec\.template into the Secret unencrypted$/m,
    secrets: ['Tr0ub4dor-horse-7'],
  },
  'a Hugging Face token base64-encoded in a SealedSecret template': {
    commits: [
      {
        files: {
          'secrets/hub.sealed.yaml': sealedSecret(
            `  encryptedData:\n    unused: ${sealedValue()}\n  template:\n    data:\n      hub: ${b64(
              hfToken(),
            )}\n`,
          ),
        },
      },
    ],
    exitCode: 1,
    finding:
      /^secrets\/hub\.sealed\.yaml:11:12: spec\.template\.data\.hub of SealedSecret db holds a Hugging Face access token \(base64-encoded\) \(value masked\); the controller copies spec\.template into the Secret unencrypted$/m,
    secrets: [hfToken(), b64(hfToken())],
  },
  'a JWT in a smoke test script': {
    commits: [
      {
        files: {
          'scripts/smoke-test.sh': `#!/bin/sh\ncurl -fsS -H "Authorization: Bearer ${jwt()}" "$ML_GITOPS_REGISTRY_URL/health"\n`,
        },
      },
    ],
    exitCode: 1,
    finding:
      /^scripts\/smoke-test\.sh:2:37: found a JSON Web Token \(value masked\)$/m,
    secrets: [jwt()],
  },
  'a base64-encoded private key in Helm values': {
    commits: [
      {
        files: {
          'deploy/chart/values.yaml': `tls:\n  enabled: true\n  keyPem: ${b64(
            privateKeyPem(),
          )}\n`,
        },
      },
    ],
    exitCode: 1,
    finding:
      /^deploy\/chart\/values\.yaml:3:11: found a private key \(base64-encoded\) \(value masked\)$/m,
  },
  'a Hugging Face organization token in an env file': {
    commits: [{ files: { 'config/hub.env': `HUB=${hfOrgToken()}\n` } }],
    exitCode: 1,
    finding:
      /^config\/hub\.env:1:5: found a Hugging Face organization API token \(value masked\)$/m,
    secrets: [hfOrgToken()],
  },
  'a GitLab deploy token in a script': {
    commits: [
      {
        files: {
          'scripts/fetch-chart.sh': `git clone https://gitlab+deploy-token:${gitlabDeployToken()}@gitlab.example.com/acme/charts.git\n`,
        },
      },
    ],
    exitCode: 1,
    finding: /^scripts\/fetch-chart\.sh:1:\d+: .*\(value masked\)|\*{8}/m,
    secrets: [gitlabDeployToken()],
  },
  'a GitLab token base64-encoded in a ConfigMap': {
    commits: [
      {
        files: {
          'deploy/k8s/netrc.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: netrc }\nbinaryData:\n  netrc: ${b64(
            `machine gitlab.example.com login ci password ${gitlabToken()}\n`,
          )}\n`,
        },
      },
    ],
    exitCode: 1,
    finding:
      /^deploy\/k8s\/netrc\.yaml:5:10: found a GitLab personal, project or group access token \(base64-encoded\) \(value masked\)$/m,
    secrets: [gitlabToken()],
  },
  'a Databricks token in a UTF-16 env file': {
    commits: [
      {
        files: {
          'config/databricks.env': utf16le(
            `# saved by a Windows editor\r\nDATABRICKS_HOST=https://adb-1.azuredatabricks.net\r\nDATABRICKS_TOKEN=${databricksToken()}\r\n`,
            true,
          ),
        },
      },
    ],
    exitCode: 1,
    finding: /^config\/databricks\.env:3:18: found Databricks .*$/m,
    secrets: [databricksToken()],
  },
  'a JWT in a UTF-16 file without a byte order mark': {
    commits: [
      {
        files: {
          'config/registry.yaml': utf16le(
            `registry:\n  url: https://mlflow.example.com\n  header: "Bearer ${jwt()}"\n`,
            false,
          ),
        },
      },
    ],
    exitCode: 1,
    finding:
      /^config\/registry\.yaml:3:19: found a JSON Web Token \(value masked\)$/m,
    secrets: [jwt()],
  },
  'a token added in one commit and removed in the next': {
    commits: [
      {
        message: 'add a smoke test',
        files: {
          'scripts/smoke.sh': `#!/bin/sh\ncurl -H "Authorization: token ${githubToken()}" https://api.github.com/user\n`,
        },
      },
      {
        message: 'read the token from the environment',
        files: {
          'scripts/smoke.sh':
            '#!/bin/sh\ncurl -H "Authorization: token $GITHUB_TOKEN" https://api.github.com/user\n',
        },
      },
    ],
    exitCode: 1,
    finding:
      /^scripts\/smoke\.sh:2:\d+: found GitHub Token\(\*+\): \*+; added in commit [0-9a-f]{12} \("add a smoke test"\) of this pull request; removing it in a later commit does not take it out of the Git history$/m,
    secrets: [githubToken()],
  },
  'a container password added and then replaced by a secretKeyRef': {
    commits: [
      {
        message: 'wire the database',
        files: {
          'deploy/k8s/deployment.yaml': podWithEnv(
            'Deployment',
            '            - name: DB_PASSWORD\n              value: "Tr0ub4dor-horse-7"\n',
          ),
        },
      },
      {
        message: 'use the sealed secret',
        files: {
          'deploy/k8s/deployment.yaml': podWithEnv(
            'Deployment',
            '            - name: DB_PASSWORD\n              valueFrom: { secretKeyRef: { name: db, key: password } }\n',
          ),
        },
      },
    ],
    exitCode: 1,
    finding:
      /^deploy\/k8s\/deployment\.yaml:12:22: the container environment variable DB_PASSWORD holds a plaintext value \(masked\); its name says it is a secret; added in commit [0-9a-f]{12} \("wire the database"\)/m,
    secrets: ['Tr0ub4dor-horse-7'],
  },
  'a key store added and deleted again': {
    commits: [
      {
        message: 'client certificate',
        files: { 'certs/client.p12': new Uint8Array([0x30, 0x82, 0, 0, 1, 2]) },
      },
      { message: 'oops', files: { 'certs/client.p12': null } },
    ],
    exitCode: 1,
    finding:
      /^certs\/client\.p12:1: certs\/client\.p12 is a binary key store or encrypted key file, added in commit [0-9a-f]{12} \("client certificate"\)/m,
  },

  // what must pass
  'a real SealedSecret with a template and env from a secretKeyRef pass': {
    commits: [
      {
        files: {
          'secrets/db.sealed.yaml': sealedSecret(
            `  encryptedData:\n    password: ${sealedValue()}\n  template:\n    metadata: { name: db }\n    data:\n      config.ini: |\n        [db]\n        user = mlflow\n        password = {{ index . "password" }}\n`,
          ),
          'deploy/k8s/deployment.yaml': podWithEnv(
            'Deployment',
            '            - name: DB_PASSWORD\n              valueFrom: { secretKeyRef: { name: db, key: password } }\n            - name: HF_TOKEN_PATH\n              value: /var/run/secrets/hf/token\n            - name: TOKENIZERS_PARALLELISM\n              value: "false"\n            - name: MAX_NEW_TOKENS\n              value: "1024"\n            - name: API_KEY\n              value: "$(OTHER_KEY)"\n',
          ),
        },
      },
    ],
    exitCode: 0,
  },
  'documentation that names a private key header passes': {
    commits: [
      {
        files: {
          'docs/tls.md':
            'Keys start with `-----BEGIN PRIVATE KEY-----`; never commit one.\nA JWT looks like `header.payload.signature`.\n',
        },
      },
    ],
    exitCode: 0,
  },
};

/** The findings a case expects: one matching its pattern, or none. */
function findingsLike(finding: RegExp | undefined) {
  return finding
    ? expect.arrayContaining([expect.stringMatching(finding)])
    : [];
}

describe('pull request corpus: secrets', () => {
  it.each(Object.entries(SECRET_PULL_REQUESTS))('%s', async (_name, c) => {
    const root = makeRepo({
      'deploy/model.yaml': manifestOf('12'),
      'README.md': '# fraud-detector config repo\n',
    });
    gitInit(root, 'dev');
    git(root, 'checkout', '-q', '-b', 'pull-request');
    for (const commit of c.commits) {
      for (const [file, content] of Object.entries(commit.files)) {
        if (content === null) {
          git(root, 'rm', '-q', file);
        } else {
          writeFiles(root, { [file]: content });
        }
      }
      git(root, 'add', '-A');
      git(root, 'commit', '-q', '-m', commit.message ?? 'the pull request');
    }

    const { exitCode, output } = await runCli([
      'validate',
      root,
      '--base',
      'dev',
      '--skip-registry',
      '--skip-integration',
    ]);
    expect(output).not.toMatch(STACK_TRACE);
    const findings = [...output.matchAll(/^\s*error: (.*)$/gm)].map(m => m[1]);
    expect({ exitCode, findings }).toEqual({
      exitCode: c.exitCode,
      findings: findingsLike(c.finding),
    });
    for (const secret of c.secrets ?? []) {
      expect(output).not.toContain(secret);
    }
  });
});
