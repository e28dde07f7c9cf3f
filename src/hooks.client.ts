// Evaluated with the app's entry, before any screen's code: the earliest the app's own code runs.
import { openEarly } from '$lib/auth/app-db.js';

// Every screen's load reads the session from IndexedDB, and opening the database is most of
// that read. It opens while the screens' modules load and evaluate, not after.
openEarly();
