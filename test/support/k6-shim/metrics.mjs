// Metric samples are collected for run-bundle.mjs to print.
export const samples = {};
class Metric {
  constructor(name) {
    this.name = name;
    samples[name] ??= [];
  }
  add(value, tags) {
    samples[this.name].push({ value, tags: tags ?? {} });
  }
}
export class Counter extends Metric {}
export class Trend extends Metric {}
export class Gauge extends Metric {}
export class Rate extends Metric {}
export default { Counter, Trend, Gauge, Rate };
