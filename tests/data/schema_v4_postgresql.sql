-- The DDL the single-module migrations (bot/store/migrations.py before numbered migrations,
-- commit 904a4d3) ran on postgresql, captured from the engine. Frozen: tests build a database
-- the old code left behind from it. Sections are the schema versions.

-- bookkeeping
CREATE TABLE schema_version (
	version INTEGER NOT NULL,
	applied_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (version)
);

-- version 1
CREATE TABLE audit (
	id BIGSERIAL NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	platform VARCHAR(32) NOT NULL,
	person_id VARCHAR(255) NOT NULL,
	person_email VARCHAR(320),
	place_id VARCHAR(255),
	command TEXT NOT NULL,
	action VARCHAR(64) NOT NULL,
	outcome VARCHAR(16) NOT NULL,
	detail TEXT,
	PRIMARY KEY (id)
);

CREATE INDEX ix_audit_at ON audit (at);

CREATE TABLE jobs (
	id VARCHAR(64) NOT NULL,
	kind VARCHAR(64) NOT NULL,
	payload JSON NOT NULL,
	place JSON,
	status VARCHAR(16) NOT NULL,
	due_at TIMESTAMP WITH TIME ZONE NOT NULL,
	attempts INTEGER NOT NULL,
	last_error TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);

CREATE INDEX ix_jobs_status_due_at ON jobs (status, due_at);

-- version 2
CREATE TABLE share_links (
	id VARCHAR(32) NOT NULL,
	email VARCHAR(320) NOT NULL,
	token_hash VARCHAR(64) NOT NULL,
	pin_hash VARCHAR(255),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	created_by VARCHAR(255) NOT NULL,
	disabled_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	UNIQUE (token_hash)
);

CREATE INDEX ix_share_links_email ON share_links (email);

CREATE TABLE shares (
	id VARCHAR(32) NOT NULL,
	email VARCHAR(320) NOT NULL,
	serial VARCHAR(64) NOT NULL,
	camera_name VARCHAR(255) NOT NULL,
	model VARCHAR(64) NOT NULL,
	network_name VARCHAR(255) NOT NULL,
	org_name VARCHAR(255) NOT NULL,
	address TEXT NOT NULL,
	recipient_name VARCHAR(255),
	reason TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	created_by VARCHAR(255) NOT NULL,
	place JSON,
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
	reminded_for TIMESTAMP WITH TIME ZONE,
	ended_at TIMESTAMP WITH TIME ZONE,
	end_reason VARCHAR(16),
	PRIMARY KEY (id)
);

CREATE INDEX ix_shares_serial ON shares (serial);

CREATE INDEX ix_shares_email ON shares (email);

CREATE TABLE share_access (
	id BIGSERIAL NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	event VARCHAR(16) NOT NULL,
	email VARCHAR(320) NOT NULL,
	serial VARCHAR(64),
	camera VARCHAR(255),
	client_address VARCHAR(64),
	user_agent TEXT,
	actor VARCHAR(255),
	detail TEXT,
	PRIMARY KEY (id)
);

CREATE INDEX ix_share_access_email ON share_access (email);

CREATE INDEX ix_share_access_at ON share_access (at);

-- version 3
CREATE TABLE plate_watches (
	id BIGSERIAL NOT NULL,
	platform VARCHAR(32) NOT NULL,
	room_id VARCHAR(255) NOT NULL,
	pattern VARCHAR(32) NOT NULL,
	note TEXT,
	cooldown_s FLOAT,
	created_by VARCHAR(255) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_plate_watches_room_pattern UNIQUE (platform, room_id, pattern)
);

CREATE TABLE plate_follows (
	id BIGSERIAL NOT NULL,
	platform VARCHAR(32) NOT NULL,
	room_id VARCHAR(255) NOT NULL,
	serial VARCHAR(64) NOT NULL,
	camera VARCHAR(255) NOT NULL,
	created_by VARCHAR(255) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_plate_follows_room_serial UNIQUE (platform, room_id, serial)
);

