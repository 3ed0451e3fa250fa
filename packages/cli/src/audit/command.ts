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

// `ml-gitops audit` and `ml-gitops audit export`: their options, and the answers they print or write.

import { parseArgs } from 'node:util';
import type {
  AuditEventsResponse,
  AuditStateItem,
  AuditStateResponse,
} from '@ml-gitops/plugin-ml-gitops-common';
import { backstageTarget } from '../lib/backstageTarget';
import { describeError, EXIT, UsageError } from '../lib/errors';
import type { CliIo } from '../main';
import { AuditClient } from './client';
import { fileSink, Sink, stdoutSink } from './sinks';

export const AUDIT_USAGE = `Usage: ml-gitops audit --at TIME [--entity-ref REF] [options]
       ml-gitops audit export --from TIME --to TIME [--format csv|json] [--output FILE] [options]

Asks Backstage's ML GitOps backend, for auditors who never open the UI:

  audit --at TIME   which version Git declared and which version served in
                    every environment of every model you may read (or of one
                    model) at TIME, with the pull request, author, approvers
                    and checks that put it there, and whether the answer is
                    certain (and why not)
  audit export      every deployment, promotion, rollback and drift episode
                    from --from (inclusive) to --to (exclusive): CSV (one row
                    per event, for a spreadsheet) or JSON

TIME is ISO 8601 with a zone, e.g. 2026-11-28T10:00:00Z, or a date
(2026-11-28, midnight UTC).

Options:
  --entity-ref REF      one model, e.g. component:default/fraud-detector
  --format FORMAT       audit: text (default) or json; export: csv (default) or json
  --output FILE         export: write to FILE instead of standard output
  --backstage-url URL   Backstage's backend base URL (default: $BACKSTAGE_URL)
  --token-env NAME      environment variable holding a Backstage access token
                        (default: BACKSTAGE_TOKEN)
  -h, --help            show this help

Exit codes: 0 answered, 2 usage, permission or connection error.
`;

const ENTITY_REF =
  /^(?:[A-Za-z][-A-Za-z0-9]*:)?(?:[a-z0-9][-a-z0-9]*\/)?[A-Za-z0-9][-A-Za-z0-9_.]*$/;
const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/;

function describeItem(item: AuditStateItem): string {
  const lines = [`${item.entityRef} ${item.environment}`];
  const d = item.declared;
  if (d) {
    const pr = d.pullRequest;
    const by = [
      d.author ? `by ${d.author}` : undefined,
      pr ? `PR #${pr.number} ${pr.url}` : undefined,
      pr?.mergedBy ? `merged by ${pr.mergedBy}` : undefined,
      pr
        ? `approved by ${
            pr.reviewers.length ? pr.reviewers.join(', ') : 'nobody'
          }`
        : undefined,
    ].filter(Boolean);
    lines.push(
      `  declared: ${d.version} (${d.kind ?? 'change'} ${d.commit.slice(
        0,
        7,
      )}, merged ${d.committedAt}${by.length ? `, ${by.join(', ')}` : ''})`,
    );
    if (d.reason) lines.push(`  reason:   ${d.reason}`);
    const registry = d.checks?.registry;
    if (registry) {
      const metrics = Object.entries(registry.metrics)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      lines.push(
        `  checks:   gate ${registry.gate}${
          metrics ? ` (${metrics})` : ''
        }, read ${d.checks!.checkedAt}`,
      );
    }
  } else {
    lines.push('  declared: unknown');
  }
  if (item.serving) {
    lines.push(
      `  serving:  ${item.serving.version ?? 'not recorded'}${
        item.serving.since ? ` since ${item.serving.since}` : ''
      }`,
    );
  } else {
    lines.push('  serving:  unknown');
  }
  lines.push(`  ${item.certain ? 'certain' : `uncertain: ${item.note ?? ''}`}`);
  return `${lines.join('\n')}\n`;
}

function instantOption(name: string, value: string | undefined): string {
  if (!value) {
    throw new UsageError(
      `--${name} is required, e.g. --${name} 2026-11-28T10:00:00Z`,
    );
  }
  if (!ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(
      `--${name} ${JSON.stringify(
        value,
      )} is not an ISO 8601 time with a zone; write e.g. 2026-11-28T10:00:00Z or 2026-11-28`,
    );
  }
  return value;
}

