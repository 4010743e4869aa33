import { packageTestConfig } from "../../vitest.shared";

export default packageTestConfig({ testTimeout: 120_000 });
