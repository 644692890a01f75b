// Bundles the k6 entry points into single ES-module files in dist/.
//   K6_REDIS=xk6 (default): imports k6/x/redis and declares it on the first
//     line for k6's automatic extension resolution (k6 v1.2+ and v2).
//   K6_REDIS=experimental: imports k6/experimental/redis (k6 v0.40 to v1.x).
//   BUNDLE_OUT_DIR: output directory (default dist/), used by the bundle tests.
const path = require("node:path");
const webpack = require("webpack");

const flavours = {
  xk6: { redisModule: "k6/x/redis", banner: '"use k6 with k6/x/redis";' },
  experimental: { redisModule: "k6/experimental/redis", banner: null },
};
const flavourName = process.env.K6_REDIS || "xk6";
const flavour = flavours[flavourName];
if (!flavour) {
  console.error(`K6_REDIS=${JSON.stringify(flavourName)} is invalid: expected one of ${Object.keys(flavours).join(", ")}`);
  process.exit(2);
}

module.exports = {
  mode: "production",
  target: "es2020",
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
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: { loader: "babel-loader", options: { presets: ["@babel/preset-typescript"], babelrc: false, configFile: false } },
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
