/**
 * The browser app for the enclosing `describe`: built and served before its tests (startApp, with
 * Chromium), closed after them, failing or not. Returns the app for the tests to use.
 */
import { afterAll, beforeAll } from 'vitest';
import { startApp, type App } from './harness.js';

export function appSuite(): () => App {
  let app: App | undefined;
  beforeAll(async () => {
    app = await startApp();
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  }, 60_000);
  return () => {
    if (!app) throw new Error('the app did not start (see beforeAll)');
    return app;
  };
}
