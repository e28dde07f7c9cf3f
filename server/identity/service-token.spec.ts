// Service-token verification against a real local ATProto stack (PLC + PDS from
// @atproto/dev-env): tokens are minted by the PDS's com.atproto.server.getServiceAuth, and
// forged ones are signed with real or stranger keys. Each refusal also proves that the
// CreateSession-like flow below issues no session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNetworkNoAppView } from '@atproto/dev-env';
import { AtpAgent } from '@atproto/api';
import { P256Keypair, Secp256k1Keypair, type Keypair } from '@atproto/crypto';
import { createServiceJwt } from '@atproto/xrpc-server';
import { buildIdentity, xrpcHandleResolver, type Identity } from './resolver.js';
import { createServiceTokenVerifier, ServiceTokenError, type ServiceTokenFailure, type ServiceTokenVerifierOptions } from './service-token.js';
import { createSessionTokens, type SessionKey } from './session-jwt.js';
import { generateKeyPair } from 'jose';
import { StoreUnavailableError } from '../store/store.js';
import { startTestRedis } from '../store/testing-redis.js';
import { sharedState, STORE_KINDS } from '../store/testing-stores.js';

const OWN = 'did:web:localhost%3A8080#microclimate';
const OWN_ALT = 'did:web:voice.example.com#microclimate'; // a second public host name
const LXM = 'app.microclimate.server.createSession';
const nowS = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const unb64 = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;

let net: TestNetworkNoAppView;
let agent: AtpAgent;
let did: string;
let identity: Identity;
let aliceKey: Keypair; // the PDS's signing key for alice: lets us forge *validly signed* odd tokens
let sessionKey: SessionKey;

beforeAll(async () => {
  net = await TestNetworkNoAppView.create({});
  agent = new AtpAgent({ service: net.pds.url });
  await agent.createAccount({ handle: 'alice.test', email: 'alice@mc.test', password: 'alice-pass' });
  did = agent.session!.did;
  identity = buildIdentity({ plcUrl: net.plc.url, dev: true, pdsUrlForHandles: net.pds.url });
  aliceKey = await net.pds.ctx.actorStore.keypair(did as `did:plc:${string}`);
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  sessionKey = { privateKey, publicKey, kid: 'spec' };
}, 60_000);

afterAll(async () => {
  await net?.close();
});

async function mint(params: { aud?: string; lxm?: string; expIn?: number } = {}): Promise<string> {
  const res = await agent.com.atproto.server.getServiceAuth({
    aud: params.aud ?? OWN,
    lxm: params.lxm ?? LXM,
    exp: nowS() + (params.expIn ?? 120),
  });
  return res.data.token;
}

function verifier(over: Partial<ServiceTokenVerifierOptions> = {}) {
  return createServiceTokenVerifier({
    ownDids: [OWN, OWN_ALT],
    lxm: LXM,
    maxLifetimeSeconds: 300,
    idResolver: identity.idResolver,
    resolveHandle: identity.resolveHandle,
    ...over,
  });
}

/** CreateSession in miniature: a session exists only if the service token verified. */
function exchange(verify: (t: string) => Promise<{ did: string; handle: string }>) {
  const issued: string[] = [];
  const sessions = createSessionTokens({ key: sessionKey, issuer: OWN });
  return {
    issued,
    async createSession(token: string) {
      const who = await verify(token);
      const { token: s } = await sessions.issueSession(who, 900);
      issued.push(s);
      return who;
    },
  };
}

async function expectRefused(token: string, reason: ServiceTokenFailure | undefined, over: Partial<ServiceTokenVerifierOptions> = {}) {
  const ex = exchange(verifier(over));
  const err = await ex.createSession(token).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ServiceTokenError);
  if (reason !== undefined) expect((err as ServiceTokenError).reason).toBe(reason);
  expect(ex.issued).toHaveLength(0);
  // The message is for humans and must never echo the token.
  const longest = token.split('.').sort((a, b) => b.length - a.length)[0] ?? '';
  expect(longest.length >= 16 && (err as Error).message.includes(longest)).toBe(false);
}

