// How the dashboard's CSV files say things (crates/homevisit-reports/src/csv.rs), read back.

/** homevisit_reports::csv::STIPEND_HEADER, as the contract fixes it. */
export const STIPEND_HEADER =
  'period_start,period_end,school_id,educator_id,educator,completed_visits,partner_confirmed_visits,training_valid,rate,amount,paid';

/** The completed visits of a parsed visit log CSV. */
export const completedVisits = (log) => log.records.filter((r) => r.status === 'completed');

/** A visit log row's educator ids (one field, the ids separated by spaces or semicolons). */
export const educatorIdsOf = (row) => row.educator_ids.split(/[;\s]+/).filter(Boolean);
