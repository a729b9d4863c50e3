-- Bouwstroom store, version 17: the stored date of a project's figures is what it has always
-- meant, the date up to which its facts (progress) are known. It is renamed progress_date;
-- the schedule's data date is no longer stored but computed as the later of progress_date
-- and today (docs/scheduling.md §6).
ALTER TABLE projects RENAME COLUMN data_date TO progress_date;
ALTER TABLE projects RENAME COLUMN data_date_estimated TO progress_date_estimated;
