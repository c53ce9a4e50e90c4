// What the scheduled sweep sends an AccountAgent: its reservations still open in Postgres past
// the limit. The agent settles each unless a live stream owns it.
export interface SweepRequest {
  accountId: string;
  reservations: { id: string; windowStart: string; reserved: number }[];
}
