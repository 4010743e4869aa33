import { describe, expect, it } from "vitest";
import { Registry } from "../src/index.js";
import { Lifecycle, WriteLock } from "../src/service-shared.js";

describe("WriteLock", () => {
  it("runs sections one after the other in call order, and a failed one does not stop the next", async () => {
    const lock = new WriteLock();
    const order: string[] = [];
    const step = (name: string, ms: number, fail = false) =>
      lock.run(async () => {
        order.push(`${name} start`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        order.push(`${name} end`);
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([step("a", 20), step("b", 1, true), step("c", 1)]);
    expect(order).toEqual(["a start", "a end", "b start", "b end", "c start", "c end"]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      "a",
      "b failed",
      "c",
    ]);
  });
});

describe("Lifecycle", () => {
  it("closes once and then refuses with CLOSED", () => {
    const lifecycle = new Lifecycle();
    lifecycle.assertOpen();
    expect(lifecycle.close()).toBe(true);
    expect(lifecycle.close()).toBe(false);
    expect(lifecycle.closed).toBe(true);
    expect(() => lifecycle.assertOpen()).toThrow(
      expect.objectContaining({ code: "CLOSED", message: "The registry is closed" }),
    );
  });
});

describe("Registry.services", () => {
  it("are the services the facade delegates to, sharing its state and its close", async () => {
    const registry = await Registry.open({ database: ":memory:", searchWorkers: 0, verifierWorkers: 0 });
    const { services } = registry;
    expect(Object.isFrozen(services)).toBe(true);
    expect(Object.keys(services)).toEqual([
      "devices",
      "challenges",
      "groups",
      "enrolment",
      "recovery",
      "polls",
    ]);
    await services.groups.createGroup({ id: "g", kind: "plain" });
    expect(registry.groups()).toEqual([services.groups.group("g")]);
    const { challenge } = await services.challenges.issueChallenge();
    expect(await registry.repository.getChallenge(challenge.toString())).toMatchObject({ usedAt: null });
    expect(registry.deviceRegistry()).toEqual(services.devices.deviceRegistry());
    await registry.close();
    await expect(services.polls.polls()).rejects.toMatchObject({ code: "CLOSED" });
    expect(() => services.groups.group("g")).toThrow(expect.objectContaining({ code: "CLOSED" }));
  });
});
