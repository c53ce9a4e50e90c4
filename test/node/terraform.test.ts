// Static checks of terraform/*.tf. No `terraform` binary exists on the development machines, so
// the HCL is parsed with @cdktf/hcl2json and the properties production depends on are asserted on
// its JSON form: declared variables, no internet-facing ingress to RDS or Electric, logical
// replication, a safe RDS instance, pinned images and providers, Hyperdrive without caching,
// documented outputs, and references that resolve. Each check returns a list of problems; the
// second block mutates a copy of the parsed configuration to show every check can fail.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "@cdktf/hcl2json";
import { beforeAll, describe, expect, it } from "vitest";

type Json = Record<string, unknown>;
interface TfFile {
  name: string;
  json: Json;
}
type Tf = TfFile[];
interface Named {
  name: string;
  body: Json;
}

const TERRAFORM_DIR = fileURLToPath(new URL("../../terraform/", import.meta.url));
const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);
const PINNED_TAG = /^\d+\.\d+\.\d+$/;
const IMAGES = ["electricsql/electric", "cloudflare/cloudflared"];

async function loadTerraform(): Promise<Tf> {
  const names = readdirSync(TERRAFORM_DIR)
    .filter((name) => name.endsWith(".tf"))
    .sort();
  const files: Tf = [];
  for (const name of names) {
    const json: unknown = await parse(name, readFileSync(TERRAFORM_DIR + name, "utf8"));
    if (!isRecord(json)) throw new Error(`${name}: hcl2json returned ${typeof json}`);
    files.push({ name, json });
  }
  return files;
}

// --- Reading hcl2json's shape ---------------------------------------------------------------
// Blocks become `{ kind: { label: [body, …] } }` (resources and data sources one level deeper:
// `{ resource: { type: { name: [body] } } }`), nested blocks become arrays of objects, attribute
// objects stay objects, and any expression is a string wrapped in `${…}`.

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A nested block or attribute object, whichever syntax was used, as a list of bodies. */
function bodies(value: unknown): Json[] {
  if (Array.isArray(value)) return value.filter(isRecord);
  return isRecord(value) ? [value] : [];
}

function labelled(section: unknown): Named[] {
  if (!isRecord(section)) return [];
  return Object.entries(section).flatMap(([name, list]) =>
    bodies(list).map((body) => ({ name, body })),
  );
}

function blocks(tf: Tf, kind: "variable" | "output"): Named[] {
  return tf.flatMap((file) => labelled(file.json[kind]));
}

function resources(tf: Tf, type: string): Named[] {
  return tf.flatMap((file) => {
    const section = file.json.resource;
    return isRecord(section) ? labelled(section[type]) : [];
  });
}

function terraformBlocks(tf: Tf): Json[] {
  return tf.flatMap((file) => bodies(file.json.terraform));
}

function locals(tf: Tf): Json {
  return Object.assign({}, ...tf.flatMap((file) => bodies(file.json.locals)));
}

/** Every string under `value`, skipping the values of the given keys. */
function strings(value: unknown, skipKeys: readonly string[] = []): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap((item) => strings(item, skipKeys));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    skipKeys.includes(key) ? [] : strings(item, skipKeys),
  );
}

function lookup(tf: Tf, kind: string, name: string): unknown {
  if (kind === "var") return blocks(tf, "variable").find((v) => v.name === name)?.body.default;
  return locals(tf)[name];
}

/** Substitutes `${var.x}` (its default) and `${local.x}`; anything else is left as written. */
function resolve(tf: Tf, value: unknown, depth = 0): unknown {
  if (typeof value !== "string" || depth > 10) return value;
  const whole = /^\$\{(var|local)\.([\w-]+)\}$/.exec(value);
  if (whole) {
    const target = lookup(tf, whole[1] ?? "", whole[2] ?? "");
    return target === undefined ? value : resolve(tf, target, depth + 1);
  }
  return value.replace(/\$\{(var|local)\.([\w-]+)\}/g, (match, kind: string, name: string) => {
    const target = resolve(tf, lookup(tf, kind, name), depth + 1);
    return typeof target === "string" || typeof target === "number" ? String(target) : match;
  });
}

