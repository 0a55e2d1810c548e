import { swaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';
import type { AppEnv } from '../app-env';

/** The API explorer over /api/v1/openapi.json; swagger-ui-dist is served from our own static assets (no CDN). */
export const docsApp = new Hono<AppEnv>();
docsApp.get('/', swaggerUI({ url: '/api/v1/openapi.json', title: 'Foyer API', baseUrl: '/vendor' }));
