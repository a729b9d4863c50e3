// The shapes of the API answers the project page reads (docs/api.md).
export interface Step {
  key: string;
  name: string;
  stream: 'public' | 'private';
  milestone: boolean;
  status: string;
  early_start: string | null;
  early_finish: string | null;
  late_start: string | null;
  late_finish: string | null;
  total_float: number | null;
  free_float?: number | null;
  critical: boolean;
  near_critical?: boolean;
  out_of_sequence: boolean;
  actual_start: string | null;
  actual_finish: string | null;
  actual_estimated: boolean;
  duration?: number | null;
  unit?: string;
  planned_start?: string | null;
  planned_finish?: string | null;
  start_no_earlier_than?: string | null;
  finish_no_later_than?: string | null;
}
export interface Link {
  pred: string;
  succ: string;
  type: 'FS' | 'SS' | 'FF' | 'SF';
  lag: number;
  lag_unit: string;
}
export interface Schedule {
  project_id: string;
  progress_date: string;
  data_date: string;
  project_finish?: string;
  out_of_sequence?: string[];
  critical_paths?: string[][];
  knelpunten?: unknown[];
  links?: Link[];
  view?: string;
  steps: Step[];
}
export interface ForecastMilestone {
  key: string;
  name: string;
  status: string;
  planned: string | null;
  p50: string | null;
  p80: string | null;
}
export interface Forecast {
  completion: { planned: string | null; p50: string | null; p80: string | null };
  milestones: ForecastMilestone[];
}
export interface Project {
  id: string;
  name: string;
  gemeente: string;
  provincie?: string;
  planstatus: string;
  planstatus_raw?: string;
  homes_remaining: number | null;
  confidentiality: string;
  progress_date: string | null;
  planned_completion?: string | null;
  access: 'lead' | 'write' | 'read' | 'public' | 'stream';
  process_schema_key?: string | null;
  process_schema_version?: number | null;
  stream_access: boolean;
}
export interface HistoryEntry {
  id: number;
  step: string | null;
  field: string;
  old_value: string | null;
  new_value: string | null;
  reason?: string | null;
  changed_by?: string | null;
  changed_at: string;
  known_from: string;
}
export interface Check {
  name: string;
  models: string;
  count: number;
  total: number;
  /** absent for stale_progress, which is about the project, not a share of its steps */
  percent?: number;
  max_percent?: number;
  min_percent?: number;
  pass: boolean;
  steps?: string[];
  /** stale_progress: the progress date, the months allowed, the date before which it is stale */
  progress_date?: string;
  max_months?: number;
  stale_before?: string;
}
export interface Member {
  user_id: string;
  email: string;
  name: string;
  role: string;
}
/** One what-if change (docs/scheduling.md §8): set_link, set_duration, set_constraint, … */
export type Change = { op: string; [k: string]: unknown };
export interface MilestoneShift {
  step: string;
  before: string | null;
  after: string | null;
  shift_working_days: number | null;
}
export interface ForecastShift {
  key?: string;
  p50: string | null;
  p80: string | null;
  what_if_p50: string | null;
  what_if_p80: string | null;
  p50_days: number | null;
  p80_days: number | null;
}
export interface Scenario {
  id: string;
  name: string;
  changes: Change[];
  created_by: string;
  created_at: string;
  applied_at: string | null;
}
/** POST …/what-if, GET …/scenarios/{sid}/compare */
export interface WhatIfResult {
  schedule: Schedule;
  milestone_shifts: MilestoneShift[];
  project_finish_before: string | null;
  project_finish_after: string | null;
  project_finish_shift_working_days: number | null;
  forecast_shifts: { samples: number; seed: number; completion: ForecastShift; milestones: ForecastShift[] } | null;
  forecast_error?: string;
  scenario?: Scenario;
}
