const SHIMS = {
  k6: "k6.mjs",
  "k6/execution": "execution.mjs",
  "k6/metrics": "metrics.mjs",
  "k6/http": "http.mjs",
  "k6/x/redis": "redis.mjs",
  "k6/experimental/redis": "redis.mjs",
};

export async function resolve(specifier, context, next) {
  const shim = SHIMS[specifier];
  if (shim !== undefined) return { url: new URL(shim, import.meta.url).href, shortCircuit: true };
  if (specifier.startsWith("k6/")) throw new Error(`k6 shim: no stand-in for ${specifier}`);
  return next(specifier, context);
}
