import { startServer } from './server';

/** Starts the local server once for the whole browser suite; the returned function stops it. */
export default async function setup(): Promise<() => Promise<void>> {
  return startServer();
}
