// AccountAgent: one Durable Object per account, the single place its inference is serialised.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class AccountAgent extends DurableObject<Env> {}