CREATE TABLE plate_mutes (
	id BIGSERIAL NOT NULL,
	platform VARCHAR(32) NOT NULL,
	room_id VARCHAR(255) NOT NULL,
	canonical VARCHAR(32) NOT NULL,
	plate VARCHAR(32) NOT NULL,
	until TIMESTAMP WITH TIME ZONE NOT NULL,
	created_by VARCHAR(255) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_plate_mutes_room_plate UNIQUE (platform, room_id, canonical)
);

CREATE TABLE plate_sightings (
	id BIGSERIAL NOT NULL,
	serial VARCHAR(64) NOT NULL,
	camera VARCHAR(255) NOT NULL,
	plate VARCHAR(32) NOT NULL,
	canonical VARCHAR(32) NOT NULL,
	confidence FLOAT,
	first_at TIMESTAMP WITH TIME ZONE NOT NULL,
	last_at TIMESTAMP WITH TIME ZONE NOT NULL,
	reads INTEGER NOT NULL,
	PRIMARY KEY (id)
);

CREATE INDEX ix_plate_sightings_first ON plate_sightings (first_at);

CREATE INDEX ix_plate_sightings_serial_last ON plate_sightings (serial, last_at);

CREATE TABLE plate_reads (
	id BIGSERIAL NOT NULL,
	key VARCHAR(64) NOT NULL,
	topic VARCHAR(255) NOT NULL,
	serial VARCHAR(64) NOT NULL,
	plate VARCHAR(32) NOT NULL,
	raw VARCHAR(255) NOT NULL,
	confidence FLOAT,
	region VARCHAR(64),
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	received_at TIMESTAMP WITH TIME ZONE NOT NULL,
	processed BOOLEAN NOT NULL,
	sighting_id INTEGER,
	PRIMARY KEY (id),
	UNIQUE (key)
);

CREATE INDEX ix_plate_reads_processed ON plate_reads (processed, id);

CREATE TABLE plate_cooldowns (
	id BIGSERIAL NOT NULL,
	platform VARCHAR(32) NOT NULL,
	room_id VARCHAR(255) NOT NULL,
	key VARCHAR(96) NOT NULL,
	last_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_plate_cooldowns_room_key UNIQUE (platform, room_id, key)
);

CREATE TABLE hook_events (
	id BIGSERIAL NOT NULL,
	key VARCHAR(64) NOT NULL,
	source VARCHAR(16) NOT NULL,
	type VARCHAR(64) NOT NULL,
	serial VARCHAR(64),
	camera VARCHAR(255),
	network_id VARCHAR(64),
	at TIMESTAMP WITH TIME ZONE,
	received_at TIMESTAMP WITH TIME ZONE NOT NULL,
	title TEXT NOT NULL,
	details JSON NOT NULL,
	status VARCHAR(16) NOT NULL,
	detail TEXT,
	PRIMARY KEY (id),
	UNIQUE (key)
);

CREATE TABLE alerts (
	id BIGSERIAL NOT NULL,
	kind VARCHAR(16) NOT NULL,
	platform VARCHAR(32) NOT NULL,
	room_id VARCHAR(255) NOT NULL,
	sighting_id INTEGER,
	event_id INTEGER,
	serial VARCHAR(64) NOT NULL,
	camera VARCHAR(255) NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	pre_roll_s FLOAT NOT NULL,
	post_roll_s FLOAT NOT NULL,
	content JSON NOT NULL,
	status VARCHAR(16) NOT NULL,
	reason TEXT,
	heads_up_id VARCHAR(255),
	clip_job_id VARCHAR(64),
	attempts INTEGER NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_alerts_sighting_room UNIQUE (sighting_id, platform, room_id),
	CONSTRAINT uq_alerts_event_room UNIQUE (event_id, platform, room_id)
);

CREATE INDEX ix_alerts_status ON alerts (status);

-- version 4
CREATE TABLE occupancy_alerts (
	id BIGSERIAL NOT NULL,
	serial VARCHAR(64) NOT NULL,
	camera VARCHAR(255) NOT NULL,
	zone_id VARCHAR(64) NOT NULL,
	zone_name VARCHAR(255) NOT NULL,
	threshold INTEGER NOT NULL,
	place JSON NOT NULL,
	created_by VARCHAR(255) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	armed BOOLEAN NOT NULL,
	last_fired_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id)
);

CREATE INDEX ix_occupancy_alerts_serial ON occupancy_alerts (serial);

