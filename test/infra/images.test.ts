import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { load } from "js-yaml";
import { containersOf, parseObjects, renderKustomization } from "./support/kubernetes";
import { dockerfileBaseImages, ROOT, renderTestRun } from "./support/scripts";

interface ImageUse {
  where: string;
  image: string;
}

function dockerfilesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /(^|\/)Dockerfile[^/]*$/.test(f))
    .map((f) => relative(ROOT, join(ROOT, dir, f)));
}

// Every image the cluster path pulls: manifests of each size and of monitoring, the TestRun, the
// kind node, and the bases of the Dockerfiles under kind/ and mock-webhook/. Images built here and loaded into kind
// (imagePullPolicy Never) are versioned by their Dockerfiles, which are in the list.
function pulledImages(): ImageUse[] {
  const uses: ImageUse[] = [];
  const fromObjects = (label: string, yamlText: string): void => {
    for (const o of parseObjects(yamlText))
      for (const c of containersOf(o))
        if (c.imagePullPolicy !== "Never")
          uses.push({ where: `${label} ${o.metadata.name}/${c.name}`, image: c.image });
  };
  for (const size of ["small", "medium", "large"])
    fromObjects(size, renderKustomization(join(ROOT, "kind/sizes", size)));
  fromObjects("monitoring", renderKustomization(join(ROOT, "monitoring")));
  const testRun = renderTestRun(2, "run-images");
  for (const part of ["initializer", "runner", "starter"]) {
    const spec = testRun.spec[part];
    assert.ok(spec?.image, `the TestRun leaves the ${part} image to the operator's default`);
    if (spec.imagePullPolicy !== "Never") uses.push({ where: `TestRun ${part}`, image: spec.image });
  }
  const cluster = load(readFileSync(join(ROOT, "kind/cluster.yaml"), "utf8")) as { nodes: { image: string }[] };
  for (const n of cluster.nodes) uses.push({ where: "kind/cluster.yaml", image: n.image });
  for (const f of [...dockerfilesUnder("kind"), ...dockerfilesUnder("mock-webhook")])
    for (const image of dockerfileBaseImages(f)) uses.push({ where: f, image });
  return uses;
}

// PostgreSQL versions are MAJOR.MINOR since 10 (postgresql.org/support/versioning): 17.11 is exact.
const TWO_PART_VERSIONS = new Set(["postgres"]);

function parseImage(image: string): { repo: string; tag: string; digest: string | null } {
  const [name, digest] = image.split("@");
  const colon = name.lastIndexOf(":");
  const hasTag = colon > name.lastIndexOf("/");
  return {
    repo: hasTag ? name.slice(0, colon) : name,
    tag: hasTag ? name.slice(colon + 1) : "",
    digest: digest ?? null,
  };
}

// Why an image reference may float: it names no exact release and carries no digest.
function floatingProblem(image: string): string | null {
  const { repo, tag, digest } = parseImage(image);
  if (digest !== null) return /^sha256:[0-9a-f]{64}$/.test(digest) ? null : `bad digest ${digest}`;
  if (tag === "" || /latest/.test(tag)) return "no exact tag";
  const parts = /^v?(\d+(?:\.\d+)*)/.exec(tag.replace(/^[a-z]+-(?=v?\d)/, ""))?.[1].split(".").length ?? 0;
  const needed = TWO_PART_VERSIONS.has(repo.split("/").pop()!) ? 2 : 3;
  return parts >= needed ? null : `tag ${tag} names a series, not a release`;
}

describe("images of the cluster path", function () {
  this.timeout(60_000);
  let uses: ImageUse[] = [];
  before(() => {
    uses = pulledImages();
  });

  it("pins every image to an exact release (or a digest)", () => {
    assert.ok(uses.length > 10, `only ${uses.length} images found`);
    const problems = uses.flatMap(({ where, image }) => {
      const p = floatingProblem(image);
      return p ? [`${where}: ${image}: ${p}`] : [];
    });
    assert.deepEqual(problems, []);
    // Would catch the tags this check was written against.
    for (const floating of ["redis:7.4-alpine", "node:20-bookworm-slim", "ghcr.io/grafana/k6-operator:latest-starter"])
      assert.ok(floatingProblem(floating), floating);
  });

  it("builds on a Node.js in support (22 or newer; Node 20 reached end of life in 2026-04)", () => {
    const nodes = uses.filter((u) => parseImage(u.image).repo === "node");
    assert.ok(
      nodes.some((n) => n.where === "mock-webhook/Dockerfile"),
      "the mock's Dockerfile is checked",
    );
    for (const n of nodes) assert.ok(Number(parseImage(n.image).tag.split(".")[0]) >= 22, `${n.where}: ${n.image}`);
  });

  it("uses kind's node image by its digest", () => {
    const nodes = uses.filter((u) => parseImage(u.image).repo === "kindest/node");
    assert.ok(nodes.length > 0);
    for (const n of nodes) assert.ok(parseImage(n.image).digest, `${n.image} has no digest`);
  });

  it("runs a RabbitMQ series in community support (4.3, the latest minor series as of 2026-08)", () => {
    // rabbitmq-server COMMUNITY_SUPPORT.md: only the latest minor series of the latest major gets
    // community support; docker-library/official-images library/rabbitmq lists 4.3.5 as newest.
    const rabbit = uses.filter((u) => parseImage(u.image).repo === "rabbitmq");
    assert.ok(rabbit.length > 0);
    for (const r of rabbit) {
      const [major, minor] = parseImage(r.image).tag.split(/[.-]/).map(Number);
      assert.ok(major > 4 || (major === 4 && minor >= 3), `${r.where}: ${r.image} is out of community support`);
    }
  });
});
