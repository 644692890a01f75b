import { strict as assert } from "node:assert";
import { createPayloadFactory, MIN_PAYLOAD_BYTES } from "../../src/publish/payload";

const CREATED = "2025-01-02T03:04:05.678Z";

describe("payload factory", () => {
  for (const bytes of [MIN_PAYLOAD_BYTES, 64, 100, 256, 300, 512, 1024, 4096, 65_536, 1_048_576]) {
    it(`makes a JSON object of exactly ${bytes} bytes for any sequence number`, () => {
      const make = createPayloadFactory(bytes, CREATED);
      for (const seq of [0, 7, 123_456, 999_999_999_999_999]) {
        const text = make(seq);
        assert.equal(Buffer.byteLength(text, "utf8"), bytes);
        const obj = JSON.parse(text) as { ref: string };
        assert.equal(typeof obj, "object");
        assert.equal(Number(obj.ref), seq);
      }
    });
  }

  it("looks like an order once there is room", () => {
    const obj = JSON.parse(createPayloadFactory(2048, CREATED)(1)) as Record<string, unknown>;
    assert.equal(obj.type, "order.created");
    assert.equal(obj.created_at, CREATED);
    assert.ok(Array.isArray(obj.items) && obj.items.length > 3, JSON.stringify(obj.items));
  });

  it("refuses a size below the smallest payload", () => {
    assert.throws(() => createPayloadFactory(MIN_PAYLOAD_BYTES - 1, CREATED), /at least/);
  });
});
