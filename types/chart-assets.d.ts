// webpack bundles these files as strings (asset/source in webpack.config.js).
declare module "uplot/dist/uPlot.iife.min.js" {
  const source: string;
  export default source;
}
declare module "uplot/dist/uPlot.min.css" {
  const source: string;
  export default source;
}
