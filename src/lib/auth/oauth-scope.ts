// What this app asks people's PDS for, in one place: the OAuth client metadata written at
// build time and the client at run time must agree on it. No imports, so the build
// config can load it too.

/** The NSID this client asks the PDS to bind tokens to (`lxm`); fixed by the contract. */
export const CREATE_SESSION_LXM = 'app.microclimate.server.createSession';

/** One consent covers minting CreateSession tokens for any Microclimate server. */
export const OAUTH_SCOPE = `atproto rpc:${CREATE_SESSION_LXM}?aud=*`;

export const CALLBACK_PATH = '/oauth/callback';
