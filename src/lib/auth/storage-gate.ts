// Route loads that read the app session go through this: storage that the browser blocks
// (private mode, settings, a lost connection, a full disk) becomes the app's own error
// page with what to do (src/routes/+error.svelte), not a crash into a blank screen.
import { error } from '@sveltejs/kit';
import { StorageUnavailableError } from './app-db.js';

export async function storageGate<T>(read: () => Promise<T>): Promise<T> {
	try {
		return await read();
	} catch (err) {
		if (err instanceof StorageUnavailableError) error(503, { message: err.message, reason: 'storage' });
		throw err;
	}
}
