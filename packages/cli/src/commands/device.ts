import { DeviceKey } from "@zkiris/device";
import type { Device } from "@zkiris/sdk";
import { backendOf, parseCommandArgs } from "../args.js";
import { type CliCommand, type CliIo, EXIT, HelpRequest, UsageError } from "../command.js";
import { DEFAULT_MOCK_SEED, DeviceBridge } from "../device/bridge.js";
import { KeyFileError, readKeyFile, writeKeyFile } from "../device/key-file.js";
import {
  type BridgeHttpServer,
  LOOPBACK_HOSTS,
  serveJsonLines,
  startBridgeHttp,
} from "../device/transports.js";
import { jsonLine, refusalsAsResults, SERVICE_OPTIONS, SERVICE_USAGE, withServiceClient } from "./service.js";

const KEYGEN_SYNOPSIS = "zkiris device keygen --out key.json [--force]";
const PUBKEY_SYNOPSIS = "zkiris device pubkey <key.json>";
const REGISTER_SYNOPSIS =
  "zkiris device register (--public-key AX,AY | --key key.json) [--registry URL] [--admin-token T]";
const REVOKE_SYNOPSIS = "zkiris device revoke <DEVICE_ID> [--registry URL] [--admin-token T]";
const BRIDGE_SYNOPSIS =
  "zkiris device bridge --key key.json [--http 127.0.0.1:PORT] [--registry URL] [--mock [--seed S]] [--backend ...]";

const KEYGEN_USAGE = `Usage:
  ${KEYGEN_SYNOPSIS}
      Generates a capture device key (EdDSA-Poseidon on BabyJubJub, from the system's secure random
      generator) and writes it to --out with mode 0600. Refuses to replace an existing file unless
      --force (which replaces it atomically). Prints {"file","publicKey","deviceId"} as one JSON line:
      register the public key with the registry (POST /devices) through a trusted channel.
      Exit code 0 written, 1 refused (the file exists), 2 usage error, 3 internal error.
`;

const PUBKEY_USAGE = `Usage:
  ${PUBKEY_SYNOPSIS}
      Prints the public key and device id of a key file as one JSON line {"publicKey","deviceId"}.
      Exit code 0, 1 when the key file is refused (unreadable, readable by others, malformed), 2
      usage error, 3 internal error.
`;

const REGISTER_USAGE = `Usage:
  ${REGISTER_SYNOPSIS}
      Registers a capture device with a running server as a trusted device (admin, POST /devices):
      its EdDSA-Poseidon public key as two decimal coordinates (what 'device keygen' and 'device
      pubkey' print), or read from the device's key file (only the public key is sent). Prints the
      device {"id","slot","publicKey","registeredAt","revokedAt"} as one JSON line.
${SERVICE_USAGE}
      Exit code 0 registered, 1 refused (DUPLICATE_DEVICE, REGISTRY_FULL, UNAUTHORIZED, a refused
      key file, an unreachable server), 2 usage error, 3 internal error.
`;

const REVOKE_USAGE = `Usage:
  ${REVOKE_SYNOPSIS}
      Revokes a registered device (admin, POST /devices/ID/revoke): its captures are refused from
      now on, and its leaf in the device registry tree becomes 0 (liveness-bound votes made with the
      previous device root stop verifying once the server's device root window has passed). DEVICE_ID
      is the decimal device id ('device pubkey' prints it). Prints the device as one JSON line.
${SERVICE_USAGE}
      Exit code 0 revoked, 1 refused (UNKNOWN_DEVICE, DEVICE_REVOKED, UNAUTHORIZED, an unreachable
      server), 2 usage error, 3 internal error.
`;

const BRIDGE_USAGE = `Usage:
  ${BRIDGE_SYNOPSIS}
      The device bridge for capture firmware and the mock device: JSON lines on stdin/stdout (one
      request object per line, one response per line) and, with --http, the same protocol on local
      HTTP (GET /info, POST /capture, POST /enrol on a loopback address only; PORT 0 picks a free
      port, printed on stderr). It encodes raw frames or image files with the quality gates, signs
      the capture packet for the registry's challenge with the device key and hands the packet back,
      or with --registry URL fetches a challenge and enrols (POST /challenges, POST /enrolments).
      --mock synthesises the eye with @zkiris/mock-capture (subject seed --seed, default
      ${DEFAULT_MOCK_SEED}; capture seeds 1, 2, ...) when a request names no image.
      The protocol: packages/cli/docs/device-bridge-protocol.md. Without --http the bridge stops at
      the end of stdin; with --http on SIGINT or SIGTERM.
      Exit code 0 on a clean stop, 1 when the key file is refused or the address is taken, 2 usage
      error, 3 internal error.
`;

