"""SLA policies and clocks (`policy`), business-hours calendars, weekly hours; pure."""