/** A list attribute (or a single value) as resolved strings. */
function stringList(tf: Tf, value: unknown): string[] {
  const resolved = resolve(tf, value);
  return (Array.isArray(resolved) ? resolved : [resolved])
    .map((item) => resolve(tf, item))
    .filter((item): item is string => typeof item === "string");
}

/** The resource name in `${<type>.<name>.<attribute>}`, if that is what the expression is. */
function referenced(value: unknown, type: string): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = new RegExp(`^\\$\\{${type}\\.([\\w-]+)\\.\\w+\\}$`).exec(value);
  return match?.[1];
}

function nonEmpty(value: unknown): boolean {
  return typeof value === "string" && value.trim() !== "";
}

// --- The checks ------------------------------------------------------------------------------

/** 1. Every `var.X` is declared; every variable has a description and a type. */
function checkVariables(tf: Tf): string[] {
  const declared = new Map(blocks(tf, "variable").map((v) => [v.name, v.body]));
  const problems: string[] = [];
  for (const file of tf) {
    for (const text of strings(file.json)) {
      for (const match of text.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g)) {
        const name = match[1] ?? "";
        if (!declared.has(name)) problems.push(`${file.name}: var.${name} is not declared`);
      }
    }
  }
  for (const [name, body] of declared) {
    if (!nonEmpty(body.description)) problems.push(`variable "${name}" has no description`);
    if (body.type === undefined) problems.push(`variable "${name}" has no type`);
  }
  return [...new Set(problems)];
}

interface IngressRule {
  where: string;
  target: string | undefined;
  cidrs: string[];
  sourceGroups: (string | undefined)[];
}

/** Inline `ingress` blocks, `aws_security_group_rule` (type ingress) and the VPC ingress rules. */
function ingressRules(tf: Tf): IngressRule[] {
  const sg = (value: unknown) => referenced(value, "aws_security_group");
  const inline = resources(tf, "aws_security_group").flatMap(({ name, body }) =>
    bodies(body.ingress).map((rule) => ({
      where: `aws_security_group.${name} ingress`,
      target: name,
      cidrs: [...stringList(tf, rule.cidr_blocks), ...stringList(tf, rule.ipv6_cidr_blocks)],
      sourceGroups: stringList(tf, rule.security_groups).map(sg),
    })),
  );
  const legacy = resources(tf, "aws_security_group_rule")
    .filter(({ body }) => resolve(tf, body.type) === "ingress")
    .map(({ name, body }) => ({
      where: `aws_security_group_rule.${name}`,
      target: sg(body.security_group_id),
      cidrs: [...stringList(tf, body.cidr_blocks), ...stringList(tf, body.ipv6_cidr_blocks)],
      sourceGroups:
        body.source_security_group_id === undefined ? [] : [sg(body.source_security_group_id)],
    }));
  const vpc = resources(tf, "aws_vpc_security_group_ingress_rule").map(({ name, body }) => ({
    where: `aws_vpc_security_group_ingress_rule.${name}`,
    target: sg(body.security_group_id),
    cidrs: [...stringList(tf, body.cidr_ipv4), ...stringList(tf, body.cidr_ipv6)],
    sourceGroups:
      body.referenced_security_group_id === undefined
        ? []
        : [sg(body.referenced_security_group_id)],
  }));
  return [...inline, ...legacy, ...vpc];
}

function databaseGroups(tf: Tf): string[] {
  return resources(tf, "aws_db_instance")
    .flatMap(({ body }) => stringList(tf, body.vpc_security_group_ids))
    .map((value) => referenced(value, "aws_security_group") ?? value);
}

function electricGroups(tf: Tf): string[] {
  return resources(tf, "aws_ecs_service")
    .flatMap(({ body }) => bodies(body.network_configuration))
    .flatMap((network) => stringList(tf, network.security_groups))
    .map((value) => referenced(value, "aws_security_group") ?? value);
}

