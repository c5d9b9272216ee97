import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../src/db/client.js';

/** A node of a plan PostgreSQL executed (EXPLAIN (ANALYZE, FORMAT JSON)), as far as the tests read it. */
export interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/**
 * Runs a repo function with its statements EXPLAIN ANALYZEd on `db` instead (so they still take effect), each answered
 * with `answerRows`, and returns the plan of the last one.
 */
export async function executedPlan(db: Executor, run: (db: Executor) => Promise<unknown>, { answerRows = [] as object[] } = {}): Promise<PlanNode> {
  let plan: PlanNode | undefined;
  const explaining = {
    execute: async (query: SQL) => {
      const result = await db.execute<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(sql`EXPLAIN (ANALYZE, FORMAT JSON) ${query}`);
      plan = result.rows[0]!['QUERY PLAN'][0]!.Plan;
      return { rows: answerRows };
    },
  };
  await run(explaining as unknown as Executor);
  return plan!;
}

/** Rows of a table the plan read, counting those its filters then threw away, over all loops. */
export function rowsReadFrom(node: PlanNode, table: string): number {
  const own = node['Relation Name'] === table ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsReadFrom(child, table), 0);
}
