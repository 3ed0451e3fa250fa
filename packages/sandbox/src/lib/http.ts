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

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A failure mode an emulated system can be put into by the test controls. */
export type Fault =
  | { mode: 'none' }
  /** the port refuses connections */
  | { mode: 'down' }
  /** every request answers 503 */
  | { mode: 'unavailable' }
  /** every request is delayed */
  | { mode: 'slow'; delayMs: number }
  /** every request answers 401 as the real system does */
  | { mode: 'unauthorized' };

export type Request = http.IncomingMessage & {
  url: string;
  method: string;
};

export type Handler = (
  req: Request,
  res: http.ServerResponse,
  url: URL,
) => Promise<void> | void;

export type EmulatorOptions = {
  name: string;
  port: number;
  host?: string;
  handler: Handler;
  /** answers 401 in the system's own error shape */
  unauthorized: (res: http.ServerResponse) => void;
  /** answers 503 in the system's own error shape */
  unavailable: (res: http.ServerResponse) => void;
  /** answers unexpected exceptions */
  internalError: (res: http.ServerResponse, error: unknown) => void;
  log?: (message: string) => void;
  /** logs one line per request (method, path, status, duration) */
  logRequests?: boolean;
};

/**
 * An HTTP server for one emulated system, with the failure controls the
 * tests use. `down` closes the listening socket (connection refused) and
 * `none` opens it again on the same port.
 */
export class EmulatorServer {
  private server: http.Server;
  private sockets = new Set<Socket>();
  private fault: Fault = { mode: 'none' };
  private listening = false;
  private boundPort: number;

  constructor(private readonly options: EmulatorOptions) {
    this.boundPort = options.port;
    this.server = this.createServer();
  }

  get port() {
    return this.boundPort;
  }

  get url() {
    return `http://localhost:${this.boundPort}`;
  }

  get name() {
    return this.options.name;
  }

  getFault(): Fault {
    return this.fault;
  }

  private createServer() {
    const server = http.createServer((req, res) => {
      this.dispatch(req as Request, res);
    });
    server.keepAliveTimeout = 2000;
    server.on('connection', socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private async dispatch(req: Request, res: http.ServerResponse) {
    const url = new URL(req.url, `http://${req.headers.host ?? 'localhost'}`);
    if (this.options.logRequests) {
      const started = Date.now();
      res.on('finish', () =>
        this.options.log?.(
          `${this.options.name} ${req.method} ${url.pathname}${url.search} → ${
            res.statusCode
          } (${Date.now() - started} ms)`,
        ),
      );
    }
    try {
      const fault = this.fault;
      if (fault.mode === 'slow') {
        await new Promise(r => setTimeout(r, fault.delayMs));
      } else if (fault.mode === 'unavailable') {
        req.resume();
        this.options.unavailable(res);
        return;
      } else if (fault.mode === 'unauthorized') {
        req.resume();
        this.options.unauthorized(res);
        return;
      }
      await this.options.handler(req, res, url);
    } catch (error) {
      this.options.log?.(
        `${this.options.name}: ${req.method} ${req.url} failed: ${
          (error as Error)?.stack ?? error
        }`,
      );
      if (!res.headersSent) {
        this.options.internalError(res, error);
      } else {
        res.end();
      }
    }
  }

  async start(): Promise<void> {
    if (this.listening) {
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(
        this.boundPort,
        this.options.host ?? '127.0.0.1',
        () => {
          this.server.off('error', onError);
          resolve();
        },
      );
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  async stop(): Promise<void> {
    if (!this.listening) {
      return;
    }
    this.listening = false;
    const closed = new Promise<void>(resolve =>
      this.server.close(() => resolve()),
    );
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.sockets.clear();
    await closed;
    this.server = this.createServer();
  }

  async setFault(fault: Fault): Promise<void> {
    this.fault = fault;
    if (fault.mode === 'down') {
      await this.stop();
    } else {
      await this.start();
    }
  }
}

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export class BadJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadJsonError';
  }
}

/** Reads a JSON body; an empty body reads as `{}`. */
export async function readJson(req: http.IncomingMessage): Promise<any> {
  const body = (await readBody(req)).toString('utf8');
  if (!body.trim()) {
    return {};
  }
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new BadJsonError((e as Error).message);
  }
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A minimal path router: patterns like `/repos/:owner/:repo/pulls/:number`, `*` for the rest. */
export type Route = {
  method: string;
  pattern: RegExp;
  keys: string[];
  handle: (ctx: RouteContext) => Promise<void> | void;
};

export type RouteContext = {
  req: Request;
  res: http.ServerResponse;
  url: URL;
  params: Record<string, string>;
};

export class Router {
  private routes: Route[] = [];

  add(method: string, path: string, handle: Route['handle']) {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map(part => {
        if (part.startsWith(':')) {
          keys.push(part.slice(1));
          return '([^/]+)';
        }
        if (part === '*') {
          keys.push('rest');
          return '(.*)';
        }
        return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({
      method,
      pattern: new RegExp(`^${source}$`),
      keys,
      handle,
    });
    return this;
  }

  /** Returns false when no route matched the path; 'method' when the path matched another method. */
  async handle(
    ctx: Omit<RouteContext, 'params'>,
    path: string,
  ): Promise<boolean | 'method'> {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) {
        continue;
      }
      pathMatched = true;
      if (
        route.method !== ctx.req.method &&
        !(route.method === 'GET' && ctx.req.method === 'HEAD')
      ) {
        continue;
      }
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1]);
      });
      await route.handle({ ...ctx, params });
      return true;
    }
    return pathMatched ? 'method' : false;
  }
}
