/**
 * Which build this code came from (vite.config.ts defines it; 'dev' where nothing does, as in
 * Node). The page and the engine worker each report their own, so a test, or the console, can
 * see that both came from the same deployment.
 */
declare const __VIDLET_VERSION__: string | undefined;

export const BUILD_VERSION: string = typeof __VIDLET_VERSION__ === 'string' ? __VIDLET_VERSION__ : 'dev';
