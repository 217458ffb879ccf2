-- PostgreSQL's twin adds an index for the search in names; FTS5 needs none. (Kept so that the
-- two folders number their migrations alike.)
SELECT 1;
