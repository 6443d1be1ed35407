// oidc-provider configured like motcua's token endpoint, for bench/run-oidc:
// one confidential client with client_credentials and client_secret_basic,
// JWT access tokens (RFC 9068) signed with EdDSA (Ed25519), the default
// in-memory storage, production mode.
//
//   node server.mjs PORT ISSUER CLIENT_ID CLIENT_SECRET
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const [port, issuer, clientId, clientSecret] = process.argv.slice(2);
const { privateKey } = generateKeyPairSync("ed25519");
const jwk = { ...privateKey.export({ format: "jwk" }), alg: "EdDSA", use: "sig", kid: "bench" };
const resource = `${issuer}/api`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "EdDSA",
      scope: "pid",
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ["openid", "pid"],
  enabledJWA: { idTokenSigningAlgValues: ["EdDSA"] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      getResourceServerInfo: () => ({
        scope: "pid",
        audience: resource,
        accessTokenTTL: 300,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "EdDSA" } },
      }),
      useGrantedResource: () => true,
    },
  },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider ${issuer} listening on 127.0.0.1:${port}`);
});