/** 2. Nothing from 0.0.0.0/0 or ::/0 reaches RDS or Electric; RDS admits only Electric's group. */
function checkIngress(tf: Tf): string[] {
  const database = databaseGroups(tf);
  const electric = electricGroups(tf);
  const problems: string[] = [];
  if (database.length === 0) problems.push("no security group found on aws_db_instance");
  if (electric.length === 0) problems.push("no security group found on the ECS service");
  const guarded = new Set([...database, ...electric]);
  for (const rule of ingressRules(tf)) {
    const open = rule.cidrs.filter((cidr) => OPEN_CIDRS.has(cidr));
    // A rule whose group cannot be identified is treated as guarded: better a false alarm.
    const reachesGuarded = rule.target === undefined || guarded.has(rule.target);
    if (open.length > 0 && reachesGuarded) {
      problems.push(
        `${rule.where} admits ${open.join(", ")} to ${rule.target ?? "an unknown group"}`,
      );
    }
    if (rule.target !== undefined && database.includes(rule.target)) {
      if (rule.cidrs.length > 0) problems.push(`${rule.where} admits CIDRs to RDS`);
      for (const source of rule.sourceGroups) {
        if (source === undefined || !electric.includes(source)) {
          problems.push(`${rule.where} admits ${source ?? "an unknown group"} to RDS`);
        }
      }
    }
  }
  return problems;
}

/** 3. The instance's parameter group (postgres16) sets rds.logical_replication = 1. */
function checkLogicalReplication(tf: Tf): string[] {
  const replicating = resources(tf, "aws_db_parameter_group")
    .filter(({ body }) =>
      bodies(body.parameter).some(
        (p) => p.name === "rds.logical_replication" && String(resolve(tf, p.value)) === "1",
      ),
    )
    .filter(({ body }) => resolve(tf, body.family) === "postgres16")
    .map(({ name }) => name);
  const instances = resources(tf, "aws_db_instance");
  if (instances.length === 0) return ["no aws_db_instance"];
  return instances
    .filter(({ body }) => {
      const group = referenced(body.parameter_group_name, "aws_db_parameter_group");
      return group === undefined || !replicating.includes(group);
    })
    .map(
      ({ name }) =>
        `aws_db_instance.${name} does not use a postgres16 parameter group with rds.logical_replication = 1`,
    );
}

/** 4. Private, protected from deletion, encrypted and backed up. */
const REQUIRED_DB_SETTINGS: Record<string, boolean> = {
  publicly_accessible: false,
  deletion_protection: true,
  storage_encrypted: true,
};

function checkDatabaseInstance(tf: Tf): string[] {
  const instances = resources(tf, "aws_db_instance");
  if (instances.length === 0) return ["no aws_db_instance"];
  return instances.flatMap(({ name, body }) => {
    const where = `aws_db_instance.${name}`;
    const problems = Object.entries(REQUIRED_DB_SETTINGS)
      .filter(([key, wanted]) => resolve(tf, body[key]) !== wanted)
      .map(([key, wanted]) => `${where}: ${key} is not ${wanted}`);
    const retention = Number(resolve(tf, body.backup_retention_period));
    if (!(retention > 0)) problems.push(`${where}: backup_retention_period is not > 0`);
    return problems;
  });
}

/** 5. Electric and cloudflared images carry an exact version tag (or a digest). */
function checkImagesPinned(tf: Tf): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const reference =
    /(electricsql\/electric|cloudflare\/cloudflared)(?![\w/-])(?::([\w.${}-]+))?(?:@(sha256:[0-9a-f]{64}))?/g;
  for (const file of tf) {
    for (const text of strings(file.json, ["description"])) {
      const resolved = resolve(tf, text);
      if (typeof resolved !== "string") continue;
      for (const match of resolved.matchAll(reference)) {
        const [found, image = "", tag, digest] = match;
        seen.add(image);
        if (digest) continue;
        if (tag === undefined) {
          problems.push(`${file.name}: ${found} has no tag`);
        } else if (!PINNED_TAG.test(tag)) {
          problems.push(`${file.name}: ${found} is not an exact version`);
        }
      }
    }
  }
  for (const image of IMAGES) if (!seen.has(image)) problems.push(`no ${image} image found`);
  return problems;
}

