// node --import ./register.mjs: k6's modules resolve to the stand-ins in this folder.
import { register } from "node:module";

register("./resolve.mjs", import.meta.url);
