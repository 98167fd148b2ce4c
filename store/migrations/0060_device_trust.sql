-- Device trust (DESIGN §9): dead devices, borrowed seats, offline license files.

-- Minutes a device may stay silent before a job deactivates it; 0: never. A license may override it.
ALTER TABLE products ADD COLUMN heartbeat_minutes INTEGER NOT NULL DEFAULT 0 CHECK (heartbeat_minutes >= 0);
ALTER TABLE licenses ADD COLUMN heartbeat_minutes INTEGER CHECK (heartbeat_minutes >= 0);

-- Hours a floating seat may be borrowed for; 0: no borrowing. A license may override it.
ALTER TABLE features ADD COLUMN max_borrow_hours INTEGER NOT NULL DEFAULT 0 CHECK (max_borrow_hours >= 0);
ALTER TABLE license_features ADD COLUMN max_borrow_hours INTEGER CHECK (max_borrow_hours >= 0);

-- A borrowed seat is held until then whatever its last check; NULL: not borrowed.
ALTER TABLE seats ADD COLUMN borrowed_until INTEGER;

-- The latest expiry of a license file issued to the device: it is not culled before.
ALTER TABLE devices ADD COLUMN license_file_until INTEGER;

-- device_features now lists every device that checked a feature, floating ones included, with its
-- last check, whether it holds a seat or not: the seats held today are its first lines.
INSERT INTO device_features (device_id, feature_id, first_used_at, last_used_at)
    SELECT device_id, feature_id, taken_at, refreshed_at FROM seats WHERE true
    ON CONFLICT (device_id, feature_id) DO NOTHING;