/** Exact (`1.2.3`, `= 1.2.3`), pessimistic (`~> 1.2`) or bounded (`>= 1.2, < 2.0`). */
function isPinned(constraint: unknown): boolean {
  if (typeof constraint !== "string") return false;
  const c = constraint.trim();
  return (
    /^=?\s*\d+\.\d+\.\d+$/.test(c) ||
    /^~>\s*\d+\.\d+(\.\d+)?$/.test(c) ||
    (/>=?\s*\d/.test(c) && /<\s*\d/.test(c))
  );
}

/** 6. required_version is set; aws, cloudflare (v5) and random are pinned in required_providers. */
function checkProvidersPinned(tf: Tf): string[] {
  const settings = terraformBlocks(tf);
  const problems: string[] = [];
  if (!settings.some((t) => nonEmpty(t.required_version))) {
    problems.push("required_version is not set");
  }
  const providers: Json = Object.assign(
    {},
    ...settings.flatMap((t) => bodies(t.required_providers)),
  );
  const expected: Record<string, string> = {
    aws: "hashicorp/aws",
    cloudflare: "cloudflare/cloudflare",
    random: "hashicorp/random",
  };
  for (const [name, source] of Object.entries(expected)) {
    const provider = providers[name];
    if (!isRecord(provider)) {
      problems.push(`provider ${name} is not in required_providers`);
      continue;
    }
    if (provider.source !== source) problems.push(`provider ${name} source is not ${source}`);
    if (!isPinned(provider.version)) problems.push(`provider ${name} version is not pinned`);
  }
  const cloudflare = providers.cloudflare;
  if (isRecord(cloudflare) && !/^\D*5\./.test(String(cloudflare.version))) {
    problems.push("provider cloudflare is not pinned to v5");
  }
  return problems;
}

/** 7. Every Hyperdrive config has caching disabled. */
function checkHyperdriveCaching(tf: Tf): string[] {
  const configs = resources(tf, "cloudflare_hyperdrive_config");
  if (configs.length === 0) return ["no cloudflare_hyperdrive_config"];
  return configs
    .filter(({ body }) => {
      const caching = bodies(body.caching);
      return caching.length === 0 || caching.some((c) => resolve(tf, c.disabled) !== true);
    })
    .map(({ name }) => `cloudflare_hyperdrive_config.${name} does not disable caching`);
}

/** 8. Outputs are described, and hyperdrive_id (for wrangler.toml) comes from Hyperdrive. */
function checkOutputs(tf: Tf): string[] {
  const outputs = blocks(tf, "output");
  const problems = outputs
    .filter(({ body }) => !nonEmpty(body.description))
    .map(({ name }) => `output "${name}" has no description`);
  const hyperdrive = outputs.find((o) => o.name === "hyperdrive_id");
  const fromHyperdrive = (s: string) => s.includes("cloudflare_hyperdrive_config.");
  if (!hyperdrive) {
    problems.push("output hyperdrive_id is missing");
  } else if (!strings(hyperdrive.body.value).some(fromHyperdrive)) {
    problems.push("output hyperdrive_id does not come from cloudflare_hyperdrive_config");
  }
  return problems;
}

/** Also: every resource, data source and local that an expression names is declared. */
function checkReferences(tf: Tf): string[] {
  const declared = new Set<string>();
  for (const file of tf) {
    for (const [kind, prefix] of [
      ["resource", ""],
      ["data", "data."],
    ] as const) {
      const section = file.json[kind];
      if (!isRecord(section)) continue;
      for (const [type, named] of Object.entries(section)) {
        for (const { name } of labelled(named)) declared.add(`${prefix}${type}.${name}`);
      }
    }
  }
  for (const name of Object.keys(locals(tf))) declared.add(`local.${name}`);
  const reference = /(?<![\w.])((?:data\.)?(?:aws|cloudflare|random)_\w+\.[\w-]+|local\.[\w-]+)/g;
  const problems: string[] = [];
  for (const file of tf) {
    for (const text of strings(file.json, ["description"]).filter((s) => s.includes("${"))) {
      for (const [, name = ""] of text.matchAll(reference)) {
        if (!declared.has(name)) problems.push(`${file.name}: ${name} is not declared`);
      }
    }
  }
  return [...new Set(problems)];
}

