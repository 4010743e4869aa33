// Worker thread of `zkiris accuracy` (started by EncodePool): encodes one image file and its
// degraded copies per message with an IrisEncoder of its own.
import { parentPort, workerData } from "node:worker_threads";
import { type BackendPreference, IrisEncoder } from "@zkiris/encoder";
import { type EncodeRequest, type EncodeResponse, encodeImageKinds } from "./encode-image-kinds.js";

const port = parentPort;
if (port && (workerData as { zkirisEncodeWorker?: boolean } | undefined)?.zkirisEncodeWorker) {
  const backend = (workerData as { backend: BackendPreference }).backend;
  const ready = IrisEncoder.create({ backend });
  port.on("message", async (request: EncodeRequest | "close") => {
    if (request === "close") {
      (await ready).close();
      port.close();
      return;
    }
    let response: EncodeResponse;
    try {
      response = {
        id: request.id,
        outcomes: await encodeImageKinds(await ready, request.file, request.kinds, request.seed),
      };
    } catch (error) {
      response = {
        id: request.id,
        outcomes: [],
        fatal: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
    }
    port.postMessage(response);
  });
}
