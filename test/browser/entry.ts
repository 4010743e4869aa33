// What a dApp or voting page imports: bundled for browsers by test/browser.test.ts.
import { DeviceError, parseCapturePacket, verifyCapture } from "@zkiris/device";
import { DEFAULT_PROFILE, fromJson, matchCodes, templateCommitment } from "@zkiris/iris-code";
import { fetchMatchArtifacts, verifyMatch } from "@zkiris/match-proof";

(globalThis as Record<string, unknown>).zkiris = {
  DEFAULT_PROFILE,
  DeviceError,
  fetchMatchArtifacts,
  fromJson,
  matchCodes,
  parseCapturePacket,
  templateCommitment,
  verifyCapture,
  verifyMatch,
};
