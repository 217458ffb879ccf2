-- The search looks for matches in the names first (search_application_ids): an index for it.
CREATE INDEX search_entries_names ON search_entries USING GIN (names_vector);
