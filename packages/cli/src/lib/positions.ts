import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * The 1-based line and column of the value at a path of a YAML text, or of
 * the closest parent that exists; line 1 when nothing matches.
 */
export function positionOf(
  text: string,
  path: ReadonlyArray<string | number>,
): { line: number; column: number } {
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    let node: unknown = doc.contents;
    let offset = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          p => (p.key as { value?: unknown } | null)?.value === segment,
        );
        if (!pair) break;
        offset =
          (pair.key as { range?: [number, number, number] }).range?.[0] ??
          offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
        offset =
          (node as { range?: [number, number, number] })?.range?.[0] ?? offset;
      } else {
        break;
      }
    }
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  } catch {
    return { line: 1, column: 1 };
  }
}