const USAGE = `Usage:
  ${KEYGEN_SYNOPSIS}
  ${PUBKEY_SYNOPSIS}
  ${REGISTER_SYNOPSIS}
  ${REVOKE_SYNOPSIS}
  ${BRIDGE_SYNOPSIS}
      Capture device keys, their registration and revocation with a running server (admin), and
      the device bridge; 'zkiris device <subcommand> --help' for each.
`;

/**
 * `zkiris device`: device keys (`keygen`, `pubkey`), their registration with a server (`register`,
 * `revoke`, admin) and the device bridge (`bridge`).
 */
export const deviceCommand: CliCommand = {
  name: "device",
  synopsis: "zkiris device keygen|pubkey|register|revoke|bridge ...",
  summary:
    "Capture device keys, their registration and revocation with a server (admin), and the device bridge for firmware and the mock device.",
  usage: USAGE,
  run: device,
};

async function device(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h") throw new HelpRequest(USAGE);
  if (sub === undefined)
    throw new UsageError("device needs a subcommand: keygen, pubkey, register, revoke or bridge", USAGE);
  try {
    if (sub === "keygen") return await keygen(rest, io);
    if (sub === "pubkey") return await pubkey(rest, io);
    if (sub === "register") return await refusalsAsResults("device", io, () => register(rest, io));
    if (sub === "revoke") return await refusalsAsResults("device", io, () => revoke(rest, io));
    if (sub === "bridge") return await bridge(rest, io);
  } catch (error) {
    // Refusals of a key file are results (exit code 1), printed as one line like other errors.
    if (error instanceof KeyFileError) {
      io.stderr(`zkiris: ${error.code}: ${error.message}\n`);
      return EXIT.FAILED;
    }
    throw error;
  }
  throw new UsageError(
    `Unknown device subcommand '${sub}'; expected keygen, pubkey, register, revoke or bridge`,
    USAGE,
  );
}

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

const deviceJson = (d: Device) => ({
  id: d.id,
  slot: d.slot,
  publicKey: d.publicKey,
  registeredAt: d.registeredAt,
  revokedAt: d.revokedAt,
});

async function register(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { ...SERVICE_OPTIONS, "public-key": { type: "string" }, key: { type: "string" } },
    REGISTER_USAGE,
    { positionals: false },
  );
  if ((values["public-key"] === undefined) === (values.key === undefined))
    throw new UsageError(
      "device register needs --public-key AX,AY or --key FILE (one of them)",
      REGISTER_USAGE,
    );
  let publicKey: readonly [bigint, bigint];
  if (values.key !== undefined) {
    publicKey = (await readKeyFile(values.key)).publicKey;
  } else {
    const parts = values["public-key"]!.split(",").map((c) => c.trim());
    if (parts.length !== 2 || !parts.every((c) => DECIMAL.test(c)))
      throw new UsageError(
        `Option '--public-key' must be two decimal coordinates AX,AY, received ${values["public-key"]}`,
        REGISTER_USAGE,
      );
    publicKey = [BigInt(parts[0]!), BigInt(parts[1]!)];
  }
  return withServiceClient(values, REGISTER_USAGE, async (client) => {
    io.stdout(jsonLine(deviceJson(await client.registerDevice(publicKey))));
    return EXIT.OK;
  });
}

async function revoke(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, SERVICE_OPTIONS, REVOKE_USAGE);
  if (positionals.length !== 1 || !DECIMAL.test(positionals[0]!))
    throw new UsageError("device revoke needs exactly one decimal DEVICE_ID", REVOKE_USAGE);
  return withServiceClient(values, REVOKE_USAGE, async (client) => {
    io.stdout(jsonLine(deviceJson(await client.revokeDevice(BigInt(positionals[0]!)))));
    return EXIT.OK;
  });
}

