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

/** The production build, unpacked as a container image unpacks it. */

import fs from 'node:fs';
import path from 'node:path';
import { run } from './machine';
import { ROOT, WORK } from './options';

/** Workspace packages of the monorepo: name → directory. */
function workspacePackages(): Map<string, string> {
  const found = new Map<string, string>();
  for (const parent of ['packages', 'plugins']) {
    for (const dir of fs.readdirSync(path.join(ROOT, parent))) {
      const manifest = path.join(ROOT, parent, dir, 'package.json');
      if (fs.existsSync(manifest)) {
        found.set(
          JSON.parse(fs.readFileSync(manifest, 'utf8')).name,
          path.join(parent, dir),
        );
      }
    }
  }
  return found;
}

/**
 * `backstage-cli package build` leaves packages/backend/dist/bundle.tar.gz:
 * the backend and the workspace packages it needs, packed as published
 * (main: dist/index.cjs.js). A container image unpacks it and installs the
 * production dependencies; here the third-party packages come from the
 * monorepo's node_modules (the same lockfile) through symlinks, so no
 * network install is needed, and the workspace packages are the bundle's.
 */
export function unpackBundle(): string {
  const dist = path.join(ROOT, 'packages/backend/dist/bundle.tar.gz');
  if (!fs.existsSync(dist)) {
    throw new Error(`${dist} is missing: run without --skip-build`);
  }
  const dir = path.join(WORK, 'bundle');
  fs.mkdirSync(dir);
  run('tar', ['-xzf', dist, '-C', dir], ROOT);
  const workspaces = workspacePackages();
  const inBundle = new Map<string, string>();
  for (const [name, rel] of workspaces) {
    if (fs.existsSync(path.join(dir, rel, 'package.json')))
      inBundle.set(name, rel);
  }
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  const source = path.join(ROOT, 'node_modules');
  const linkEntry = (name: string) => {
    const rel = inBundle.get(name);
    if (rel) {
      fs.symlinkSync(path.join(dir, rel), path.join(modules, name));
    } else if (!workspaces.has(name)) {
      fs.symlinkSync(path.join(source, name), path.join(modules, name));
    }
    // A workspace package the bundle does not hold is not a production
    // dependency of the backend: left out, as in an image.
  };
  for (const entry of fs.readdirSync(source)) {
    if (entry.startsWith('@')) {
      fs.mkdirSync(path.join(modules, entry));
      for (const inner of fs.readdirSync(path.join(source, entry))) {
        linkEntry(`${entry}/${inner}`);
      }
    } else if (entry !== '.bin') {
      linkEntry(entry);
    }
  }
  // Versions a workspace package needs apart from the root's.
  for (const rel of inBundle.values()) {
    const nested = path.join(ROOT, rel, 'node_modules');
    if (
      fs.existsSync(nested) &&
      !fs.existsSync(path.join(dir, rel, 'node_modules'))
    ) {
      fs.symlinkSync(nested, path.join(dir, rel, 'node_modules'));
    }
  }
  fs.copyFileSync(
    path.join(ROOT, 'app-config.yaml'),
    path.join(dir, 'app-config.yaml'),
  );
  return dir;
}
