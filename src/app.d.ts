// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
	namespace App {
		interface Error {
			message: string;
			/** 'storage': the browser blocks storage (src/routes/+error.svelte explains). */
			reason?: 'storage';
		}
	}
}

export {};
