import { InputError } from '@backstage/errors';
import { isMap, isScalar, Scalar } from 'yaml';
import { formatManifestProblem } from './problems';
import { parseYamlStrict } from './yamlSafe';
import { modelVersionSchema } from './schema';

function quoteDouble(value: string): string {
  return JSON.stringify(value);
}

function quoteSingle(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Changes `model_version` in the text of `deploy/model.yaml` and leaves every
 * other byte exactly as it was: comments, indentation, key order, line
 * endings (LF or CRLF) and a missing final newline.
 *
 * The new value keeps the quote style of the old one (double or single); an
 * unquoted or block value is replaced by a double-quoted string, so the
 * version is never read back as a number.
 *
 * Throws an `InputError` when the text is not a valid single YAML mapping,
 * has no top-level `model_version`, or the new version is not a valid
 * version id.
 *
 * @public
 */
export function setModelVersion(text: string, newVersion: string): string {
  if (
    typeof newVersion !== 'string' ||
    !modelVersionSchema.safeParse(newVersion).success
  ) {
    throw new InputError(
      `Invalid model version ${JSON.stringify(
        newVersion,
      )}: use the registry's version id, 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
    );
  }
  const parsed = parseYamlStrict(text, { path: 'model.yaml' });
  if (!parsed.ok) {
    throw new InputError(
      `Cannot edit the manifest: ${parsed.problems
        .map(formatManifestProblem)
        .join('; ')}`,
    );
  }
  const root = parsed.yaml.documents[0]?.contents;
  if (!isMap(root)) {
    throw new InputError('Cannot edit the manifest: it is not a YAML mapping');
  }
  const pair = root.items.find(
    p => isScalar(p.key) && p.key.value === 'model_version',
  );
  const node = pair?.value;
  if (!pair || !isScalar(node) || !node.range) {
    throw new InputError(
      'Cannot edit the manifest: it has no top-level model_version with a plain value',
    );
  }
  const [start, end] = node.range;
  let replacement: string;
  switch (node.type) {
    case Scalar.QUOTE_SINGLE:
      replacement = quoteSingle(newVersion);
      break;
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED: {
      // A block scalar's range runs to the end of its last line; keep the
      // line break that ends it.
      const consumed = text.slice(start, end);
      const lineBreak = /\r?\n$/.exec(consumed)?.[0] ?? '';
      replacement = quoteDouble(newVersion) + lineBreak;
      break;
    }
    default:
      replacement = quoteDouble(newVersion);
  }
  const updated = text.slice(0, start) + replacement + text.slice(end);

  // Never hand back an edit that does not read back as intended.
  const check = parseYamlStrict(updated, { path: 'model.yaml' });
  const readBack: unknown = check.ok
    ? check.yaml.documents[0]?.toJS({ maxAliasCount: 0 })
    : undefined;
  if (
    typeof readBack !== 'object' ||
    readBack === null ||
    (readBack as { model_version?: unknown }).model_version !== newVersion
  ) {
    throw new InputError(
      'Cannot edit the manifest safely: the edited file does not read back with the new version',
    );
  }
  return updated;
}