// --- The tests ---------------------------------------------------------------------------------

let tf: Tf;
beforeAll(async () => {
  tf = await loadTerraform();
});

describe("terraform/", () => {
  it("parses, and holds the expected files", () => {
    expect(tf.map((f) => f.name)).toEqual(
      expect.arrayContaining(["versions.tf", "variables.tf", "outputs.tf", "rds.tf"]),
    );
  });

  it("declares every variable it references, each with a description and a type", () => {
    expect(checkVariables(tf)).toEqual([]);
  });

  it("admits nothing from 0.0.0.0/0 or ::/0 to RDS or Electric; RDS only from Electric's group", () => {
    expect(checkIngress(tf)).toEqual([]);
  });

  it("turns on logical replication in the RDS parameter group", () => {
    expect(checkLogicalReplication(tf)).toEqual([]);
  });

  it("keeps RDS private, deletion-protected, encrypted and backed up", () => {
    expect(checkDatabaseInstance(tf)).toEqual([]);
  });

  it("pins the Electric and cloudflared images to exact versions", () => {
    expect(checkImagesPinned(tf)).toEqual([]);
  });

  it("pins terraform and the aws, cloudflare and random providers", () => {
    expect(checkProvidersPinned(tf)).toEqual([]);
  });

  it("disables Hyperdrive's query cache", () => {
    expect(checkHyperdriveCaching(tf)).toEqual([]);
  });

  it("describes every output and exports hyperdrive_id", () => {
    expect(checkOutputs(tf)).toEqual([]);
  });

  it("references only resources, data sources and locals it declares", () => {
    expect(checkReferences(tf)).toEqual([]);
  });
});

// --- Each check can fail ---------------------------------------------------------------------

function firstResource(copy: Tf, type: string): Json {
  const found = resources(copy, type)[0];
  if (!found) throw new Error(`no ${type} to mutate`);
  return found.body;
}

function namedBlock(copy: Tf, kind: "variable" | "output", name: string): Json {
  const found = blocks(copy, kind).find((b) => b.name === name);
  if (!found) throw new Error(`no ${kind} ${name} to mutate`);
  return found.body;
}

function addResource(copy: Tf, type: string, name: string, body: Json): void {
  const file = copy[0];
  if (!file) throw new Error("no files");
  const section = isRecord(file.json.resource) ? file.json.resource : {};
  const existing = isRecord(section[type]) ? section[type] : {};
  file.json.resource = { ...section, [type]: { ...existing, [name]: [body] } };
}

function localsHolding(copy: Tf, key: string): Json {
  const found = copy.flatMap((f) => bodies(f.json.locals)).find((l) => key in l);
  if (!found) throw new Error(`no local ${key} to mutate`);
  return found;
}

/** The `${…}` form hcl2json gives an HCL expression. */
const expression = (text: string) => `\${${text}}`;

function guardedGroup(copy: Tf, which: "database" | "electric"): string {
  const group = (which === "database" ? databaseGroups(copy) : electricGroups(copy))[0];
  return expression(`aws_security_group.${group}.id`);
}

interface Mutation {
  name: string;
  /** A problem the check must report once the mutation is applied. */
  reports: string;
  check: (tf: Tf) => string[];
  mutate: (copy: Tf) => void;
}

