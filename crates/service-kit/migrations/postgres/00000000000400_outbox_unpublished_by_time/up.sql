-- The metrics read the age of the oldest unpublished event at every scrape. This index
-- contains only unpublished rows, so min(occurred_at) reads its first entry instead of
-- every unpublished row.
CREATE INDEX outbox_events_unpublished_by_time ON outbox_events (occurred_at) WHERE published_at IS NULL;
