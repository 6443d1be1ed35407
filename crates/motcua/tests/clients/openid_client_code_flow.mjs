// The authorization code flow with PKCE, run by openid-client (the
// certified Node.js relying-party library) against motcua's identity
// provider. The test suite drives the browser; this script is the relying
// party: it prints the authorization URL, waits for the browser to come
// back to its redirect URI, redeems the code (checking state, nonce, the
// ID token's signature, issuer, audience and expiry), asks UserInfo, and
// prints what it got as one JSON line.
//
// Environment: ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_PORT, and
// optionally ACR_VALUES.
import http from 'node:http';
import * as client from 'openid-client';

const { ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_PORT, ACR_VALUES } = process.env;
const redirectUri = `http://127.0.0.1:${REDIRECT_PORT}/cb`;

const fail = (message) => {
  process.stdout.write(JSON.stringify({ error: String(message) }) + '\n');
  process.exit(1);
};
setTimeout(() => fail('no redirect within 90 seconds'), 90_000).unref();

const config = await client.discovery(
  new URL(ISSUER),
  CLIENT_ID,
  { client_secret: CLIENT_SECRET, id_token_signed_response_alg: 'EdDSA' },
  client.ClientSecretBasic(CLIENT_SECRET),
  // the test provider listens on plain http on the loopback interface
  { execute: [client.allowInsecureRequests] },
);

const verifier = client.randomPKCECodeVerifier();
const challenge = await client.calculatePKCECodeChallenge(verifier);
const state = client.randomState();
const nonce = client.randomNonce();
const params = {
  redirect_uri: redirectUri,
  scope: 'openid profile pid',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  state,
  nonce,
};
if (ACR_VALUES) params.acr_values = ACR_VALUES;
const url = client.buildAuthorizationUrl(config, params);

const server = http.createServer(async (req, res) => {
  const current = new URL(req.url, redirectUri);
  if (current.pathname !== '/cb') {
    res.writeHead(404).end();
    return;
  }
  try {
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>RP</title><h1 id="rp-done">logged in</h1>');
    process.stdout.write(JSON.stringify({
      claims,
      userinfo,
      token_type: tokens.token_type,
      refresh_token: Boolean(tokens.refresh_token),
    }) + '\n');
    server.close();
    process.exit(0);
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(e));
    fail(`${e.name}: ${e.message} ${e.cause ? JSON.stringify(e.cause) : ''}`);
  }
});
server.listen(Number(REDIRECT_PORT), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ authorization_url: url.href }) + '\n');
});
