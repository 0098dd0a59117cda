"""arq glue (`python -m workers`): settings, tasks, cron. Thin over `domain/`."""
