"""Marks on log records."""

#: ``extra=FILE_ONLY`` on a log call: the record goes to run.log, not to the console (a
#: traceback that would bury the one-line message a user reads)
FILE_ONLY = {"file_only": True}
