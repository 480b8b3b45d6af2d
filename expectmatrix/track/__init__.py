"""After signing: due dates, the journal of what happened, statuses and the calendar."""