const mutations: Mutation[] = [
  {
    name: "an undeclared variable",
    reports: "var.not_declared is not declared",
    check: checkVariables,
    mutate: (copy) => {
      firstResource(copy, "aws_db_instance").instance_class = expression("var.not_declared");
    },
  },
  {
    name: "a variable without a description",
    reports: 'variable "aws_region" has no description',
    check: checkVariables,
    mutate: (copy) => {
      delete namedBlock(copy, "variable", "aws_region").description;
    },
  },
  {
    name: "Postgres open to 0.0.0.0/0 through a VPC ingress rule",
    reports: "open_db admits 0.0.0.0/0",
    check: checkIngress,
    mutate: (copy) =>
      addResource(copy, "aws_vpc_security_group_ingress_rule", "open_db", {
        security_group_id: guardedGroup(copy, "database"),
        cidr_ipv4: "0.0.0.0/0",
        ip_protocol: "tcp",
        from_port: 5432,
        to_port: 5432,
      }),
  },
  {
    name: "Electric open to ::/0 through an aws_security_group_rule",
    reports: "open_electric admits ::/0",
    check: checkIngress,
    mutate: (copy) =>
      addResource(copy, "aws_security_group_rule", "open_electric", {
        type: "ingress",
        security_group_id: guardedGroup(copy, "electric"),
        ipv6_cidr_blocks: ["::/0"],
        protocol: "tcp",
        from_port: 3000,
        to_port: 3000,
      }),
  },
  {
    name: "logical replication switched off",
    reports: "rds.logical_replication = 1",
    check: checkLogicalReplication,
    mutate: (copy) => {
      for (const p of bodies(firstResource(copy, "aws_db_parameter_group").parameter)) {
        if (p.name === "rds.logical_replication") p.value = "0";
      }
    },
  },
  {
    name: "a publicly accessible database",
    reports: "publicly_accessible is not false",
    check: checkDatabaseInstance,
    mutate: (copy) => {
      firstResource(copy, "aws_db_instance").publicly_accessible = true;
    },
  },
  {
    name: "automated backups turned off",
    reports: "backup_retention_period is not > 0",
    check: checkDatabaseInstance,
    mutate: (copy) => {
      firstResource(copy, "aws_db_instance").backup_retention_period = 0;
    },
  },
  {
    name: "Electric on latest",
    reports: "electricsql/electric:latest is not an exact version",
    check: checkImagesPinned,
    mutate: (copy) => {
      namedBlock(copy, "variable", "electric_version").default = "latest";
    },
  },
  {
    name: "an untagged cloudflared image",
    reports: "cloudflare/cloudflared has no tag",
    check: checkImagesPinned,
    mutate: (copy) => {
      localsHolding(copy, "cloudflared_image").cloudflared_image = "cloudflare/cloudflared";
    },
  },
  {
    name: "an unbounded provider constraint",
    reports: "provider aws version is not pinned",
    check: checkProvidersPinned,
    mutate: (copy) => {
      for (const t of terraformBlocks(copy)) {
        for (const p of bodies(t.required_providers)) {
          if (isRecord(p.aws)) p.aws.version = ">= 5.0";
        }
      }
    },
  },
  {
    name: "no required_version",
    reports: "required_version is not set",
    check: checkProvidersPinned,
    mutate: (copy) => {
      for (const t of terraformBlocks(copy)) delete t.required_version;
    },
  },
  {
    name: "Hyperdrive caching left on",
    reports: "does not disable caching",
    check: checkHyperdriveCaching,
    mutate: (copy) => {
      firstResource(copy, "cloudflare_hyperdrive_config").caching = { disabled: false };
    },
  },
  {
    name: "an output without a description",
    reports: 'output "electric_url" has no description',
    check: checkOutputs,
    mutate: (copy) => {
      delete namedBlock(copy, "output", "electric_url").description;
    },
  },
  {
    name: "a reference to a resource that does not exist",
    reports: "aws_security_group.missing is not declared",
    check: checkReferences,
    mutate: (copy) => {
      firstResource(copy, "aws_db_instance").vpc_security_group_ids = [
        expression("aws_security_group.missing.id"),
      ];
    },
  },
  {
    name: "no hyperdrive_id output",
    reports: "output hyperdrive_id is missing",
    check: checkOutputs,
    mutate: (copy) => {
      for (const file of copy) {
        if (isRecord(file.json.output)) delete file.json.output.hyperdrive_id;
      }
    },
  },
];

describe("the terraform checks catch", () => {
  it.each(mutations)("$name", ({ check, mutate, reports }) => {
    const copy = structuredClone(tf);
    expect(check(copy)).toEqual([]);
    mutate(copy);
    expect(check(copy).join("\n")).toContain(reports);
  });
});
