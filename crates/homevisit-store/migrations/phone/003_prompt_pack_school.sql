-- Prompt packs per school: a pack is the district's (school_id '') or one school's. The primary
-- key gains the school, which SQLite cannot alter in place; the table only mirrors the pack
-- documents, and PhoneIndex::VERSION 2 rebuilds it from them on the next open.
DROP TABLE IF EXISTS prompt_pack_index;
CREATE TABLE prompt_pack_index (
    school_id    TEXT NOT NULL,     -- '' for the district's pack
    language     TEXT NOT NULL,
    visit_number INTEGER NOT NULL,
    doc_id       TEXT NOT NULL,
    PRIMARY KEY (school_id, language, visit_number)
) STRICT;
