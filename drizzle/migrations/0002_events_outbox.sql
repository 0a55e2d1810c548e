CREATE TABLE `daily_active_users` (
	`day` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`day`, `user_id`)
);
--> statement-breakpoint
CREATE TABLE `daily_counters` (
	`day` text NOT NULL,
	`name` text NOT NULL,
	`value` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `name`)
);
--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`event_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`body` text NOT NULL,
	`error` text NOT NULL,
	`attempts` integer NOT NULL,
	`dead_lettered_at` integer NOT NULL,
	`replayed_at` integer,
	`replayed_by` text
);
--> statement-breakpoint
CREATE INDEX `dead_letters_dead_lettered_idx` ON `dead_letters` (`dead_lettered_at`);--> statement-breakpoint
CREATE TABLE `event_cursors` (
	`user_id` text PRIMARY KEY NOT NULL,
	`last_seq` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `event_failures` (
	`event_id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`attempts` integer NOT NULL,
	`retried` integer DEFAULT 0 NOT NULL,
	`last_error` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `event_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`version` integer NOT NULL,
	`payload` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`sent_at` integer,
	`relayed` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `event_outbox_unsent_idx` ON `event_outbox` (`occurred_at`) WHERE sent_at is null;--> statement-breakpoint
CREATE INDEX `event_outbox_sent_idx` ON `event_outbox` (`sent_at`);--> statement-breakpoint
CREATE TABLE `processed_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`applied_at` integer NOT NULL,
	`attempts` integer NOT NULL,
	`claim` text NOT NULL,
	`done` integer DEFAULT false NOT NULL,
	`skipped` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `processed_events_applied_idx` ON `processed_events` (`applied_at`);