describe('service token: happy path', () => {
  it('accepts a real PDS token and returns the DID and the checked-back handle', async () => {
    expect.assertions(3);
    const ex = exchange(verifier());
    const who = await ex.createSession(await mint());
    expect(who).toEqual({ did, handle: 'alice.test' });
    expect(did).toMatch(/^did:plc:/);
    expect(ex.issued).toHaveLength(1);
  });

  it('accepts every configured aud', async () => {
    expect.assertions(1);
    await expect(verifier()(await mint({ aud: OWN_ALT }))).resolves.toEqual({ did, handle: 'alice.test' });
  });

  it('FACT: the PDS will not mint for did:web with an IP host and a port (only localhost may carry a port)', async () => {
    expect.assertions(2);
    await expect(mint({ aud: 'did:web:127.0.0.1%3A8080#microclimate' })).rejects.toThrow(/aud must be a valid atproto DID/);
    await expect(mint({ aud: 'did:web:voice.example.com%3A8443#microclimate' })).rejects.toThrow(/aud must be a valid atproto DID/);
  });

  it('returns handle.invalid when the handle does not resolve back to the DID', async () => {
    expect.assertions(2);
    const other = verifier({ resolveHandle: async () => 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' });
    await expect(other(await mint())).resolves.toEqual({ did, handle: 'handle.invalid' });
    // Default resolver (DNS / https well-known) cannot reach *.test: also handle.invalid, not a failure.
    const noDev = verifier({ resolveHandle: undefined });
    await expect(noDev(await mint())).resolves.toEqual({ did, handle: 'handle.invalid' });
  });

  it('the dev handle resolver asks the PDS', async () => {
    expect.assertions(2);
    const resolve = xrpcHandleResolver(net.pds.url);
    expect(await resolve('alice.test')).toBe(did);
    expect(await resolve('nobody.test')).toBeUndefined();
  });
});

describe('service token: refusals (no session issued)', () => {
  it('wrong aud: our DID without the service fragment', async () => {
    expect.assertions(4);
    await expectRefused(await mint({ aud: 'did:web:localhost%3A8080' }), 'bad_aud');
  });

  it("a token minted for another server's aud, replayed here", async () => {
    expect.assertions(4);
    await expectRefused(await mint({ aud: 'did:web:evil.example.com#microclimate' }), 'bad_aud');
  });

  it('wrong lxm', async () => {
    expect.assertions(4);
    await expectRefused(await mint({ lxm: 'app.microclimate.server.somethingElse' }), 'bad_lxm');
  });

  it('expired', async () => {
    expect.assertions(4);
    await expectRefused(await mint({ expIn: 60 }), 'expired', { now: () => nowS() + 61 });
  });

  it('iat in the future', async () => {
    expect.assertions(4);
    await expectRefused(await mint(), 'iat_in_future', { now: () => nowS() - 60 });
  });

  it('lifetime longer than allowed', async () => {
    expect.assertions(4);
    await expectRefused(await mint({ expIn: 600 }), 'lifetime_too_long', { maxLifetimeSeconds: 300 });
  });

  it('replayed jti: second use fails, also when both uses race', async () => {
    expect.assertions(5);
    const v = verifier();
    const token = await mint();
    await expect(v(token)).resolves.toMatchObject({ did });
    await expect(v(token)).rejects.toMatchObject({ reason: 'replayed' });
    const racer = await mint();
    const results = await Promise.allSettled([v(racer), v(racer), v(racer)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.reason)).toEqual(['replayed', 'replayed']);
    // The same jti from a different verifier instance (restart) is a separate cache: documented limit.
    await expect(verifier()(token)).resolves.toMatchObject({ did });
  });

  it.each(STORE_KINDS)('replayed jti on another replica (%s store): refused there too', async (kind) => {
    expect.assertions(3);
    const state = sharedState(kind);
    try {
      const one = verifier({ store: await state.handle() });
      const two = verifier({ store: await state.handle() });
      const token = await mint();
      await expect(one(token)).resolves.toMatchObject({ did });
      await expect(two(token)).rejects.toMatchObject({ reason: 'replayed' });
      const racer = await mint();
      const results = await Promise.allSettled([one(racer), two(racer), one(racer), two(racer)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    } finally {
      await state.close();
    }
  });

  it('Redis down: a valid token is refused (the replay cache fails closed), and accepted once Redis is back', async () => {
    expect.assertions(2);
    const redis = await startTestRedis();
    const state = sharedState('redis', redis.url);
    try {
      const v = verifier({ store: await state.handle() });
      await redis.stop();
      await expect(v(await mint())).rejects.toBeInstanceOf(StoreUnavailableError);
      await redis.start();
      const token = await mint();
      await expect.poll(() => v(token).then((who) => who.did, (err: Error) => err.name), { timeout: 10_000 }).toBe(did);
    } finally {
      await state.close();
      await redis.stop();
    }
  });

  it('tampered payload: one character changed', async () => {
    expect.assertions(3);
    const [h, p, s] = (await mint()).split('.') as [string, string, string];
    const i = Math.floor(p.length / 2);
    const flipped = p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1);
    await expectRefused(`${h}.${flipped}.${s}`, undefined);
  });

  it('tampered payload: a claim changed, signature kept', async () => {
    expect.assertions(4);
    const [h, p, s] = (await mint()).split('.') as [string, string, string];
    const claims = unb64(p);
    await expectRefused(`${h}.${b64({ ...claims, jti: 'f'.repeat(32) })}.${s}`, 'bad_signature');
  });

  it('tampered signature', async () => {
    expect.assertions(4);
    const [h, p, s] = (await mint()).split('.') as [string, string, string];
    const i = 10; // a middle character: the last one may only carry padding bits
    await expectRefused(`${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`, 'bad_signature');
  });

  it('alg none, and HS256, are refused before any key is used', async () => {
    expect.assertions(8);
    const p = (await mint()).split('.')[1]!;
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${p}.`, 'bad_alg');
    await expectRefused(`${b64({ alg: 'HS256', typ: 'JWT' })}.${p}.c2ln`, 'bad_alg');
  });

  it.each([
    ['secp256k1', () => Secp256k1Keypair.create()],
    ['p256', () => P256Keypair.create()],
  ])('signed by a %s key that is not in the DID document', async (_name, makeKey) => {
    expect.assertions(4);
    const keypair = await makeKey();
    const token = await createServiceJwt({ iss: did, aud: OWN, lxm: LXM, exp: nowS() + 60, keypair });
    await expectRefused(token, 'bad_signature');
  });

  it('iss with a service fragment, even validly signed', async () => {
    expect.assertions(4);
    const token = await createServiceJwt({ iss: `${did}#atproto_labeler`, aud: OWN, lxm: LXM, exp: nowS() + 60, keypair: aliceKey });
    await expectRefused(token, 'bad_iss');
  });

  it('missing jti or iat, even validly signed', async () => {
    expect.assertions(8);
    const sign = async (payload: Record<string, unknown>) => {
      const input = `${b64({ typ: 'JWT', alg: aliceKey.jwtAlg })}.${b64(payload)}`;
      return `${input}.${Buffer.from(await aliceKey.sign(Buffer.from(input))).toString('base64url')}`;
    };
    const base = { iss: did, aud: OWN, lxm: LXM, iat: nowS(), exp: nowS() + 60, jti: 'abc123' };
    const { jti: _j, ...noJti } = base;
    const { iat: _i, ...noIat } = base;
    await expectRefused(await sign(noJti), 'bad_claims');
    await expectRefused(await sign(noIat), 'bad_claims');
  });

  it('an issuer DID that does not resolve', async () => {
    expect.assertions(4);
    const keypair = await Secp256k1Keypair.create();
    const token = await createServiceJwt({ iss: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', aud: OWN, lxm: LXM, exp: nowS() + 60, keypair });
    await expectRefused(token, 'did_unresolvable');
  });

  it.each([
    '', 'garbage', 'a.b', 'a.b.c.d', '...', 'eyJ.eyJ.', '{"alg":"ES256K"}', 'x'.repeat(10_000),
    `${b64([1])}.${b64({})}.AA`, `${b64({ alg: 'ES256K' })}.${b64('str')}.AA`, `${b64({ alg: 'ES256K' })}.bm90IGpzb24.AA`,
  ])('garbage %#', async (junk) => {
    expect.assertions(3);
    await expectRefused(junk, undefined);
  });
});