async function keygen(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { out: { type: "string" }, force: { type: "boolean" } },
    KEYGEN_USAGE,
    {
      positionals: false,
    },
  );
  if (values.out === undefined) throw new UsageError("device keygen needs --out FILE", KEYGEN_USAGE);
  const key = DeviceKey.generate();
  await writeKeyFile(values.out, key, { force: values.force === true });
  io.stdout(`${JSON.stringify({ file: values.out, ...key.toJSON() })}\n`);
  return EXIT.OK;
}

async function pubkey(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, PUBKEY_USAGE);
  if (positionals.length !== 1)
    throw new UsageError("device pubkey needs exactly one key file", PUBKEY_USAGE);
  const key = await readKeyFile(positionals[0]!);
  io.stdout(`${JSON.stringify(key.toJSON())}\n`);
  return EXIT.OK;
}

const BRIDGE_OPTIONS = {
  key: { type: "string" },
  http: { type: "string" },
  registry: { type: "string" },
  mock: { type: "boolean" },
  seed: { type: "string" },
  backend: { type: "string" },
} as const;

/** `host:port` of --http, loopback only. */
function listenAddressOf(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):([0-9]{1,5})$/.exec(value);
  const host = m ? (m[1] ?? m[2]!) : "";
  const port = m ? Number(m[3]) : -1;
  if (!m || port > 65535)
    throw new UsageError(
      `Option '--http' must be HOST:PORT (e.g. 127.0.0.1:8787), received ${value}`,
      BRIDGE_USAGE,
    );
  if (!LOOPBACK_HOSTS.includes(host))
    throw new UsageError(
      `Option '--http' must name a loopback address (${LOOPBACK_HOSTS.join(", ")}); the bridge holds the device key and never listens beyond this machine, received ${host}`,
      BRIDGE_USAGE,
    );
  return { host, port };
}

async function bridge(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, BRIDGE_OPTIONS, BRIDGE_USAGE, { positionals: false });
  if (values.key === undefined) throw new UsageError("device bridge needs --key FILE", BRIDGE_USAGE);
  if (values.seed !== undefined && values.mock !== true)
    throw new UsageError("Option '--seed' is the mock eye's seed and needs --mock", BRIDGE_USAGE);
  if (values.seed === "") throw new UsageError("Option '--seed' must not be empty", BRIDGE_USAGE);
  const listen = values.http === undefined ? undefined : listenAddressOf(values.http);
  let registry: string | undefined;
  if (values.registry !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(values.registry);
    } catch {}
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:"))
      throw new UsageError(
        `Option '--registry' must be an http or https URL, received ${values.registry}`,
        BRIDGE_USAGE,
      );
    registry = values.registry;
  }
  const backend = backendOf(values.backend, BRIDGE_USAGE);
  const key = await readKeyFile(values.key);
  const bridge = await DeviceBridge.create({
    key,
    registry,
    mock: values.mock === true,
    mockSeed: values.seed,
    backend,
    onInternalError: (error) =>
      io.stderr(
        `zkiris device bridge: internal error: ${error instanceof Error ? error.message.split("\n", 1)[0] : String(error)}\n`,
      ),
  });
  let http: BridgeHttpServer | undefined;
  try {
    if (listen) {
      try {
        http = await startBridgeHttp(bridge, listen.host, listen.port);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== "EADDRINUSE" && code !== "EACCES" && code !== "EADDRNOTAVAIL") throw error;
        io.stderr(
          `zkiris: ${code}: the bridge cannot listen on ${values.http} (${(error as Error).message})\n`,
        );
        return EXIT.FAILED;
      }
    }
    io.stderr(
      `zkiris device bridge: device ${key.deviceId}, protocol 1, ${http ? `http ${http.url}, ` : ""}json lines on stdin${registry ? `, registry ${registry}` : ""}${values.mock ? ", mock eye" : ""}\n`,
    );
    const stop = new AbortController();
    const stdio = io.stdin
      ? serveJsonLines(bridge, io.stdin, (line) => io.stdout(line), stop.signal)
      : Promise.resolve();
    if (http) {
      await (io.waitForStop ? io.waitForStop() : new Promise<never>(() => {}));
      // Stop reading stdin (its open pipe would keep the process alive), then finish what was read.
      stop.abort();
      const input = io.stdin as { destroy?: () => void } | undefined;
      input?.destroy?.();
    }
    await stdio;
  } finally {
    await http?.close();
    bridge.close();
  }
  return EXIT.OK;
}
