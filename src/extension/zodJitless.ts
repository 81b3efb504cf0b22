/**
 * Zod without its JIT, set before any schema exists: imported first by extension.ts, so this module is
 * evaluated before every module that declares a schema. Each object schema, when declared, asks
 * whether `new Function` is allowed, and that probe reads `navigator` first; in VS Code's extension
 * host `navigator` is a getter that logs `PendingMigrationError: navigator is now a global in nodejs`
 * on every activation. The extension parses small messages and settings, so the JIT gains nothing
 * here (the worker and the CLI, which parse whole pipelines and artifacts, keep it).
 */
import * as z from 'zod';

z.config({ jitless: true });
