-- The prints of the entries of a feed's last document read that the store
-- holds (feeds.Item.Print, 8 bytes each, in increasing order): an entry
-- read again exactly as it was is not sanitized again (feeds/prints.go).
-- NULL until a document is read after this migration; losing the column's
-- value only costs one full read of the feed's next document.
ALTER TABLE feeds ADD COLUMN entry_prints {{BLOB}};
