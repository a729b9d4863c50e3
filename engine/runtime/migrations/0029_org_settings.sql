-- Bouwstroom store, version 29: an organisation's settings (issue 15, Administration).
-- The options of its working-day calendar (engine/core/calendar.h bs_calendar_options, the
-- "calendar" object of the offline schedule input, docs/scheduling.md §9): Goede Vrijdag a
-- day off or not, and when 5 May (Bevrijdingsdag) is one: never, in lustrum years, yearly.
-- The defaults are bs_calendar_default_options(). The stale-project threshold is
-- stale_after_months (0018).
ALTER TABLE organisations
    ADD COLUMN calendar_goede_vrijdag boolean NOT NULL DEFAULT false,
    ADD COLUMN calendar_bevrijdingsdag text NOT NULL DEFAULT 'lustrum'
        CHECK (calendar_bevrijdingsdag IN ('never', 'lustrum', 'yearly'));
