/**
 * What vite.config.ts says about the build this code came from; the defaults hold where nothing
 * defines them (Node, vitest).
 */
declare const __VIDLET_VERSION__: string | undefined;
declare const __VIDLET_SERVICE_WORKER__: boolean | undefined;

/**
 * The page and the engine worker each report their own, so a test, or the console, can see that
 * both came from the same deployment.
 */
export const BUILD_VERSION: string = typeof __VIDLET_VERSION__ === 'string' ? __VIDLET_VERSION__ : 'dev';

/**
 * True in a `vite build` (which writes sw.js), false on the dev server. Not import.meta.env.PROD:
 * that follows NODE_ENV, which vitest sets to 'test' for the builds the browser tests make.
 */
export const HAS_SERVICE_WORKER: boolean = typeof __VIDLET_SERVICE_WORKER__ === 'boolean' ? __VIDLET_SERVICE_WORKER__ : false;
