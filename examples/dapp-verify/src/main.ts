/**
 * Starts the dApp backend (`npm start` in examples/dapp-verify):
 *
 *   ZKIRIS_URL          the zkiris service (`zkiris serve`), default http://127.0.0.1:8080
 *   ZKIRIS_GROUP        its biometric group whose members act, default `humans`
 *   ZKIRIS_PLAIN_GROUP  a plain group whose Semaphore proofs are also taken; none by default
 *   DAPP_DB             the SQLite file of nullifiers and challenges, default ./dapp-verify.sqlite
 *   HOST, PORT          where to listen, default 127.0.0.1:8090
 *
 * UniqueAction and the verifier are deployed in an in-process EVM at start; it lives as long as the process.
 */
import { loadLivenessVoteArtifacts } from "@zkiris/match-proof";
import { ActionStore } from "./action-store.js";
import { UniqueActionChain } from "./chain.js";
import { LIVENESS_ARTIFACTS_DIR } from "./paths.js";
import { HttpRegistrySource } from "./registry-source.js";
import { buildDappServer } from "./server.js";

const env = process.env;
const baseUrl = env.ZKIRIS_URL ?? "http://127.0.0.1:8080";
const groupId = env.ZKIRIS_GROUP ?? "humans";
const plainGroupId = env.ZKIRIS_PLAIN_GROUP;
const database = env.DAPP_DB ?? "dapp-verify.sqlite";
const host = env.HOST ?? "127.0.0.1";
const port = Number(env.PORT ?? 8090);

const artifacts = await loadLivenessVoteArtifacts(LIVENESS_ARTIFACTS_DIR);
const store = new ActionStore(database);
const registry = new HttpRegistrySource({ baseUrl, groupId, ...(plainGroupId ? { plainGroupId } : {}) });
const chain = await UniqueActionChain.deploy();
const app = await buildDappServer({ store, registry, chain, artifacts, log: true });
await app.listen({ host, port });
console.log(
  `dapp-verify on http://${host}:${port}: zkiris ${baseUrl}, biometric group '${groupId}'${plainGroupId ? `, plain group '${plainGroupId}'` : ""}, store ${database}; ` +
    `in-process EVM: Groth16Verifier ${chain.verifierAddress}, UniqueAction ${chain.address} (${artifacts.manifest.label})`,
);

const stop = async () => {
  await app.close();
  store.close();
  await registry.close();
  await artifacts.close();
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
