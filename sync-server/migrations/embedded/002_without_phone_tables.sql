-- The relay keeps no phone screen tables: a relay made before the split had them, filled with the
-- names of every school's educators and families that nothing on the relay reads.
DROP TABLE IF EXISTS school_index;
DROP TABLE IF EXISTS educator_index;
DROP TABLE IF EXISTS family_index;
DROP TABLE IF EXISTS visit_index;
DROP TABLE IF EXISTS visit_educators;
DROP TABLE IF EXISTS prompt_pack_index;
