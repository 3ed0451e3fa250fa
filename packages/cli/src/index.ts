/**
 * `ml-gitops`: the pull-request check of an ML GitOps config repo.
 *
 * @packageDocumentation
 */
import { main } from './main';

main(process.argv.slice(2), {
  stdout: text => process.stdout.write(text),
  stderr: text => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
}).then(
  code => {
    process.exitCode = code;
  },
  error => {
    process.stderr.write(
      `ml-gitops: internal error: ${error?.message ?? error}\n`,
    );
    process.exitCode = 2;
  },
);
