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
  componentEntityV1alpha1Validator,
  DefaultNamespaceEntityPolicy,
  Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
} from '@backstage/catalog-model';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderGithubModule from '@backstage/plugin-scaffolder-backend-module-github';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';

/*
 * Runs the real template through the scaffolder's dry run: parameter
 * validation, catalog:fetch of the picked model, the real fetch:template over
 * the skeleton; publish:github and catalog:register are skipped as in every
 * dry run. Then checks the tree it renders.
 */

const TEMPLATES = path.resolve(__dirname, '../../../templates');
const TEMPLATE_FILE = 'ml-gitops-model-code-repo.yaml';
const SKELETON = 'skeletons/model-code-repo';
const GITHUB_TOKEN = 'ghp_modelcoderepotesttoken0000000000000';

const MODEL: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'fraud-detector',
    namespace: 'default',
    annotations: {
      'ml-gitops/model': 'fraud-detector',
      'ml-gitops/config-repo': 'https://github.com/acme/fraud-detector-config',
    },
  },
  spec: {
    type: 'ml-model',
    lifecycle: 'production',
    owner: 'group:default/fraud-ml',
    system: 'ml-serving',
  },
};

const MODEL_WITHOUT_SYSTEM: Entity = {
  ...MODEL,
  metadata: {
    ...MODEL.metadata,
    name: 'churn-predictor',
    annotations: {
      'ml-gitops/model': 'churn-predictor',
      'ml-gitops/config-repo': 'https://github.com/acme/churn-predictor-config',
    },
  },
  spec: { type: 'ml-model', lifecycle: 'production', owner: 'growth-ml' },
};

const VALUES = {
  modelEntityRef: 'component:default/fraud-detector',
  name: 'fraud-detector-training',
  description: 'Trains "the" fraud detector: a test of quoting',
  owner: 'group:default/fraud-ml',
  repoUrl: 'github.com?owner=acme&repo=fraud-detector-training',
  visibility: 'private',
};

const EXPECTED_FILES = [
  '.github/workflows/train.yaml',
  '.gitignore',
  'README.md',
  'catalog-info.yaml',
  'data/dataset.csv',
  'data/make_dataset.py',
  'pyproject.toml',
  'requirements.txt',
  'tests/test_train.py',
  'train.py',
];

type DryRunResponse = {
  log: { body: { message: string; stepId?: string; status?: string } }[];
  directoryContents: { path: string; base64Content: string }[];
  output: {
    links?: { title: string; url?: string; entityRef?: string }[];
    text?: { title: string; content: string }[];
  };
  steps: { id: string; action: string }[];
};

function skeletonFiles(dir = path.join(TEMPLATES, SKELETON)): {
  path: string;
  base64Content: string;
}[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return entry.name === '__pycache__' ? [] : skeletonFiles(full);
    }
    return [
      {
        path: path.relative(TEMPLATES, full),
        base64Content: fs.readFileSync(full).toString('base64'),
      },
    ];
  });
}