/** `ml-gitops audit …`; resolves to the exit code. */
export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const exporting = argv[0] === 'export';
  const name = exporting ? 'audit export' : 'audit';
  const usageError = (message: string) => {
    io.stderr(`ml-gitops ${name}: ${message}\n\n${AUDIT_USAGE}`);
    return EXIT.error;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: exporting ? argv.slice(1) : argv,
      allowPositionals: false,
      strict: true,
      options: {
        at: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'entity-ref': { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string' },
        'backstage-url': { type: 'string' },
        'token-env': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usageError(describeError(error));
  }
  if (values.help) {
    io.stdout(AUDIT_USAGE);
    return EXIT.ok;
  }
  const entityRef = values['entity-ref'];
  if (entityRef !== undefined && !ENTITY_REF.test(entityRef)) {
    return usageError(
      `--entity-ref ${JSON.stringify(
        entityRef,
      )} is not an entity reference; write kind:namespace/name, e.g. component:default/fraud-detector`,
    );
  }
  const formats = exporting ? ['csv', 'json'] : ['text', 'json'];
  const format = values.format ?? formats[0];
  if (!formats.includes(format)) {
    return usageError(`--format must be ${formats.join(' or ')}`);
  }
  if (!exporting && values.output !== undefined) {
    return usageError('--output is for audit export');
  }
  if (exporting && values.at !== undefined) {
    return usageError('audit export takes --from and --to, not --at');
  }
  if (!exporting && (values.from !== undefined || values.to !== undefined)) {
    return usageError(
      'audit takes --at; for a time range use ml-gitops audit export --from … --to …',
    );
  }

  const target = backstageTarget(values, io.env);
  if (!target.ok) {
    return usageError(target.problem);
  }
  const { url: backstageUrl, token } = target;

  const client = new AuditClient({
    baseUrl: backstageUrl,
    token,
    fetch: io.fetch ?? fetch,
  });
  const redact = (text: string) => text.split(token).join('***');
  let sink: Sink | undefined;
  try {
    if (!exporting) {
      const at = instantOption('at', values.at);
      let cursor: string | undefined;
      const items: AuditStateItem[] = [];
      let answeredAt = at;
      do {
        const page: AuditStateResponse = await client.json('/v1/audit/state', {
          at,
          entityRef,
          cursor,
        });
        answeredAt = page.at;
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      if (format === 'json') {
        io.stdout(`${JSON.stringify({ at: answeredAt, items }, null, 2)}\n`);
      } else {
        io.stdout(`As of ${answeredAt}:\n\n`);
        io.stdout(
          items.length
            ? items.map(describeItem).join('\n')
            : 'No model you may read has recorded deployments.\n',
        );
      }
      return EXIT.ok;
    }

    const from = instantOption('from', values.from);
    const to = instantOption('to', values.to);
    if (Date.parse(from) >= Date.parse(to)) {
      return usageError('--from must be before --to');
    }
    sink = values.output ? await fileSink(values.output) : stdoutSink(io);
    let events = 0;
    if (format === 'csv') {
      const response = await client.get('/v1/audit/events', {
        from,
        to,
        entityRef,
        format: 'csv',
      });
      if (!response.body) {
        throw new UsageError('/v1/audit/events answered without a body');
      }
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        await sink.write(decoder.decode(chunk, { stream: true }));
      }
      await sink.write(decoder.decode());
    } else {
      // One JSON document, written page by page as the pages arrive.
      await sink.write(
        `{"from":${JSON.stringify(from)},"to":${JSON.stringify(to)},"items":[`,
      );
      let cursor: string | undefined;
      do {
        const page: AuditEventsResponse = await client.json(
          '/v1/audit/events',
          { from, to, entityRef, format: 'json', limit: '1000', cursor },
        );
        for (const item of page.items) {
          await sink.write(`${events ? ',' : ''}\n${JSON.stringify(item)}`);
          events++;
        }
        cursor = page.nextCursor;
      } while (cursor);
      await sink.write('\n]}\n');
    }
    await sink.close();
    sink = undefined;
    if (values.output) {
      io.stderr(
        `ml-gitops audit export: ${
          format === 'json'
            ? `${events} event${events === 1 ? '' : 's'}`
            : 'CSV'
        } written to ${values.output}\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    await sink?.close().catch(() => undefined);
    if (!(error instanceof UsageError)) {
      io.stderr(
        redact(
          `ml-gitops ${name}: unexpected error: ${describeError(error)}\n`,
        ),
      );
      return EXIT.error;
    }
    io.stderr(redact(`ml-gitops ${name}: ${describeError(error)}\n`));
    return EXIT.error;
  }
}
