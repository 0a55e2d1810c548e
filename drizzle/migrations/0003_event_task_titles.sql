-- Task events recorded before this release carry only the task id, so a reloaded feed could
-- not name the task ("Completed a task"). Give each the task's title: from the tasks table
-- while the task exists, else from its own task.created event (a deleted task). Only rows
-- without a title change, so a second run changes nothing.
UPDATE `activity_events`
SET `payload` = json_set(`payload`, '$.title', (
  SELECT `tasks`.`title` FROM `tasks`
  WHERE `tasks`.`id` = json_extract(`activity_events`.`payload`, '$.taskId') AND `tasks`.`owner_id` = `activity_events`.`user_id`
))
WHERE `type` LIKE 'task.%' AND json_type(`payload`, '$.title') IS NULL AND EXISTS (
  SELECT 1 FROM `tasks`
  WHERE `tasks`.`id` = json_extract(`activity_events`.`payload`, '$.taskId') AND `tasks`.`owner_id` = `activity_events`.`user_id`
);
--> statement-breakpoint
UPDATE `activity_events`
SET `payload` = json_set(`payload`, '$.title', (
  SELECT json_extract(`created`.`payload`, '$.title') FROM `activity_events` AS `created`
  WHERE `created`.`user_id` = `activity_events`.`user_id` AND `created`.`type` = 'task.created'
    AND json_extract(`created`.`payload`, '$.taskId') = json_extract(`activity_events`.`payload`, '$.taskId')
    AND json_type(`created`.`payload`, '$.title') = 'text'
  ORDER BY `created`.`id` LIMIT 1
))
WHERE `type` LIKE 'task.%' AND json_type(`payload`, '$.title') IS NULL AND EXISTS (
  SELECT 1 FROM `activity_events` AS `created`
  WHERE `created`.`user_id` = `activity_events`.`user_id` AND `created`.`type` = 'task.created'
    AND json_extract(`created`.`payload`, '$.taskId') = json_extract(`activity_events`.`payload`, '$.taskId')
    AND json_type(`created`.`payload`, '$.title') = 'text'
);
--> statement-breakpoint
-- The outbox holds a copy of each payload: what the relay has yet to send goes out with the title.
UPDATE `event_outbox`
SET `payload` = (
  SELECT `a`.`payload` FROM `activity_events` AS `a` WHERE `a`.`user_id` = `event_outbox`.`user_id` AND `a`.`id` = `event_outbox`.`seq`
)
WHERE `type` LIKE 'task.%' AND json_type(`payload`, '$.title') IS NULL AND EXISTS (
  SELECT 1 FROM `activity_events` AS `a`
  WHERE `a`.`user_id` = `event_outbox`.`user_id` AND `a`.`id` = `event_outbox`.`seq` AND json_type(`a`.`payload`, '$.title') = 'text'
);