describe('ml-gitops-model-code-repo template', () => {
  const template = yaml.parse(
    fs.readFileSync(path.join(TEMPLATES, TEMPLATE_FILE), 'utf8'),
  );
  let baseUrl: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderGithubModule,
        catalogServiceMock.factory({
          entities: [MODEL, MODEL_WITHOUT_SYSTEM],
        }),
        mockServices.rootConfig.factory({
          data: {
            integrations: {
              github: [{ host: 'github.com', token: GITHUB_TOKEN }],
            },
          },
        }),
      ],
    });
    baseUrl = `http://localhost:${backend.server.port()}/api/scaffolder`;
    stop = () => backend.stop();
  });

  afterAll(async () => {
    await stop?.();
  });

  async function dryRun(values: Record<string, unknown>) {
    const response = await fetch(`${baseUrl}/v2/dry-run`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: mockCredentials.user.header(),
      },
      body: JSON.stringify({
        template,
        values,
        directoryContents: skeletonFiles(),
      }),
    });
    return { status: response.status, body: await response.json() };
  }

  /** Renders the template and writes the generated tree to a temp dir. */
  async function render(values: Record<string, unknown> = VALUES) {
    const { status, body } = await dryRun(values);
    expect(status).toBe(200);
    const result = body as DryRunResponse;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-code-repo-'));
    const files = new Map<string, string>();
    for (const file of result.directoryContents) {
      const content = Buffer.from(file.base64Content, 'base64');
      fs.mkdirSync(path.dirname(path.join(dir, file.path)), {
        recursive: true,
      });
      fs.writeFileSync(path.join(dir, file.path), content);
      files.set(file.path, content.toString('utf8'));
    }
    return { result, dir, files };
  }

  let rendered: Awaited<ReturnType<typeof render>>;
  beforeAll(async () => {
    rendered = await render();
  }, 60_000);
  afterAll(() => {
    if (rendered) fs.rmSync(rendered.dir, { recursive: true, force: true });
  });

  it('runs catalog:fetch, fetch:template, publish:github, catalog:register in order', () => {
    expect(rendered.result.steps.map(s => [s.id, s.action])).toEqual([
      ['model', 'catalog:fetch'],
      ['fetch', 'fetch:template'],
      ['publish', 'publish:github'],
      ['register', 'catalog:register'],
    ]);
    const failed = rendered.result.log.filter(l => l.body.status === 'failed');
    expect(failed).toEqual([]);
  });

  it('links to the repository, the new component and the model', () => {
    const links = rendered.result.output.links ?? [];
    expect(links.map(l => l.title)).toEqual([
      'Repository',
      'Open in catalog',
      'Model',
    ]);
    expect(links[2].entityRef).toBe('component:default/fraud-detector');
    expect(rendered.result.output.text?.[0].content).toContain(
      'new version of fraud-detector',
    );
  });

  it('picks only ML GitOps models and validates its parameters', async () => {
    const picker = template.spec.parameters[0].properties.modelEntityRef;
    expect(picker['ui:field']).toBe('EntityPicker');
    expect(picker['ui:options'].catalogFilter).toEqual([
      {
        kind: 'Component',
        'metadata.annotations.ml-gitops/model': { exists: true },
      },
    ]);
    const bad = await dryRun({ ...VALUES, name: 'Fraud Detector' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('pattern');
    const missing = await dryRun({ ...VALUES, modelEntityRef: undefined });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('modelEntityRef');
  });

  it('generates exactly the skeleton, with nothing left unrendered', () => {
    expect([...rendered.files.keys()].sort()).toEqual(EXPECTED_FILES);
    for (const [file, text] of rendered.files) {
      expect([file, /\{%|%\}|\{#/.test(text)]).toEqual([file, false]);
      expect([file, text.includes('values.')]).toEqual([file, false]);
    }
    // Only the workflow keeps `${{ }}`: GitHub Actions expressions.
    const withExpressions = [...rendered.files]
      .filter(([, text]) => text.includes('${{'))
      .map(([file]) => file);
    expect(withExpressions).toEqual(['.github/workflows/train.yaml']);
    expect(rendered.files.get('train.py')).toContain(
      'DEFAULT_MODEL_NAME = "fraud-detector"',
    );
    expect(rendered.files.get('README.md')).toMatch(
      /^# fraud-detector-training\n/,
    );
    expect(rendered.files.get('README.md')).toContain(
      'https://github.com/acme/fraud-detector-config',
    );
    expect(rendered.files.get('pyproject.toml')).toContain(
      'description = "Trains \\"the\\" fraud detector: a test of quoting"',
    );
  });

  it('keeps the GitHub Actions expressions of the workflow', () => {
    const text = rendered.files.get('.github/workflows/train.yaml')!;
    const expressions = [...text.matchAll(/\$\{\{\s*([^}]*?)\s*\}\}/g)].map(
      m => m[1],
    );
    expect(expressions).toEqual(
      expect.arrayContaining([
        'github.ref',
        'steps.train.outputs.version',
        'secrets.MLFLOW_TRACKING_URI',
        'secrets.BACKSTAGE_TOKEN',
        'vars.BACKSTAGE_URL',
        'needs.train.outputs.version',
      ]),
    );
    for (const expression of expressions) {
      expect(expression).toMatch(/^(github|steps|secrets|vars|needs)\.\w/);
    }
  });

  it('renders a workflow that tests, trains on main, then opens the deploy PR', () => {
    const workflow = yaml.parse(
      rendered.files.get('.github/workflows/train.yaml')!,
    );
    expect(workflow.name).toBe('train');
    expect(workflow.on.push.branches).toEqual(['main']);
    expect(workflow.on).toHaveProperty('pull_request');
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(workflow.env).toEqual({
      MODEL_NAME: 'fraud-detector',
      ML_GITOPS_ENTITY_REF: 'component:default/fraud-detector',
    });
    expect(Object.keys(workflow.jobs)).toEqual(['test', 'train', 'deploy']);

    const { test, train, deploy } = workflow.jobs;
    const runs = (job: { steps: { run?: string }[] }) =>
      job.steps.map(s => s.run).filter(Boolean);
    expect(runs(test)).toEqual([
      'pip install -r requirements.txt',
      'python -m pytest -v',
    ]);

    expect(train.needs).toBe('test');
    expect(train.if).toContain("github.ref == 'refs/heads/main'");
    expect(train.if).toContain("github.event_name != 'pull_request'");
    expect(train.outputs.version).toBe('${{ steps.train.outputs.version }}');
    const trainStep = train.steps.find((s: any) => s.id === 'train');
    expect(trainStep.run).toBe(
      'python train.py --model-name "$MODEL_NAME" --github-output "$GITHUB_OUTPUT"',
    );
    expect(trainStep.env).toEqual({
      MLFLOW_TRACKING_URI: '${{ secrets.MLFLOW_TRACKING_URI }}',
      MLFLOW_TRACKING_TOKEN: '${{ secrets.MLFLOW_TRACKING_TOKEN }}',
    });

    expect(deploy.needs).toBe('train');
    const [node, open] = deploy.steps;
    expect(node).toEqual({
      uses: 'actions/setup-node@v4',
      with: { 'node-version': 22 },
    });
    expect(open.env).toEqual({
      BACKSTAGE_URL: '${{ vars.BACKSTAGE_URL }}',
      BACKSTAGE_TOKEN: '${{ secrets.BACKSTAGE_TOKEN }}',
      MODEL_VERSION: '${{ needs.train.outputs.version }}',
    });
    // The version reaches the shell through the environment, never inlined.
    expect(open.run).toBe(
      'npx --yes @ml-gitops/cli@0.1 deploy --entity "$ML_GITOPS_ENTITY_REF" --version "$MODEL_VERSION"',
    );
  });

  it('renders a valid catalog entity that depends on nothing but names the model', async () => {
    const entity = yaml.parse(rendered.files.get('catalog-info.yaml')!);
    const policies = EntityPolicies.allOf([
      new DefaultNamespaceEntityPolicy(),
      new NoForeignRootFieldsEntityPolicy(),
      new FieldFormatEntityPolicy(),
      new SchemaValidEntityPolicy(),
    ]);
    // Every policy accepts it; the only thing filled in is the namespace.
    await expect(policies.enforce(entity)).resolves.toEqual({
      ...entity,
      metadata: { ...entity.metadata, namespace: 'default' },
    });
    await expect(componentEntityV1alpha1Validator.check(entity)).resolves.toBe(
      true,
    );
    expect(entity.metadata).toMatchObject({
      name: 'fraud-detector-training',
      description: VALUES.description,
      annotations: {
        'github.com/project-slug': 'acme/fraud-detector-training',
      },
      links: [
        {
          url: 'https://github.com/acme/fraud-detector-config',
          title: 'Config repo of fraud-detector',
        },
      ],
    });
    // Not an ML GitOps entity itself: the model's entity is, once.
    expect(Object.keys(entity.metadata.annotations)).toEqual([
      'github.com/project-slug',
    ]);
    expect(entity.spec).toEqual({
      type: 'ml-training',
      lifecycle: 'experimental',
      owner: 'group:default/fraud-ml',
      system: 'ml-serving',
      dependencyOf: ['component:default/fraud-detector'],
    });
  });

  it('leaves system out when the model has none', async () => {
    const other = await render({
      ...VALUES,
      modelEntityRef: 'component:default/churn-predictor',
      name: 'churn-predictor-training',
    });
    try {
      const entity = yaml.parse(other.files.get('catalog-info.yaml')!);
      await expect(
        componentEntityV1alpha1Validator.check(entity),
      ).resolves.toBe(true);
      expect(entity.spec).not.toHaveProperty('system');
      expect(entity.spec.dependencyOf).toEqual([
        'component:default/churn-predictor',
      ]);
      expect(other.files.get('train.py')).toContain(
        'DEFAULT_MODEL_NAME = "churn-predictor"',
      );
    } finally {
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('renders Python that compiles', () => {
    const pythonFiles = [...rendered.files.keys()].filter(f =>
      f.endsWith('.py'),
    );
    expect(pythonFiles.sort()).toEqual([
      'data/make_dataset.py',
      'tests/test_train.py',
      'train.py',
    ]);
    const compile = spawnSync('python3', ['-m', 'py_compile', ...pythonFiles], {
      cwd: rendered.dir,
      encoding: 'utf8',
    });
    expect([compile.status, compile.stderr]).toEqual([0, '']);
  }, 30_000);

  // The data and split tests need only the standard library; the model and
  // MLflow tests skip where scikit-learn and mlflow are not installed (the
  // generated CI installs them). Skipped, visibly, without pytest; under CI
  // (scripts/test.sh installs python3-pytest) a missing pytest fails.
  const hasPytest =
    spawnSync('python3', ['-m', 'pytest', '--version']).status === 0;
  if (!hasPytest && process.env.CI) {
    // eslint-disable-next-line jest/expect-expect -- fails by throwing, with what to install
    it('has pytest to run the Python tests (CI is set)', () => {
      throw new Error(
        'python3 -m pytest is not available: install python3-pytest (apt-get install -y python3-pytest) to run the rendered model repo tests',
      );
    });
  }
  (hasPytest ? describe : describe.skip)('with pytest', () => {
    it('renders Python tests that pass', () => {
      const pytest = spawnSync(
        'python3',
        ['-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider'],
        {
          cwd: rendered.dir,
          encoding: 'utf8',
          env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
        },
      );
      expect([pytest.status, pytest.stderr]).toEqual([0, '']);
      expect(pytest.stdout).toMatch(/\b[4-9] passed/);
    }, 60_000);
  });

  it('bundles a dataset that make_dataset.py reproduces', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'model-dataset-'));
    try {
      fs.mkdirSync(path.join(copy, 'data'));
      fs.copyFileSync(
        path.join(rendered.dir, 'data/make_dataset.py'),
        path.join(copy, 'data/make_dataset.py'),
      );
      const run = spawnSync('python3', ['data/make_dataset.py'], {
        cwd: copy,
        encoding: 'utf8',
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
      expect(run.status).toBe(0);
      expect(fs.readFileSync(path.join(copy, 'data/dataset.csv'), 'utf8')).toBe(
        rendered.files.get('data/dataset.csv'),
      );
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('puts no secret in the tree', () => {
    for (const [file, text] of rendered.files) {
      expect([file, text.includes(GITHUB_TOKEN)]).toEqual([file, false]);
      expect([file, /gh[pousr]_[A-Za-z0-9]{20,}/.test(text)]).toEqual([
        file,
        false,
      ]);
      expect([file, /-----BEGIN [A-Z ]*PRIVATE KEY/.test(text)]).toEqual([
        file,
        false,
      ]);
      expect([file, /:\/\/[^/\s:@]+:[^/\s@]+@/.test(text)]).toEqual([
        file,
        false,
      ]);
    }
    // Every credential-like variable of the workflow comes from secrets.
    const workflow = yaml.parse(
      rendered.files.get('.github/workflows/train.yaml')!,
    );
    const credentials = Object.values<any>(workflow.jobs)
      .flatMap(job => job.steps)
      .flatMap(step => Object.entries<string>(step.env ?? {}))
      .filter(([name]) => /TOKEN|SECRET|PASSWORD|TRACKING_URI/.test(name));
    expect(credentials.map(([name]) => name).sort()).toEqual([
      'BACKSTAGE_TOKEN',
      'MLFLOW_TRACKING_TOKEN',
      'MLFLOW_TRACKING_URI',
    ]);
    expect(credentials).toEqual(
      credentials.map(([name]) => [name, `\${{ secrets.${name} }}`]),
    );
  });
});
