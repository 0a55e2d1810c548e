import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { TestProject } from 'vitest/node';

/**
 * A real identity provider's JWKS endpoint, on the Node side of the suite, for the tests of a
 * key-set outage (test/hardening/jwks-outage.test.ts): `/jwks.json` answers the key set,
 * `/status/503` fails, `/hang` never answers; `closedUrl` is a port nothing listens on.
 * Ports: `JWKS_TEST_PORT` / `JWKS_TEST_CLOSED_PORT` when set (a shared machine's own range), else any free one.
 */
export default async function setup(project: TestProject) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const keys = [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }];
  const server = createServer((req, res) => {
    if (req.url === '/jwks.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys }));
    } else if (req.url === '/status/503') {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('identity provider down');
    } else if (req.url !== '/hang') {
      res.writeHead(404).end();
    } // `/hang`: accept the request and never answer it.
  });
  const port = await listen(server, Number(process.env.JWKS_TEST_PORT ?? 0));
  const closedPort = process.env.JWKS_TEST_CLOSED_PORT ? Number(process.env.JWKS_TEST_CLOSED_PORT) : await freePort();
  project.provide('jwks', {
    baseUrl: `http://127.0.0.1:${port}`,
    closedUrl: `http://127.0.0.1:${closedPort}/jwks.json`,
    privateJwk: JSON.stringify(await exportJWK(privateKey)),
  });
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A port that was free a moment ago and that nothing listens on now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe, 0);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

declare module 'vitest' {
  export interface ProvidedContext {
    jwks: { baseUrl: string; closedUrl: string; privateJwk: string };
  }
}
