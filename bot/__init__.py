"""rupn-bot runtime: config, Matrix client, dispatch, rendering, calendar, dates, CLI."""
